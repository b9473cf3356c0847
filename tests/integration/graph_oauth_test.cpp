// The round trip's Microsoft Graph legs with tokens mailprobe gets itself (--oauth-*): from
// the lab's authorization server emulator (client credentials; its registry gives the client
// Graph's Mail.ReadWrite and Mail.Send), checked by the Graph emulator against its JWKS. A
// cached token Graph refuses (401) is replaced once, on either leg.

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "graph_server.hpp"
#include "support/plugin_runner.hpp"
#include "support/test_pki.hpp"

namespace mailprobe::test {
namespace {

bool has_oauth_server() {
  return lab().count("OAUTH_TOKEN_URL") > 0 && lab().count("OAUTH_JWKS_URL") > 0;
}

// Token requests the emulator answered for `client` so far (its test hook /_test/stats).
int token_requests(const std::string& client) {
  auto stats = run_program({"/usr/bin/curl", "-sS", "--max-time", "5", "--cacert",
                            lab("LAB_CA_FILE"), lab("OAUTH_URL") + "/_test/stats"});
  std::smatch match;
  std::regex count("\"by_client\":\\{[^}]*\"" + client + "\":([0-9]+)");
  if (!std::regex_search(stats.output, match, count)) return 0;
  return std::stoi(match[1]);
}

double metric(const std::string& output, const std::string& name) {
  std::smatch match;
  if (!std::regex_search(output, match, std::regex(" " + name + "=([0-9.]+)s"))) return -1;
  return std::stod(match[1]);
}

struct GraphOAuth : ::testing::Test {
  static inline std::unique_ptr<GraphServer> server;

  static void SetUpTestSuite() {
    if (!has_oauth_server()) return;
    const auto& dir = lab("LAB_DIR");
    server = std::make_unique<GraphServer>(std::vector<std::string>{
        "node", MAILPROBE_FIXTURES_DIR "/graph_server.mjs", "--port", "0", "--cert",
        dir + "/certs/fullchain.pem", "--key", dir + "/certs/server.key", "--maildir",
        dir + "/mail/%d/%n", "--users", dir + "/dovecot/users", "--smtp-port", lab("LAB_SMTP_PORT"),
        "--jwks-url", lab("OAUTH_JWKS_URL"), "--jwks-ca", lab("LAB_CA_FILE")});
  }
  static void TearDownTestSuite() { server.reset(); }

  void SetUp() override {
    if (!has_oauth_server()) GTEST_SKIP() << "the lab runs no OAuth 2.0 authorization server";
  }
  // The probes a failed run left behind must not reach the next test.
  void TearDown() override {
    run_program({"/usr/bin/doveadm", "-c", lab("LAB_DOVECOT_CONFIG"), "expunge", "-u", mailbox,
                 "mailbox", "INBOX", "header", "X-Mailprobe-Probe", ""});
  }

  // odd@, which only the Graph tests send mail to.
  std::string mailbox = lab("LAB_ODD_USER");
  std::string dir = temp_directory();
  std::string cache = dir + "/oauth-tokens.json";

  // Graph to Graph, both legs' tokens from --oauth-*.
  PluginRun round_trip() {
    std::ofstream(dir + "/secret") << "graph-oauth-secret\n";
    return run_plugin({"check_mail_roundtrip",
                       "--from",
                       lab("LAB_SENDER"),
                       "--to",
                       mailbox,
                       "--graph-url",
                       server->url(),
                       "--ca-file",
                       lab("LAB_CA_FILE"),
                       "--state-file",
                       dir + "/state.sqlite",
                       "--secret-file",
                       dir + "/secret",
                       "--wait",
                       "10",
                       "--poll-interval",
                       "0.2",
                       "--smtp-protocol",
                       "graph",
                       "--receive-protocol",
                       "graph",
                       "--oauth-provider",
                       "microsoft",
                       "--oauth-token-url",
                       lab("OAUTH_TOKEN_URL"),
                       "--oauth-client-id",
                       lab("OAUTH_CLIENT_ID"),
                       "--oauth-client-secret-file",
                       lab("OAUTH_CLIENT_SECRET_FILE"),
                       "--oauth-ca-file",
                       lab("LAB_CA_FILE"),
                       "--oauth-cache",
                       cache,
                       "-v"});
  }
};

TEST_F(GraphOAuth, BothLegsGetTokensForGraph) {
  auto run = round_trip();
  EXPECT_EQ(run.exit_code, 0) << run.output;
  // Graph's scope, not the mail servers' (the emulator would refuse the audience).
  EXPECT_NE(run.output.find("&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"),
            std::string::npos)
      << run.output;
  EXPECT_GT(metric(run.first_line(), "send_token"), 0) << run.output;
  EXPECT_GT(metric(run.first_line(), "receive_token"), 0) << run.output;
  EXPECT_EQ(run.output.find("eyJ"), std::string::npos) << run.output;
}

// Both legs' cached tokens revoked: each leg's first call gets Graph's 401, a new token and
// its call again; the run is OK and the cache holds the new tokens.
TEST_F(GraphOAuth, RefusedCachedTokensAreReplacedOnce) {
  auto first = round_trip();
  ASSERT_EQ(first.exit_code, 0) << first.output;
  std::stringstream text;
  text << std::ifstream(cache).rdbuf();
  std::regex token("\"access_token\":\"[^\"]+\"");
  ASSERT_TRUE(std::regex_search(text.str(), token)) << text.str();
  std::ofstream(cache) << std::regex_replace(text.str(), token, "\"access_token\":\"revoked\"");
  auto before = token_requests(lab("OAUTH_CLIENT_ID"));
  auto run = round_trip();
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(token_requests(lab("OAUTH_CLIENT_ID")) - before, 2) << run.output;
  EXPECT_NE(run.output.find("S: HTTP 401 Unauthorized"), std::string::npos) << run.output;
  std::stringstream after;
  after << std::ifstream(cache).rdbuf();
  EXPECT_EQ(after.str().find("revoked"), std::string::npos) << after.str();
}

}  // namespace
}  // namespace mailprobe::test
