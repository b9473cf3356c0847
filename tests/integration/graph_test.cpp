// check_mail_roundtrip over Microsoft Graph, against the Graph emulator
// (tests/fixtures/graph_server.mjs) backed by the lab: Graph sends through the lab's
// Postfix, Graph reads and deletes in the lab's Maildirs. Both legs in every combination
// with SMTP and IMAP, a probe filed in Junk, throttling waited out or refused, and the
// states of a bad token and of missing permissions; with the lab's OAuth 2.0 authorization
// server (when it runs), a real RS256 token and a forged one.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <regex>

#include "graph_server.hpp"
#include "support/plugin_runner.hpp"
#include "support/test_pki.hpp"

namespace mailprobe::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string write_file(const std::string& name, const std::string& text) {
  static const std::string dir = temp_directory();
  auto path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

int count_probes(const std::string& user, const std::string& mailbox) {
  auto run = run_program({"/usr/bin/doveadm", "-c", lab("LAB_DOVECOT_CONFIG"), "search", "-u", user,
                          "mailbox", mailbox, "header", "X-Mailprobe-Probe", ""});
  int lines = 0;
  for (char c : run.output)
    lines += c == '\n';
  return lines;
}

// The mailbox the Graph round trips go to: odd@, which no other test sends mail to (the
// daemon's and the other round trips' probes go to probe@, and are not to be touched).
const std::string& mailbox() {
  return lab("LAB_ODD_USER");
}

bool has_oauth_server() {
  return lab().count("OAUTH_TOKEN_URL") > 0 && lab().count("OAUTH_JWKS_URL") > 0;
}

struct GraphRoundTrip : ::testing::Test {
  static inline std::unique_ptr<GraphServer> server;

  static void SetUpTestSuite() {
    // Tokens for the tests that run without the authorization server: all rights, sending
    // only, and one that expired.
    auto tokens = write_file("tokens.json", R"({"tokens": [
      {"token": "graph-all", "roles": ["Mail.ReadWrite", "Mail.Send"]},
      {"token": "graph-send-only", "roles": ["Mail.Send"]},
      {"token": "graph-expired", "roles": ["Mail.ReadWrite", "Mail.Send"], "expires": 1}]})");
    const auto& dir = lab("LAB_DIR");
    std::vector<std::string> argv{"node",          MAILPROBE_FIXTURES_DIR "/graph_server.mjs",
                                  "--port",        "0",
                                  "--cert",        dir + "/certs/fullchain.pem",
                                  "--key",         dir + "/certs/server.key",
                                  "--maildir",     dir + "/mail/%d/%n",
                                  "--users",       dir + "/dovecot/users",
                                  "--smtp-port",   lab("LAB_SMTP_PORT"),
                                  "--tokens-file", tokens,
                                  "--test-hooks"};
    if (has_oauth_server()) {
      argv.insert(argv.end(),
                  {"--jwks-url", lab("OAUTH_JWKS_URL"), "--jwks-ca", lab("LAB_CA_FILE")});
    }
    server = std::make_unique<GraphServer>(argv);
  }
  static void TearDownTestSuite() { server.reset(); }

  void SetUp() override { remove_probes(); }
  void TearDown() override {
    server->hook("/_test/throttle", R"({"count":0})");
    remove_probes();
  }
  // What a failed run left in the mailboxes must not reach the next test.
  static void remove_probes() {
    for (const auto* folder : {"INBOX", "Junk"}) {
      for (const auto& user : {mailbox(), lab("LAB_JUNK_USER")}) {
        run_program({"/usr/bin/doveadm", "-c", lab("LAB_DOVECOT_CONFIG"), "expunge", "-u", user,
                     "mailbox", folder, "header", "X-Mailprobe-Probe", ""});
      }
    }
  }

  std::string state = temp_directory() + "/state.sqlite";
  std::string secret = write_file("secret", "graph-roundtrip-secret\n");
  std::string all = write_file("all.token", "graph-all\n");

  // Common options and the send leg: Graph with `send_token`, or SMTP submission.
  PluginRun round_trip(const std::string& to, const std::string& send_token,
                       std::vector<std::string> receive, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{"check_mail_roundtrip",
                                  "--from",
                                  lab("LAB_SENDER"),
                                  "--to",
                                  to,
                                  "--graph-url",
                                  server->url(),
                                  "--ca-file",
                                  lab("LAB_CA_FILE"),
                                  "--state-file",
                                  state,
                                  "--secret-file",
                                  secret,
                                  "--wait",
                                  "10",
                                  "--poll-interval",
                                  "0.2"};
    if (send_token.empty()) {
      argv.insert(argv.end(), {"--smtp-host", "localhost", "--smtp-port",
                               lab("LAB_SUBMISSION_PORT"), "--smtp-user", lab("LAB_SENDER"),
                               "--smtp-password-file", lab("LAB_SENDER_PASSWORD_FILE")});
    } else {
      argv.insert(argv.end(), {"--smtp-protocol", "graph", "--smtp-password-file", send_token});
    }
    argv.insert(argv.end(), receive.begin(), receive.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_plugin(argv);
  }
  std::vector<std::string> graph_receive(const std::string& token) {
    return {"--receive-protocol", "graph", "--receive-password-file", token};
  }
  std::vector<std::string> imap_receive() {
    return {"--receive-host", "localhost", "--receive-port",          lab("LAB_IMAPS_PORT"),
            "--receive-user", mailbox(),   "--receive-password-file", lab("LAB_ODD_PASSWORD_FILE")};
  }
};

double metric(const std::string& output, const std::string& name) {
  std::smatch match;
  if (!std::regex_search(output, match, std::regex(" " + name + "=([0-9.]+)"))) return -1;
  return std::stod(match[1]);
}

TEST_F(GraphRoundTrip, GraphSendsAndImapReceives) {
  auto run = round_trip(mailbox(), all, imap_receive());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.first_line().find("(IMAP IDLE)"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("via Graph sendMail as " + lab("LAB_SENDER")), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find(": 202 Accepted"), std::string::npos) << run.output;
  EXPECT_EQ(count_probes(mailbox(), "INBOX"), 0);
}

TEST_F(GraphRoundTrip, SmtpSendsAndGraphReceivesAndDeletes) {
  auto run = round_trip(mailbox(), "", graph_receive(all));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.first_line().find("(Graph polling"), std::string::npos) << run.output;
  double rtt = metric(run.output, "rtt");
  EXPECT_GE(rtt, 0) << run.output;
  EXPECT_LT(rtt, 10) << run.output;
  EXPECT_EQ(metric(run.output, "receive_ok"), 100) << run.output;
  EXPECT_EQ(count_probes(mailbox(), "INBOX"), 0);
}

// The arrival is narrowed by receivedDateTime: on one machine the clocks agree, so the
// headline says where the time came from.
TEST_F(GraphRoundTrip, GraphToGraphTakesTheArrivalFromReceivedDateTime) {
  auto run = round_trip(mailbox(), all, graph_receive(all));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.first_line().find("(Graph polling, arrival from receivedDateTime)"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(count_probes(mailbox(), "INBOX"), 0);
}

// Mail that looks like a probe (the subject Graph's filter asks for) but is none of this
// check's, forged or unreadable, is left in the mailbox.
TEST_F(GraphRoundTrip, OnlyItsOwnProbesAreDeleted) {
  for (const auto* message :
       {"From: a@example.test\r\nSubject: mailprobe delivery test forged\r\n"
        "X-Mailprobe-Probe: v1 id=00112233445566778899aabbccddeeff sent=1 reply=x@example.test "
        "mac=00\r\n\r\nforged\r\n",
        "From: a@example.test\r\nSubject: mailprobe delivery test poison\r\n"
        "Message-ID: <poison@example.test>\r\nX-Mailprobe-Probe: v1\r\n\r\nbody\r\n"}) {
    auto saved = run_program({"/usr/bin/doveadm", "-c", lab("LAB_DOVECOT_CONFIG"), "save", "-u",
                              mailbox(), "-m", "INBOX"},
                             message);
    ASSERT_EQ(saved.exit_code, 0) << saved.output;
  }
  auto run = round_trip(mailbox(), "", graph_receive(all));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("inbox message <poison@example.test>: malformed X-Mailprobe-Probe "
                            "header, left alone"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(count_probes(mailbox(), "INBOX"), 2);
}

TEST_F(GraphRoundTrip, AProbeFiledInJunkIsFoundThroughGraph) {
  auto run = round_trip(lab("LAB_JUNK_USER"), all, graph_receive(all), {"--wait", "1"});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.first_line().find("arrived in Junk"), std::string::npos) << run.output;
  EXPECT_NE(run.first_line().find("filed as junk"), std::string::npos) << run.output;
  EXPECT_EQ(count_probes(lab("LAB_JUNK_USER"), "Junk"), 0);
}

TEST_F(GraphRoundTrip, ThrottlingIsWaitedOutWithinTheDeadline) {
  server->hook("/_test/throttle", R"({"count":2,"retry_after":1})");
  auto started = Clock::now();
  auto run = round_trip(mailbox(), all, graph_receive(all));
  auto took = std::chrono::duration<double>(Clock::now() - started).count();
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_GE(took, 2.0) << run.output;
  EXPECT_NE(run.output.find("waited 2.0 s as Retry-After asked"), std::string::npos) << run.output;
  EXPECT_NE(server->hook("/_test/stats").find("\"throttled\":2"), std::string::npos);
}

TEST_F(GraphRoundTrip, ThrottlingPastTheDeadlineIsAClearError) {
  server->hook("/_test/throttle", R"({"count":1,"retry_after":600})");
  auto started = Clock::now();
  auto run = round_trip(mailbox(), "", graph_receive(all), {"-t", "15"});
  auto took = std::chrono::duration<double>(Clock::now() - started).count();
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.first_line().find("429 ApplicationThrottled (Application is over its "
                                  "MailboxConcurrency limit.): Retry-After 600.0 s does not fit "
                                  "in the time left"),
            std::string::npos)
      << run.output;
  EXPECT_LT(took, 10.0) << run.output;  // refused at once, not waited for
}

TEST_F(GraphRoundTrip, ABadTokenIsAClear401State) {
  auto bad = write_file("bad.token", "not-a-token\n");
  auto run = round_trip(mailbox(), "", graph_receive(bad));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.first_line().find("receive: Graph /users/" + mailbox() +
                                  "/mailFolders/inbox/messages: 401 InvalidAuthenticationToken ("),
            std::string::npos)
      << run.output;
  EXPECT_EQ(metric(run.output, "receive_ok"), 0) << run.output;
  auto expired = write_file("expired.token", "graph-expired\n");
  auto sent = round_trip(mailbox(), expired, imap_receive());
  EXPECT_EQ(sent.exit_code, 2) << sent.output;
  EXPECT_NE(sent.first_line().find("send: Graph /users/" + lab("LAB_SENDER") +
                                   "/sendMail: 401 InvalidAuthenticationToken (Lifetime "
                                   "validation failed, the token is expired.)"),
            std::string::npos)
      << sent.output;
}

TEST_F(GraphRoundTrip, MissingPermissionIsA403State) {
  auto send_only = write_file("send-only.token", "graph-send-only\n");
  auto run = round_trip(mailbox(), send_only, graph_receive(send_only));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.first_line().find("/mailFolders/inbox/messages: 403 ErrorAccessDenied (Access is "
                                  "denied. Check credentials and try again.)"),
            std::string::npos)
      << run.output;
}

TEST_F(GraphRoundTrip, BadGraphOptionsAreUnknown) {
  struct Case {
    std::vector<std::string> options;
    std::string says;
  };
  for (const auto& [options, says] : std::vector<Case>{
           {{"-H", "localhost", "--receive-protocol", "graph"},
            "ROUNDTRIP UNKNOWN - --receive-protocol graph needs an access token: --oauth-* (or "
            "--receive-oauth-*), --receive-password-file or --receive-password-env"},
           {{"--receive-protocol", "graph", "--receive-password-file", all, "--graph-url",
             "http://localhost:1"},
            "ROUNDTRIP UNKNOWN - --graph-url 'http://localhost:1': use https:// (an access "
            "token must not travel in clear text)"},
           {{"--receive-protocol", "ews"},
            "ROUNDTRIP UNKNOWN - --receive-protocol 'ews': use imap, pop3 or graph"},
           {{"--smtp-protocol", "jmap"},
            "ROUNDTRIP UNKNOWN - --smtp-protocol 'jmap': use smtp or graph"},
           {{"--smtp-protocol", "graph", "--smtp-password-file", all, "--receive-user", "x",
             "--receive-password-file", all},
            "ROUNDTRIP UNKNOWN - --receive-host is required"},
       }) {
    std::vector<std::string> argv{"check_mail_roundtrip", "--from", "a@example.test", "--to",
                                  "b@example.test"};
    argv.insert(argv.end(), options.begin(), options.end());
    auto run = run_plugin(argv);
    EXPECT_EQ(run.exit_code, 3) << run.output;
    EXPECT_EQ(run.first_line(), says);
  }
}

// A token of the lab's authorization server (client credentials, app-only, Mail.ReadWrite
// and Mail.Send for Graph) is verified against its JWKS; the same token with its signature
// damaged is refused, and so is a genuine token for another resource.
TEST_F(GraphRoundTrip, TokensOfTheAuthorizationServerAreVerified) {
  if (!has_oauth_server()) GTEST_SKIP() << "the lab runs no OAuth 2.0 authorization server";
  std::ifstream secret_file(lab("OAUTH_CLIENT_SECRET_FILE"));
  std::string client_secret;
  std::getline(secret_file, client_secret);
  // The secret reaches curl on standard input, not in its arguments.
  auto token_for = [&](const std::string& resource) {
    auto answer =
        run_program({"/usr/bin/curl", "-sS", "--max-time", "5", "--cacert", lab("LAB_CA_FILE"),
                     "-K", "-", "--data-urlencode", "grant_type=client_credentials",
                     "--data-urlencode", "client_id=" + lab("OAUTH_CLIENT_ID"), "--data-urlencode",
                     "scope=" + resource + "/.default", lab("OAUTH_TOKEN_URL")},
                    "data-urlencode = \"client_secret=" + client_secret + "\"\n");
    std::smatch match;
    std::regex_search(answer.output, match,
                      std::regex("\"access_token\"\\s*:\\s*\"([A-Za-z0-9_.-]+)\""));
    EXPECT_FALSE(match.empty()) << answer.output;
    return match.empty() ? std::string() : match[1].str();
  };
  auto token = token_for("https://graph.microsoft.com");
  ASSERT_FALSE(token.empty());
  auto good = write_file("jwt.token", token + "\n");
  auto run = round_trip(mailbox(), good, graph_receive(good));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  // A character inside the signature (the last one may carry padding bits only).
  auto& inside = token[token.size() - 10];
  inside = inside == 'A' ? 'B' : 'A';
  auto forged = write_file("forged.token", token + "\n");
  auto refused = round_trip(mailbox(), "", graph_receive(forged));
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.first_line().find("401 InvalidAuthenticationToken (Access token validation "
                                      "failure. Invalid signature.)"),
            std::string::npos)
      << refused.output;
  // A genuine token for another resource (Exchange's IMAP and SMTP) is not one for Graph.
  auto outlook = write_file("outlook.token", token_for("https://outlook.office365.com") + "\n");
  auto elsewhere = round_trip(mailbox(), "", graph_receive(outlook));
  EXPECT_EQ(elsewhere.exit_code, 2) << elsewhere.output;
  EXPECT_NE(elsewhere.first_line().find("401 InvalidAuthenticationToken (Access token validation "
                                        "failure. Invalid audience.)"),
            std::string::npos)
      << elsewhere.output;
}

}  // namespace
}  // namespace mailprobe::test
