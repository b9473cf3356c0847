// check_mail_roundtrip and mailprobe reflect against the lab: IMAP IDLE and POP3 round
// trips, a message held in the Postfix queue (outstanding, then lost, then late), Junk
// filing, the reflector behind a Postfix pipe, and what must never happen (touching other
// mail, answering forged or replayed probes).

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

std::string first_line_of(const std::string& path) {
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);
  return line;
}

// Messages of `user` in `mailbox` matching a doveadm search query.
int count_messages(const std::string& user, const std::string& mailbox,
                   const std::vector<std::string>& query) {
  std::vector<std::string> argv{"/usr/bin/doveadm", "-c",   lab("LAB_DOVECOT_CONFIG"),
                                "search",           "-u",   user,
                                "mailbox",          mailbox};
  argv.insert(argv.end(), query.begin(), query.end());
  auto run = run_program(argv);
  int lines = 0;
  for (char c : run.output)
    lines += c == '\n';
  return lines;
}

struct RoundTrip : ::testing::Test {
  std::string state = temp_directory() + "/state.sqlite";
  std::string secret_file = temp_directory() + "/secret";
  void SetUp() override { std::ofstream(secret_file) << "lab-roundtrip-secret\n"; }

  // A round trip from sender@ to `to`, read as `user` over IMAPS unless `extra` says more.
  PluginRun round_trip(const std::string& to, const std::string& user,
                       const std::string& password_file, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{"check_mail_roundtrip",
                                  "--smtp-host",
                                  "localhost",
                                  "--smtp-port",
                                  lab("LAB_SUBMISSION_PORT"),
                                  "--smtp-user",
                                  lab("LAB_SENDER"),
                                  "--smtp-password-file",
                                  lab("LAB_SENDER_PASSWORD_FILE"),
                                  "--from",
                                  lab("LAB_SENDER"),
                                  "--to",
                                  to,
                                  "--receive-user",
                                  user,
                                  "--receive-password-file",
                                  password_file,
                                  "--ca-file",
                                  lab("LAB_CA_FILE"),
                                  "--state-file",
                                  state,
                                  "--secret-file",
                                  secret_file};
    bool port_given = false;
    for (const auto& e : extra)
      port_given = port_given || e == "--receive-port";
    if (!port_given) {
      argv.push_back("--receive-port");
      argv.push_back(lab("LAB_IMAPS_PORT"));
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_plugin(argv);
  }
  PluginRun probe_user(std::vector<std::string> extra = {}) {
    return round_trip(lab("LAB_PROBE_USER"), lab("LAB_PROBE_USER"), lab("LAB_PROBE_PASSWORD_FILE"),
                      std::move(extra));
  }
};

double metric(const std::string& output, const std::string& name) {
  std::smatch match;
  if (!std::regex_search(output, match, std::regex(" " + name + "=([0-9.]+)"))) return -1;
  return std::stod(match[1]);
}

TEST_F(RoundTrip, ImapIdleTimesTheMessageAndDeletesIt) {
  auto run = probe_user({"--wait", "10"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.first_line().find("(IMAP IDLE)"), std::string::npos) << run.output;
  EXPECT_EQ(metric(run.output, "send_ok"), 100) << run.output;
  EXPECT_EQ(metric(run.output, "receive_ok"), 100) << run.output;
  EXPECT_EQ(metric(run.output, "outstanding"), 0) << run.output;
  EXPECT_EQ(metric(run.output, "lost"), 0) << run.output;
  double rtt = metric(run.output, "rtt");
  EXPECT_GE(rtt, 0) << run.output;
  EXPECT_LT(rtt, 10) << run.output;
  EXPECT_EQ(count_messages(lab("LAB_PROBE_USER"), "INBOX", {"header", "X-Mailprobe-Probe", ""}), 0);
}

TEST_F(RoundTrip, KeepLeavesTheMessageAndTheNextRunDoesNotCountItAgain) {
  auto kept = probe_user({"--wait", "10", "--keep"});
  EXPECT_EQ(kept.exit_code, 0) << kept.output;
  EXPECT_EQ(count_messages(lab("LAB_PROBE_USER"), "INBOX", {"header", "X-Mailprobe-Probe", ""}), 1);
  auto next = probe_user({"--wait", "10"});
  EXPECT_EQ(next.exit_code, 0) << next.output;
  // The kept message was counted by the first run: no earlier probe arrives in this one.
  EXPECT_FALSE(std::regex_search(next.output, std::regex("probe [0-9a-f]{8} arrived")))
      << next.output;
  run_program({"/usr/bin/doveadm", "-c", lab("LAB_DOVECOT_CONFIG"), "expunge", "-u",
               lab("LAB_PROBE_USER"), "mailbox", "INBOX", "header", "X-Mailprobe-Probe", ""});
}

TEST_F(RoundTrip, Pop3Polling) {
  auto run = probe_user({"--receive-protocol", "pop3", "--receive-port", lab("LAB_POP3S_PORT"),
                         "--wait", "10", "--poll-interval", "0.2"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.first_line().find("(POP3 polling)"), std::string::npos) << run.output;
  EXPECT_GE(metric(run.output, "rtt"), 0) << run.output;
}

TEST_F(RoundTrip, StartTlsOnBothSides) {
  auto run = probe_user(
      {"--receive-tls", "starttls", "--receive-port", lab("LAB_IMAP_PORT"), "--wait", "10"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

TEST_F(RoundTrip, NothingElseInTheMailboxIsTouched) {
  const auto user = lab("LAB_PROBE_USER");
  std::string ordinary =
      "From: someone@example.test\r\nSubject: keep me\r\nMessage-ID: <keep@example.test>\r\n\r\n"
      "an ordinary message\r\n";
  std::string forged =
      "From: someone@example.test\r\nSubject: forged probe\r\n"
      "X-Mailprobe-Probe: v1 id=00112233445566778899aabbccddeeff sent=1 reply=x@example.test "
      "mac=00\r\n\r\nforged\r\n";
  for (const auto& message : {ordinary, forged}) {
    auto saved = run_program(
        {"/usr/bin/doveadm", "-c", lab("LAB_DOVECOT_CONFIG"), "save", "-u", user, "-m", "INBOX"},
        message);
    ASSERT_EQ(saved.exit_code, 0) << saved.output;
  }
  auto run = probe_user({"--wait", "10"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(count_messages(user, "INBOX", {"subject", "keep me"}), 1);
  EXPECT_EQ(count_messages(user, "INBOX", {"subject", "forged probe"}), 1);
  run_program({"/usr/bin/doveadm", "-c", lab("LAB_DOVECOT_CONFIG"), "expunge", "-u", user,
               "mailbox", "INBOX", "all"});
}

// Mail anyone can send: a probe header folded onto a line of only white space (it used to
// throw out of the header parser, every run, as long as the message stayed), and an
// ordinary mail with such a Received header (enough to stop a POP3 round trip).
const std::string poisoned_probe =
    "From: a@example.test\r\nSubject: poison\r\n"
    "X-Mailprobe-Probe: v1\r\n \r\n\r\nbody\r\n";
const std::string poisoned_received =
    "Received:\r\n\t\r\nFrom: a@example.test\r\n"
    "Subject: folded received\r\n\r\nbody\r\n";

void save_message(const std::string& user, const std::string& message) {
  auto saved = run_program(
      {"/usr/bin/doveadm", "-c", lab("LAB_DOVECOT_CONFIG"), "save", "-u", user, "-m", "INBOX"},
      message);
  ASSERT_EQ(saved.exit_code, 0) << saved.output;
}

void expunge_subject(const std::string& user, const std::string& subject) {
  run_program({"/usr/bin/doveadm", "-c", lab("LAB_DOVECOT_CONFIG"), "expunge", "-u", user,
               "mailbox", "INBOX", "subject", subject});
}

TEST_F(RoundTrip, UnreadableMailIsSkippedWithAReason) {
  const auto user = lab("LAB_PROBE_USER");
  save_message(user, poisoned_probe);
  save_message(user, poisoned_received);
  auto imap = probe_user({"--wait", "10"});
  EXPECT_EQ(imap.exit_code, 0) << imap.output;
  EXPECT_TRUE(std::regex_search(
      imap.output, std::regex("UID [0-9]+: malformed X-Mailprobe-Probe header, left alone")))
      << imap.output;
  auto pop3 = probe_user({"--receive-protocol", "pop3", "--receive-port", lab("LAB_POP3S_PORT"),
                          "--wait", "10", "--poll-interval", "0.2"});
  EXPECT_EQ(pop3.exit_code, 0) << pop3.output;
  EXPECT_NE(pop3.output.find("malformed X-Mailprobe-Probe header, left alone"), std::string::npos)
      << pop3.output;
  EXPECT_EQ(count_messages(user, "INBOX", {"subject", "poison"}), 1);
  EXPECT_EQ(count_messages(user, "INBOX", {"subject", "folded received"}), 1);
  expunge_subject(user, "poison");
  expunge_subject(user, "folded received");
}

TEST_F(RoundTrip, JunkFilingIsReported) {
  auto run = round_trip(lab("LAB_JUNK_USER"), lab("LAB_JUNK_USER"), lab("LAB_JUNK_PASSWORD_FILE"),
                        {"--wait", "2"});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.first_line().find("arrived in Junk"), std::string::npos) << run.output;
  EXPECT_NE(run.first_line().find("filed as junk"), std::string::npos) << run.output;
  EXPECT_EQ(count_messages(lab("LAB_JUNK_USER"), "Junk", {"header", "X-Mailprobe-Probe", ""}), 0);
}

TEST_F(RoundTrip, ReflectorLegsByTwoClocks) {
  auto run = round_trip(
      lab("LAB_REFLECTOR"), lab("LAB_SENDER"), lab("LAB_SENDER_PASSWORD_FILE"),
      {"--reflector", "--secret-file", lab("LAB_REFLECTOR_SECRET_FILE"), "--wait", "10"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.first_line().find("by two clocks"), std::string::npos) << run.output;
  EXPECT_GE(metric(run.output, "outbound"), 0) << run.output;
  EXPECT_GE(metric(run.output, "inbound"), 0) << run.output;
  EXPECT_NEAR(metric(run.output, "outbound") + metric(run.output, "inbound"),
              metric(run.output, "rtt"), 1.0)
      << run.output;
}

TEST_F(RoundTrip, BadOptionsAreUnknown) {
  auto run =
      run_plugin({"check_mail_roundtrip", "--smtp-host", "localhost", "--from", "a@b", "--to",
                  "c@d", "--receive-user", "u", "--receive-password-file", "/nonexistent/pw"});
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_EQ(run.first_line(), "ROUNDTRIP UNKNOWN - cannot read secret file '/nonexistent/pw'");
  auto tls = run_plugin({"check_mail_roundtrip", "--smtp-host", "localhost", "--smtp-tls", "ssl"});
  EXPECT_EQ(tls.exit_code, 3) << tls.output;
}

// Waiting as long as the critical round trip is the natural command line: the default
// --lost-after fits any --wait, while an explicit one shorter than --wait stays an error.
TEST_F(RoundTrip, DefaultLostAfterFitsTheWait) {
  auto natural = probe_user({"--wait", "10", "-w", "5", "-c", "10"});
  EXPECT_EQ(natural.exit_code, 0) << natural.output;
  EXPECT_NE(natural.first_line().find("ROUNDTRIP OK - round trip"), std::string::npos)
      << natural.output;
  auto explicit_short = probe_user({"--wait", "10", "--lost-after", "10", "-c", "60"});
  EXPECT_EQ(explicit_short.exit_code, 3) << explicit_short.output;
  EXPECT_EQ(explicit_short.first_line(),
            "ROUNDTRIP UNKNOWN - --lost-after must be longer than --wait");
}

// The reflector fed directly, as a pipe would: genuine, forged, replayed, stale, looping.
struct Reflector : ::testing::Test {
  std::string secret = first_line_of(lab("LAB_REFLECTOR_SECRET_FILE"));
  std::string state = temp_directory() + "/reflector.sqlite";
  PluginRun reflect(const std::string& message) {
    return run_plugin_with_input(
        {"mailprobe", "reflect", "--smtp-host", "127.0.0.1", "--smtp-port", lab("LAB_SMTP_PORT"),
         "--from", lab("LAB_REFLECTOR"), "--secret-file", lab("LAB_REFLECTOR_SECRET_FILE"),
         "--state-file", state, "-v"},
        message);
  }
  int reflections_of(const std::string& id) {
    return count_messages(lab("LAB_RECEIVER"), "INBOX",
                          {"header", "X-Mailprobe-Reflection", "id=" + id});
  }
  int wait_for_reflections(const std::string& id, int expected) {
    for (int i = 0; i < 50; ++i) {  // at most 5 s
      if (reflections_of(id) >= expected) break;
      std::this_thread::sleep_for(100ms);
    }
    return reflections_of(id);
  }
};

TEST_F(Reflector, AnswersAGenuineProbeOnceAndIgnoresTheRest) {
  auto now = std::chrono::system_clock::now();
  auto genuine = probes::make_probe(lab("LAB_RECEIVER"), lab("LAB_REFLECTOR"), secret, now);
  auto first = reflect(genuine.text);
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(wait_for_reflections(genuine.id, 1), 1);

  // The same probe again: a replay, not answered.
  auto replay = reflect(genuine.text);
  EXPECT_EQ(replay.exit_code, 0) << replay.output;

  // Signed with another secret, or tampered with: not answered.
  auto forged = probes::make_probe(lab("LAB_RECEIVER"), lab("LAB_REFLECTOR"), "wrong secret", now);
  EXPECT_EQ(reflect(forged.text).exit_code, 0);
  auto fresh = probes::make_probe(lab("LAB_RECEIVER"), lab("LAB_REFLECTOR"), secret, now);
  auto tampered = fresh.text;
  tampered.replace(tampered.find("reply=") + 6, lab("LAB_RECEIVER").size(), lab("LAB_SENDER"));
  EXPECT_EQ(reflect(tampered).exit_code, 0);

  // Too old: not answered.
  auto stale = probes::make_probe(lab("LAB_RECEIVER"), lab("LAB_REFLECTOR"), secret,
                                  now - std::chrono::hours(2));
  EXPECT_EQ(reflect(stale.text).exit_code, 0);

  // A reflection is never reflected (no loops), nor is plain mail.
  auto token = probes::parse_probe_token(*probes::header_value(fresh.text, probes::probe_header));
  auto reflection = probes::make_reflection(*token, lab("LAB_REFLECTOR"), secret, now);
  EXPECT_EQ(reflect(reflection + fresh.text).exit_code, 0);
  EXPECT_EQ(reflect("From: a@b\r\nSubject: hi\r\n\r\nhello\r\n").exit_code, 0);

  std::this_thread::sleep_for(500ms);  // anything wrongly sent would be delivered by now
  EXPECT_EQ(reflections_of(genuine.id), 1);
  EXPECT_EQ(reflections_of(forged.id), 0);
  EXPECT_EQ(reflections_of(fresh.id), 0);
  EXPECT_EQ(reflections_of(stale.id), 0);
  EXPECT_EQ(count_messages(lab("LAB_SENDER"), "INBOX", {"header", "X-Mailprobe-Reflection", ""}),
            0);
  run_program({"/usr/bin/doveadm", "-c", lab("LAB_DOVECOT_CONFIG"), "expunge", "-u",
               lab("LAB_RECEIVER"), "mailbox", "INBOX", "header", "X-Mailprobe-Reflection", ""});
}

TEST_F(Reflector, ImapModeAnswersProbesInAMailboxAndDeletesThem) {
  auto probe = probes::make_probe(lab("LAB_RECEIVER"), lab("LAB_SENDER"), secret,
                                  std::chrono::system_clock::now());
  auto saved = run_program({"/usr/bin/doveadm", "-c", lab("LAB_DOVECOT_CONFIG"), "save", "-u",
                            lab("LAB_SENDER"), "-m", "INBOX"},
                           probe.text);
  ASSERT_EQ(saved.exit_code, 0) << saved.output;
  auto run = run_plugin({"mailprobe",
                         "reflect",
                         "--imap-host",
                         "localhost",
                         "--imap-port",
                         lab("LAB_IMAPS_PORT"),
                         "--imap-user",
                         lab("LAB_SENDER"),
                         "--imap-password-file",
                         lab("LAB_SENDER_PASSWORD_FILE"),
                         "--ca-file",
                         lab("LAB_CA_FILE"),
                         "--once",
                         "--smtp-host",
                         "127.0.0.1",
                         "--smtp-port",
                         lab("LAB_SMTP_PORT"),
                         "--from",
                         lab("LAB_SENDER"),
                         "--secret-file",
                         lab("LAB_REFLECTOR_SECRET_FILE"),
                         "--state-file",
                         state});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(wait_for_reflections(probe.id, 1), 1);
  EXPECT_EQ(count_messages(lab("LAB_SENDER"), "INBOX", {"header", "X-Mailprobe-Probe", ""}), 0);
  run_program({"/usr/bin/doveadm", "-c", lab("LAB_DOVECOT_CONFIG"), "expunge", "-u",
               lab("LAB_RECEIVER"), "mailbox", "INBOX", "header", "X-Mailprobe-Reflection", ""});
}

// One mail from anyone used to stop the reflector: in IMAP mode every session failed on it
// (exit 75, retried forever) and the genuine probe behind it was never answered.
TEST_F(Reflector, UnreadableMailStopsNothing) {
  auto piped =
      run_plugin_with_stderr({"mailprobe", "reflect", "--smtp-host", "127.0.0.1", "--smtp-port",
                              lab("LAB_SMTP_PORT"), "--from", lab("LAB_REFLECTOR"), "--secret-file",
                              lab("LAB_REFLECTOR_SECRET_FILE"), "--state-file", state, "-v"},
                             poisoned_probe);
  EXPECT_EQ(piped.exit_code, 0) << piped.output;
  EXPECT_EQ(piped.output, "mailprobe reflect: malformed probe token\n");

  save_message(lab("LAB_SENDER"), poisoned_probe);
  auto probe = probes::make_probe(lab("LAB_RECEIVER"), lab("LAB_SENDER"), secret,
                                  std::chrono::system_clock::now());
  save_message(lab("LAB_SENDER"), probe.text);
  auto run = run_plugin_with_stderr({"mailprobe",
                                     "reflect",
                                     "--imap-host",
                                     "localhost",
                                     "--imap-port",
                                     lab("LAB_IMAPS_PORT"),
                                     "--imap-user",
                                     lab("LAB_SENDER"),
                                     "--imap-password-file",
                                     lab("LAB_SENDER_PASSWORD_FILE"),
                                     "--ca-file",
                                     lab("LAB_CA_FILE"),
                                     "--once",
                                     "--smtp-host",
                                     "127.0.0.1",
                                     "--smtp-port",
                                     lab("LAB_SMTP_PORT"),
                                     "--from",
                                     lab("LAB_SENDER"),
                                     "--secret-file",
                                     lab("LAB_REFLECTOR_SECRET_FILE"),
                                     "--state-file",
                                     state});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(std::regex_search(
      run.output, std::regex("mailprobe reflect: UID [0-9]+: malformed probe token, left alone")))
      << run.output;
  EXPECT_EQ(wait_for_reflections(probe.id, 1), 1);
  EXPECT_EQ(count_messages(lab("LAB_SENDER"), "INBOX", {"subject", "poison"}), 1);
  expunge_subject(lab("LAB_SENDER"), "poison");
  run_program({"/usr/bin/doveadm", "-c", lab("LAB_DOVECOT_CONFIG"), "expunge", "-u",
               lab("LAB_RECEIVER"), "mailbox", "INBOX", "header", "X-Mailprobe-Reflection", ""});
}

TEST_F(Reflector, CannotSendIsATemporaryFailure) {
  auto genuine = probes::make_probe(lab("LAB_RECEIVER"), lab("LAB_REFLECTOR"), secret,
                                    std::chrono::system_clock::now());
  auto run =
      run_plugin_with_input({"mailprobe", "reflect", "--smtp-host", "127.0.0.1", "--smtp-port", "1",
                             "--from", lab("LAB_REFLECTOR"), "--secret-file",
                             lab("LAB_REFLECTOR_SECRET_FILE"), "--state-file", state},
                            genuine.text);
  EXPECT_EQ(run.exit_code, 75) << run.output;  // EX_TEMPFAIL: the mail system retries
}

// Holds the Postfix queue: the probe is outstanding, then lost, then arrives late.
TEST_F(RoundTrip, HeldMessageIsOutstandingThenLostThenLate) {
  ASSERT_EQ(lab_command("hold"), 0);
  struct Release {
    ~Release() { lab_command("release"); }
  } release;
  std::vector<std::string> quick{"--wait", "1", "--lost-after", "3", "-w", "100", "-c", "200"};
  auto first = probe_user(quick);
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.first_line().find("(outstanding)"), std::string::npos) << first.output;
  EXPECT_EQ(metric(first.output, "outstanding"), 1) << first.output;
  std::this_thread::sleep_for(3500ms);
  auto second = probe_user(quick);
  EXPECT_EQ(second.exit_code, 2) << second.output;
  EXPECT_EQ(metric(second.output, "lost"), 1) << second.output;
  EXPECT_NE(second.first_line().find("1 probe lost"), std::string::npos) << second.output;
  ASSERT_EQ(lab_command("release"), 0);
  std::this_thread::sleep_for(500ms);
  auto third = probe_user({"--wait", "10", "--lost-after", "60", "-w", "100", "-c", "200"});
  EXPECT_EQ(third.exit_code, 1) << third.output;
  EXPECT_EQ(metric(third.output, "late"), 1) << third.output;
  EXPECT_EQ(metric(third.output, "lost"), 0) << third.output;
  EXPECT_NE(third.output.find("after it had been declared lost"), std::string::npos)
      << third.output;
  EXPECT_NE(third.output.find("this run's probe arrived"), std::string::npos) << third.output;
}

}  // namespace
}  // namespace mailprobe::test
