// Logins with tokens mailprobe gets itself (--oauth-*) against the lab: the authorization
// server emulator (tests/fixtures/oauth_server.mjs) issues them, Dovecot (IMAP, POP3) and
// Postfix submission check them by introspection. Each grant: client secret, certificate
// (client assertion), refresh token (rotated and written back), Google service account;
// a refused secret; the cache (one token request for several runs); a stale cached token
// dropped and replaced.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "support/plugin_runner.hpp"
#include "support/test_pki.hpp"

namespace mailprobe::test {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool has(const PluginRun& run, const std::string& text) {
  return run.output.find(text) != std::string::npos;
}

// Token requests the emulator answered for `client` so far (its test hook /_test/stats).
int token_requests(const std::string& client) {
  auto stats = run_program({"/usr/bin/curl", "-sS", "--max-time", "5", "--cacert",
                            lab("LAB_CA_FILE"), lab("OAUTH_URL") + "/_test/stats"});
  EXPECT_EQ(stats.exit_code, 0) << stats.output;
  std::smatch match;
  std::regex count("\"by_client\":\\{[^}]*\"" + client + "\":([0-9]+)");
  if (!std::regex_search(stats.output, match, count)) return 0;
  return std::stoi(match[1]);
}

struct OAuth : ::testing::Test {
  std::string cache = temp_directory() + "/oauth-tokens.json";

  // plugin over implicit TLS with the trust and cache of this test, then `extra`.
  std::vector<std::string> args(const std::string& plugin, const std::string& port_key,
                                std::initializer_list<std::string> extra) {
    std::vector<std::string> argv{plugin,
                                  "-H",
                                  "localhost",
                                  "-p",
                                  lab(port_key),
                                  "-S",
                                  "--ca-file",
                                  lab("LAB_CA_FILE"),
                                  "--oauth-ca-file",
                                  lab("LAB_CA_FILE"),
                                  "--oauth-cache",
                                  cache,
                                  "--user",
                                  lab("OAUTH_USER")};
    argv.insert(argv.end(), extra);
    return argv;
  }
  std::vector<std::string> secret(const std::string& plugin, const std::string& port_key) {
    return args(plugin, port_key,
                {"--oauth-provider", "microsoft", "--oauth-token-url", lab("OAUTH_TOKEN_URL"),
                 "--oauth-client-id", lab("OAUTH_CLIENT_ID"), "--oauth-client-secret-file",
                 lab("OAUTH_CLIENT_SECRET_FILE")});
  }
};

TEST_F(OAuth, ClientSecretTokenLogsInToImapPopAndSmtpWithOauthbearer) {
  auto imap = run_plugin(secret("check_imap", "LAB_IMAPS_PORT"));
  EXPECT_EQ(imap.exit_code, 0) << imap.output;
  EXPECT_TRUE(has(imap, "logged in as " + lab("OAUTH_USER") + " (OAUTHBEARER)")) << imap.output;
  EXPECT_TRUE(std::regex_search(imap.first_line(), std::regex(" token=0\\.[0-9]+s;;;0 ")))
      << imap.output;
  auto pop = run_plugin(secret("check_pop", "LAB_POP3S_PORT"));
  EXPECT_EQ(pop.exit_code, 0) << pop.output;
  EXPECT_TRUE(has(pop, "(OAUTHBEARER)")) << pop.output;
  // The cached token: no time spent on it.
  EXPECT_TRUE(has(pop, " token=0s;;;0 ")) << pop.output;
  auto smtp = run_plugin(secret("check_smtp", "LAB_SUBMISSION_PORT"));
  EXPECT_EQ(smtp.exit_code, 0) << smtp.output;
  EXPECT_TRUE(has(smtp, "AUTH OAUTHBEARER as " + lab("OAUTH_USER") + " accepted")) << smtp.output;
  struct stat facts {};
  ASSERT_EQ(::stat(cache.c_str(), &facts), 0);
  EXPECT_EQ(facts.st_mode & 0777, 0600U);
}

TEST_F(OAuth, XOAUTH2WhenAskedFor) {
  auto argv = secret("check_imap", "LAB_IMAPS_PORT");
  argv.insert(argv.end(), {"--auth-mechanism", "XOAUTH2", "-v"});
  auto run = run_plugin(argv);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(has(run, "AUTHENTICATE XOAUTH2 <redacted>")) << run.output;
  // Neither the secret nor the token shows in the transcript.
  EXPECT_FALSE(has(run, read_file(lab("OAUTH_CLIENT_SECRET_FILE")).substr(0, 8))) << run.output;
  EXPECT_FALSE(has(run, "eyJ")) << run.output;
}

TEST_F(OAuth, FiveRunsAskTheTokenEndpointOnce) {
  auto before = token_requests("app-secret");
  for (int i = 0; i < 5; ++i) {
    auto run = run_plugin(secret("check_imap", "LAB_IMAPS_PORT"));
    ASSERT_EQ(run.exit_code, 0) << run.output;
  }
  EXPECT_EQ(token_requests("app-secret") - before, 1);
}

TEST_F(OAuth, CertificateClientAssertion) {
  auto run = run_plugin(args(
      "check_pop", "LAB_POP3S_PORT",
      {"--oauth-token-url", lab("OAUTH_TOKEN_URL"), "--oauth-client-id",
       lab("OAUTH_CERT_CLIENT_ID"), "--oauth-certificate", lab("OAUTH_CLIENT_CERT"), "--oauth-key",
       lab("OAUTH_CLIENT_KEY"), "--oauth-scope", "https://outlook.office365.com/.default"}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(has(run, "logged in as " + lab("OAUTH_USER"))) << run.output;
}

TEST_F(OAuth, RefreshTokenIsRotatedAndWrittenBack) {
  const auto& file = lab("OAUTH_REFRESH_TOKEN_FILE");
  auto before = read_file(file);
  struct stat facts {};
  ASSERT_EQ(::stat(file.c_str(), &facts), 0);
  auto run = run_plugin(args("check_smtp", "LAB_SUBMISSION_PORT",
                             {"--oauth-tenant", lab("OAUTH_TENANT"), "--oauth-token-url",
                              lab("OAUTH_TOKEN_URL"), "--oauth-provider", "microsoft"}));
  // --oauth-tenant and --oauth-token-url exclude each other: nothing is spent.
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_EQ(read_file(file), before);
  run = run_plugin(
      args("check_smtp", "LAB_SUBMISSION_PORT",
           {"--oauth-token-url", lab("OAUTH_TOKEN_URL"), "--oauth-provider", "microsoft",
            "--oauth-client-id", lab("OAUTH_REFRESH_CLIENT_ID"), "--oauth-client-secret-file",
            lab("OAUTH_REFRESH_CLIENT_SECRET_FILE"), "--oauth-refresh-token-file", file}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  auto after = read_file(file);
  EXPECT_NE(after, before);
  EXPECT_FALSE(after.empty());
  struct stat now {};
  ASSERT_EQ(::stat(file.c_str(), &now), 0);
  EXPECT_EQ(now.st_mode & 07777, facts.st_mode & 07777);
}

TEST_F(OAuth, GoogleServiceAccountWithDomainWideDelegation) {
  auto run = run_plugin(args("check_imap", "LAB_IMAPS_PORT",
                             {"--oauth-service-account", lab("OAUTH_SERVICE_ACCOUNT")}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(has(run, "logged in as " + lab("OAUTH_USER"))) << run.output;
}

TEST_F(OAuth, WrongClientSecretIsCriticalWithEntraIdsReason) {
  auto wrong = temp_directory() + "/wrong.secret";
  std::ofstream(wrong) << "not-the-secret\n";
  auto run = run_plugin(args("check_imap", "LAB_IMAPS_PORT",
                             {"--oauth-token-url", lab("OAUTH_TOKEN_URL"), "--oauth-client-id",
                              lab("OAUTH_CLIENT_ID"), "--oauth-client-secret-file", wrong}));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_EQ(run.first_line().rfind("IMAP CRITICAL - token endpoint localhost: invalid_client "
                                   "(AADSTS7000215: Invalid client secret provided.",
                                   0),
            0U)
      << run.output;
}

// Last (Z): a refused login makes Dovecot delay the next ones from this address.
using OAuthZ = OAuth;
TEST_F(OAuthZ, StaleCachedTokenIsDroppedAndFetchedOnce) {
  auto first = run_plugin(secret("check_imap", "LAB_IMAPS_PORT"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  // The cached token is replaced by one the server does not know.
  auto text = read_file(cache);
  std::regex token("\"access_token\":\"[^\"]+\"");
  ASSERT_TRUE(std::regex_search(text, token)) << text;
  std::ofstream(cache) << std::regex_replace(text, token, "\"access_token\":\"revoked\"");
  auto before = token_requests("app-secret");
  auto run = run_plugin(secret("check_imap", "LAB_IMAPS_PORT"));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(token_requests("app-secret") - before, 1);
  EXPECT_EQ(read_file(cache).find("revoked"), std::string::npos);
}

}  // namespace
}  // namespace mailprobe::test
