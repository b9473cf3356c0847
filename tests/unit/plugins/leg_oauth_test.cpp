// A round-trip leg's OAuth options: its own --LEG-oauth-* over the shared --oauth-*, the
// credential taken whole from one place, Graph's scope, and what makes a leg use OAuth.

#include "plugins/leg_oauth.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/test_pki.hpp"

namespace mailprobe::plugins {
namespace {

TEST(LegOAuth, OwnValuesWinAndTheCredentialIsTakenWhole) {
  OAuthOptions shared;
  shared.tenant = "contoso";
  shared.client_id = "shared-app";
  shared.client_secret_file = "/etc/mailprobe/secret";
  shared.scope = "https://outlook.office365.com/.default";
  OAuthOptions own;
  own.client_id = "sending-app";
  own.certificate = "/etc/mailprobe/app.pem";
  auto merged = leg_oauth_options(shared, own);
  EXPECT_EQ(merged.tenant, "contoso");
  EXPECT_EQ(merged.client_id, "sending-app");
  EXPECT_EQ(merged.scope, "https://outlook.office365.com/.default");
  EXPECT_EQ(merged.certificate, "/etc/mailprobe/app.pem");
  // The shared secret does not come along with the leg's own certificate.
  EXPECT_EQ(merged.client_secret_file, "");
  own = {};
  own.scope = "x";
  merged = leg_oauth_options(shared, own);
  EXPECT_EQ(merged.client_secret_file, "/etc/mailprobe/secret");
  EXPECT_EQ(merged.scope, "x");
}

TEST(LegOAuth, WhichLegsLogInWithOAuth) {
  auto secret = test::temp_directory() + "/secret";
  std::ofstream(secret) << "s3cret\n";
  OAuthOptions shared;
  shared.token_url = "https://login.example.test/token";
  shared.client_id = "app";
  shared.client_secret_file = secret;
  shared.cache = test::temp_directory() + "/cache.json";
  ServerOptions server;
  // No user: the leg does not log in, the shared options are not its.
  auto none =
      leg_token_source(shared, {}, server, "", "smtp", "the sending leg", TokenAudience::mail);
  ASSERT_TRUE(none) << none.failure().message;
  EXPECT_EQ(*none, nullptr);
  auto mail = leg_token_source(shared, {}, server, "probe@example.test", "smtp", "the sending leg",
                               TokenAudience::mail);
  ASSERT_TRUE(mail) << mail.failure().message;
  ASSERT_NE(*mail, nullptr);
  EXPECT_EQ((*mail)->identity().scope, "");  // generic: no default for mail
  auto graph = leg_token_source(shared, {}, server, "probe@example.test", "receive",
                                "the receiving leg", TokenAudience::graph);
  ASSERT_TRUE(graph) << graph.failure().message;
  EXPECT_EQ((*graph)->identity().scope, "https://graph.microsoft.com/.default");
  shared.refresh_token_file = secret;
  graph = leg_token_source(shared, {}, server, "probe@example.test", "receive", "the receiving leg",
                           TokenAudience::graph);
  ASSERT_TRUE(graph) << graph.failure().message;
  EXPECT_EQ((*graph)->identity().scope,
            "https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/Mail.Send "
            "offline_access");

  OAuthOptions own;
  own.client_id = "other";
  auto no_user =
      leg_token_source({}, own, server, "", "receive", "the receiving leg", TokenAudience::mail);
  ASSERT_FALSE(no_user);
  EXPECT_EQ(no_user.failure().message,
            "the receiving leg: --receive-oauth-* needs --receive-user: the mailbox to log in as");
  server.password_env = "PASSWORD";
  auto both = leg_token_source(shared, {}, server, "probe@example.test", "smtp", "the sending leg",
                               TokenAudience::mail);
  ASSERT_FALSE(both);
  EXPECT_EQ(both.failure().message,
            "the sending leg: it logs in with OAuth (--oauth-*, --smtp-oauth-*): not with "
            "--smtp-password-file or --smtp-password-env");
}

}  // namespace
}  // namespace mailprobe::plugins
