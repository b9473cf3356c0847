// The round trip and the reflector logging in with tokens mailprobe gets itself (--oauth-*,
// --smtp-oauth-*, --receive-oauth-*, --imap-oauth-*) from the lab's authorization server
// emulator, which Dovecot and Postfix submission check; and tokens as long as Entra ID's,
// which Postfix refuses on the AUTH line (RFC 4954 section 4: they go after the 334).

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "probes/roundtrip_message.hpp"
#include "support/plugin_runner.hpp"
#include "support/test_pki.hpp"

namespace mailprobe::test {
namespace {

using namespace std::chrono_literals;

bool has(const PluginRun& run, const std::string& text) {
  return run.output.find(text) != std::string::npos;
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

int count_messages(const std::string& user, const std::vector<std::string>& query) {
  std::vector<std::string> argv{"/usr/bin/doveadm", "-c",   lab("LAB_DOVECOT_CONFIG"),
                                "search",           "-u",   user,
                                "mailbox",          "INBOX"};
  argv.insert(argv.end(), query.begin(), query.end());
  auto run = run_program(argv);
  int lines = 0;
  for (char c : run.output)
    lines += c == '\n';
  return lines;
}

struct OAuthRoundTrip : ::testing::Test {
  std::string dir = temp_directory();
  std::string cache = dir + "/oauth-tokens.json";
  std::string state = dir + "/state.sqlite";
  std::string secret_file = dir + "/secret";
  void SetUp() override { std::ofstream(secret_file) << "lab-oauth-roundtrip-secret\n"; }

  // The token endpoint, its trust and this test's cache; the client secret's client (the
  // lab's app-only clients have the OAuth user's mailbox).
  std::vector<std::string> oauth(const std::string& prefix, const std::string& client) {
    return {"--" + prefix + "-provider",
            "microsoft",
            "--" + prefix + "-token-url",
            lab("OAUTH_TOKEN_URL"),
            "--" + prefix + "-client-id",
            client,
            "--" + prefix + "-client-secret-file",
            lab("OAUTH_CLIENT_SECRET_FILE"),
            "--" + prefix + "-ca-file",
            lab("LAB_CA_FILE"),
            "--" + prefix + "-cache",
            cache};
  }
  // From and to the OAuth user's mailbox: submission and IMAPS (or `extra`'s).
  PluginRun round_trip(std::vector<std::string> extra) {
    const auto& user = lab("OAUTH_USER");
    std::vector<std::string> argv{"check_mail_roundtrip",
                                  "--smtp-host",
                                  "localhost",
                                  "--smtp-port",
                                  lab("LAB_SUBMISSION_PORT"),
                                  "--smtp-user",
                                  user,
                                  "--from",
                                  user,
                                  "--to",
                                  user,
                                  "--receive-user",
                                  user,
                                  "--ca-file",
                                  lab("LAB_CA_FILE"),
                                  "--state-file",
                                  state,
                                  "--secret-file",
                                  secret_file,
                                  "--wait",
                                  "10",
                                  "--poll-interval",
                                  "0.2"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_plugin(argv);
  }
};

double metric(const std::string& output, const std::string& name) {
  std::smatch match;
  if (!std::regex_search(output, match, std::regex(" " + name + "=([0-9.]+)s"))) return -1;
  return std::stod(match[1]);
}

// --oauth-* for both legs: one token (the receiving leg's, fetched; the sending leg finds
// it in the cache), OAUTHBEARER on both, each leg's token time in the perfdata.
TEST_F(OAuthRoundTrip, SmtpAndImapLegsWithClientCredentials) {
  auto before = token_requests("app-secret");
  auto argv = oauth("oauth", lab("OAUTH_CLIENT_ID"));
  argv.insert(argv.end(), {"--receive-port", lab("LAB_IMAPS_PORT"), "-v"});
  auto run = round_trip(argv);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(has(run, "(IMAP IDLE)")) << run.output;
  EXPECT_GT(metric(run.first_line(), "receive_token"), 0) << run.output;
  EXPECT_EQ(metric(run.first_line(), "send_token"), 0) << run.output;
  EXPECT_EQ(token_requests("app-secret") - before, 1);
  // The lab's token makes the SMTP AUTH line longer than 512 octets: the response follows
  // the 334. IMAP takes it with SASL-IR.
  EXPECT_TRUE(has(run, "C: AUTH OAUTHBEARER\n")) << run.output;
  EXPECT_TRUE(has(run, " AUTHENTICATE OAUTHBEARER <redacted>\n")) << run.output;
  EXPECT_FALSE(has(run, "eyJ")) << run.output;
  std::ifstream client_secret_file(lab("OAUTH_CLIENT_SECRET_FILE"));
  std::string client_secret;
  std::getline(client_secret_file, client_secret);
  ASSERT_FALSE(client_secret.empty());
  EXPECT_FALSE(has(run, client_secret)) << run.output;
}

// The sending leg as another application whose tokens are as long as Entra ID's
// (--smtp-oauth-client-id), the receiving leg over POP3 with the shared options: it logs
// in at every poll with the one token it got.
TEST_F(OAuthRoundTrip, PerLegIdentityAndPop3Polling) {
  auto before = token_requests("app-secret");
  auto before_long = token_requests(lab("OAUTH_LONG_CLIENT_ID"));
  auto argv = oauth("oauth", lab("OAUTH_CLIENT_ID"));
  argv.insert(argv.end(), {"--smtp-oauth-client-id", lab("OAUTH_LONG_CLIENT_ID"),
                           "--receive-protocol", "pop3", "--receive-port", lab("LAB_POP3S_PORT")});
  auto run = round_trip(argv);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(has(run, "(POP3 polling)")) << run.output;
  EXPECT_EQ(token_requests("app-secret") - before, 1);
  EXPECT_EQ(token_requests(lab("OAUTH_LONG_CLIENT_ID")) - before_long, 1);
}

TEST_F(OAuthRoundTrip, BadLegOptionsAreUnknown) {
  struct Case {
    std::vector<std::string> options;
    std::string says;
  };
  for (const auto& [options, says] : std::vector<Case>{
           {{"--receive-oauth-client-id", "x", "--receive-password-file", secret_file},
            "ROUNDTRIP UNKNOWN - the receiving leg: it logs in with OAuth (--oauth-*, "
            "--receive-oauth-*): not with --receive-password-file or --receive-password-env"},
           {{"--oauth-client-secret-file", secret_file},
            "ROUNDTRIP UNKNOWN - the sending leg: --oauth-client-id is required: the "
            "application's client ID"},
           {{"--smtp-protocol", "graph", "--oauth-service-account", secret_file},
            "ROUNDTRIP UNKNOWN - the sending leg: Microsoft Graph takes Microsoft Entra ID "
            "tokens: not with --oauth-provider google or --oauth-service-account"},
       }) {
    auto run = round_trip(options);
    EXPECT_EQ(run.exit_code, 3) << run.output;
    EXPECT_EQ(run.first_line(), says);
  }
}

// The reflector in IMAP mode logs in to the mailbox and to submission with tokens.
TEST_F(OAuthRoundTrip, ReflectorLogsInWithTokens) {
  const auto& user = lab("OAUTH_USER");
  std::ifstream reflector_secret(lab("LAB_REFLECTOR_SECRET_FILE"));
  std::string secret;
  std::getline(reflector_secret, secret);
  auto probe =
      probes::make_probe(lab("LAB_RECEIVER"), user, secret, std::chrono::system_clock::now());
  auto saved = run_program(
      {"/usr/bin/doveadm", "-c", lab("LAB_DOVECOT_CONFIG"), "save", "-u", user, "-m", "INBOX"},
      probe.text);
  ASSERT_EQ(saved.exit_code, 0) << saved.output;
  std::vector<std::string> argv{"mailprobe",     "reflect",
                                "--imap-host",   "localhost",
                                "--imap-port",   lab("LAB_IMAPS_PORT"),
                                "--imap-user",   user,
                                "--smtp-host",   "localhost",
                                "--smtp-port",   lab("LAB_SUBMISSION_PORT"),
                                "--smtp-tls",    "starttls",
                                "--smtp-user",   user,
                                "--ca-file",     lab("LAB_CA_FILE"),
                                "--from",        user,
                                "--secret-file", lab("LAB_REFLECTOR_SECRET_FILE"),
                                "--state-file",  dir + "/reflector.sqlite",
                                "--once"};
  auto options = oauth("oauth", lab("OAUTH_CLIENT_ID"));
  argv.insert(argv.end(), options.begin(), options.end());
  auto run = run_plugin_with_stderr(argv);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  int reflections = 0;
  for (int i = 0; i < 50 && reflections == 0; ++i) {  // at most 5 s
    std::this_thread::sleep_for(100ms);
    reflections =
        count_messages(lab("LAB_RECEIVER"), {"header", "X-Mailprobe-Reflection", "id=" + probe.id});
  }
  EXPECT_EQ(reflections, 1);
  EXPECT_EQ(count_messages(user, {"header", "X-Mailprobe-Probe", "id=" + probe.id}), 0);
  run_program({"/usr/bin/doveadm", "-c", lab("LAB_DOVECOT_CONFIG"), "expunge", "-u",
               lab("LAB_RECEIVER"), "mailbox", "INBOX", "header", "X-Mailprobe-Reflection",
               "id=" + probe.id});
}

// A token of Entra ID's length (2.8 KB here): on the AUTH line Postfix refuses it ("Invalid
// base64 data in initial response", over its 2048-octet line limit); after the 334 it
// passes. POP3's limit is 255 octets (RFC 5034 section 4); Dovecot passes it either way.
TEST_F(OAuthRoundTrip, TokenOfEntraIdsLengthLogsIn) {
  auto login = [&](const std::string& plugin, const std::string& port) {
    std::vector<std::string> argv{
        plugin, "-H",        "localhost",        "-p",     port,
        "-S",   "--ca-file", lab("LAB_CA_FILE"), "--user", lab("OAUTH_USER"),
        "-v"};
    auto options = oauth("oauth", lab("OAUTH_LONG_CLIENT_ID"));
    argv.insert(argv.end(), options.begin(), options.end());
    return run_plugin(argv);
  };
  auto smtp = login("check_smtp", lab("LAB_SUBMISSION_PORT"));
  EXPECT_EQ(smtp.exit_code, 0) << smtp.output;
  EXPECT_TRUE(has(smtp, "AUTH OAUTHBEARER as " + lab("OAUTH_USER") + " accepted")) << smtp.output;
  EXPECT_TRUE(has(smtp, "C: AUTH OAUTHBEARER\nS: 334 \nC: <redacted>\nS: 235 ")) << smtp.output;
  std::smatch size;
  ASSERT_TRUE(std::regex_search(smtp.output, size, std::regex("S: HTTP 200 OK, ([0-9]+) bytes")))
      << smtp.output;
  EXPECT_GT(std::stoi(size[1]), 2500);  // the token endpoint's answer, the token most of it
  auto pop = login("check_pop", lab("LAB_POP3S_PORT"));
  EXPECT_EQ(pop.exit_code, 0) << pop.output;
  EXPECT_TRUE(has(pop, "C: AUTH OAUTHBEARER\nS: + \nC: <redacted>\nS: +OK ")) << pop.output;
}

}  // namespace
}  // namespace mailprobe::test
