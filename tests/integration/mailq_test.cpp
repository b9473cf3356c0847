// check_mailq against the lab's Postfix queue, and against stand-in queue commands for Exim.
// The MailqLab tests change the shared lab: they hold mail for the lab domain in the queue
// and release it again (always, from TearDown), then delete the messages they sent.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "support/plugin_runner.hpp"

namespace mailprobe::test {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> postfix_mailq(std::initializer_list<std::string> extra) {
  std::vector<std::string> argv{"check_mailq", "-M", "postfix", "-d",
                                lab("LAB_POSTFIX_CONFIG_DIR")};
  argv.insert(argv.end(), extra);
  return argv;
}

// The number after "unsent=" in the perfdata, or -1.
long unsent(const PluginRun& run) {
  std::smatch match;
  if (!std::regex_search(run.output, match, std::regex(R"( unsent=(\d+);)"))) return -1;
  return std::stol(match[1]);
}

// Polls check_mailq for up to 10 s until the queue holds `count` messages; the last run.
PluginRun wait_for_queue(long count) {
  auto deadline = Clock::now() + std::chrono::seconds(10);
  for (;;) {
    auto run = run_plugin(postfix_mailq({"-w", "100", "-c", "200"}));
    if (unsent(run) == count || Clock::now() > deadline) return run;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Queues a message to the receiver through Postfix's own sendmail (pickup), as a local
// program would.
int sendmail(const std::string& subject) {
  auto command = "/usr/sbin/sendmail -C " + lab("LAB_POSTFIX_CONFIG_DIR") + " -f " +
                 lab("LAB_SENDER") + " " + lab("LAB_RECEIVER");
  FILE* pipe = ::popen(command.c_str(), "w");
  if (pipe == nullptr) return -1;
  std::string message = "From: <" + lab("LAB_SENDER") + ">\nTo: <" + lab("LAB_RECEIVER") +
                        ">\nSubject: " + subject + "\n\ncheck_mailq lab test\n";
  std::fwrite(message.data(), 1, message.size(), pipe);
  int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class MailqLab : public ::testing::Test {
 protected:
  void hold() {
    ASSERT_EQ(lab_command("hold"), 0) << "lab hold failed";
    held_ = true;
  }
  void release() {
    held_ = false;
    EXPECT_EQ(lab_command("release"), 0) << "lab release failed";
  }
  void TearDown() override {
    if (held_) release();
    if (sent_) {
      // Delivered once the queue is empty: delete what this test sent from the INBOX.
      wait_for_queue(0);
      auto command = "doveadm -c " + lab("LAB_DOVECOT_CONFIG") + " expunge -u " +
                     lab("LAB_RECEIVER") + " mailbox INBOX header Subject " + token_;
      EXPECT_EQ(std::system(command.c_str()), 0) << command;
    }
  }
  void send(int count) {
    for (int i = 0; i < count; ++i) {
      sent_ = true;
      ASSERT_EQ(sendmail(token_ + " " + std::to_string(i)), 0) << "sendmail failed";
    }
  }
  const std::string token_ = "mailprobe-mailq-test-" + std::to_string(::getpid());

 private:
  bool held_ = false;
  bool sent_ = false;
};

TEST_F(MailqLab, EmptyQueueIsOk) {
  auto waited = wait_for_queue(0);
  ASSERT_EQ(unsent(waited), 0) << "the lab's queue did not empty\n" << waited.output;
  auto run = run_plugin(postfix_mailq({"-w", "1", "-c", "5", "-W", "2", "-C", "4"}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.first_line().rfind("MAILQ OK - postfix queue is empty | unsent=0;", 0), 0u)
      << run.output;
  EXPECT_NE(run.output.find("\\_ [OK] no recipient domain has queued mail"), std::string::npos)
      << run.output;
}

TEST_F(MailqLab, HeldMailIsCountedAndDrainsOnRelease) {
  ASSERT_NO_FATAL_FAILURE(hold());
  ASSERT_NO_FATAL_FAILURE(send(2));
  auto queued = wait_for_queue(2);
  ASSERT_EQ(unsent(queued), 2) << "2 held messages did not show up within 10 s\n" << queued.output;

  auto warn = run_plugin(postfix_mailq({"-w", "1", "-c", "5"}));
  EXPECT_EQ(warn.exit_code, 1) << warn.output;
  EXPECT_EQ(warn.first_line().rfind("MAILQ WARNING - postfix queue holds 2 messages (warning "
                                    "from 1) | unsent=2;",
                                    0),
            0u)
      << warn.output;

  auto crit = run_plugin(postfix_mailq({"-w", "1", "-c", "2"}));
  EXPECT_EQ(crit.exit_code, 2) << crit.output;
  EXPECT_EQ(crit.first_line().rfind(
                "MAILQ CRITICAL - postfix queue holds 2 messages (critical from 2) |", 0),
            0u)
      << crit.output;

  auto domain = run_plugin(postfix_mailq({"-w", "5", "-c", "9", "-W", "1", "-C", "3"}));
  EXPECT_EQ(domain.exit_code, 1) << domain.output;
  EXPECT_NE(domain.output.find("\n\\_ [WARNING] 2 messages queued for example.test\n"),
            std::string::npos)
      << domain.output;
  EXPECT_TRUE(std::regex_search(domain.first_line(), std::regex(R"( largest_domain=2;)")))
      << domain.output;

  release();
  auto drained = wait_for_queue(0);
  EXPECT_EQ(unsent(drained), 0) << "the queue did not empty within 10 s of release\n"
                                << drained.output;
  auto ok = run_plugin(postfix_mailq({"-w", "1", "-c", "5"}));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(ok.first_line().rfind("MAILQ OK - postfix queue is empty |", 0), 0u) << ok.output;
}

// --- options and other queue commands --------------------------------------------------------

TEST(CheckMailq, OptionErrorsAreUnknown) {
  auto equal = run_plugin(postfix_mailq({"-w", "5", "-c", "5"}));
  EXPECT_EQ(equal.exit_code, 3) << equal.output;
  EXPECT_EQ(equal.first_line(), "MAILQ UNKNOWN - -w 5 must be less than -c 5") << equal.output;
  auto sendmail = run_plugin({"check_mailq", "-M", "sendmail", "-w", "1", "-c", "5"});
  EXPECT_EQ(sendmail.exit_code, 3) << sendmail.output;
  EXPECT_EQ(sendmail.first_line().rfind("MAILQ UNKNOWN - -M 'sendmail' is not supported", 0), 0u)
      << sendmail.output;
}

// Executable shell scripts standing in for `exim -bpc`, removed afterwards.
class QueueCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mailprobe-mailq-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string script(const std::string& name, const std::string& body) {
    auto path = dir_ / name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    return path.string();
  }
  PluginRun exim(const std::string& command, std::initializer_list<std::string> extra) {
    std::vector<std::string> argv{"check_mailq", "-M", "exim", "--queue-command", command};
    argv.insert(argv.end(), extra);
    return run_plugin(argv);
  }
  std::filesystem::path dir_;
};

TEST_F(QueueCommands, EximCountAgainstThresholds) {
  auto three = script("exim", "echo 3");
  auto warn = exim(three, {"-w", "2", "-c", "5"});
  EXPECT_EQ(warn.exit_code, 1) << warn.output;
  EXPECT_EQ(warn.first_line().rfind(
                "MAILQ WARNING - exim queue holds 3 messages (warning from 2) | unsent=3;", 0),
            0u)
      << warn.output;
  auto crit = exim(three, {"-w", "1", "-c", "3"});
  EXPECT_EQ(crit.exit_code, 2) << crit.output;
  auto ok = exim(three, {"-w", "5", "-c", "9"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(ok.first_line().rfind("MAILQ OK - exim queue holds 3 messages |", 0), 0u) << ok.output;
}

TEST_F(QueueCommands, FailingCommandIsCriticalWithItsMessage) {
  auto failing = script("exim", "echo 'exim: spool directory unreadable' >&2\nexit 1");
  auto run = exim(failing, {"-w", "2", "-c", "5"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_EQ(run.first_line(),
            "MAILQ CRITICAL - " + failing + " -bpc exited with 1: exim: spool directory unreadable")
      << run.output;
}

TEST_F(QueueCommands, OutputThatIsNotACountIsUnknown) {
  auto chatty = script("exim", "echo 'Mail queue is empty'");
  auto run = exim(chatty, {"-w", "2", "-c", "5"});
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_EQ(run.first_line(),
            "MAILQ UNKNOWN - " + chatty + " -bpc printed 'Mail queue is empty', not a count")
      << run.output;
  auto missing = exim((dir_ / "missing").string(), {"-w", "2", "-c", "5"});
  EXPECT_EQ(missing.exit_code, 3) << missing.output;
  EXPECT_NE(missing.first_line().find("cannot run"), std::string::npos) << missing.output;
}

TEST_F(QueueCommands, PerDomainCountsAreForPostfixOnly) {
  auto run = exim(script("exim", "echo 0"), {"-w", "2", "-c", "5", "-W", "1"});
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_EQ(run.first_line(),
            "MAILQ UNKNOWN - -W/-C (per-domain counts) are supported for Postfix only")
      << run.output;
}

TEST_F(QueueCommands, HangingCommandTimesOut) {
  auto slow = script("exim", "exec sleep 30");
  auto run = exim(slow, {"-w", "2", "-c", "5", "-t", "1"});
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_EQ(run.first_line(), "MAILQ UNKNOWN - timeout after 1.0 s waiting for " + slow)
      << run.output;
}

// Sudo wrappers and shell scripts are what --queue-command is for: at the deadline their
// children must die too, or they keep the output open.
TEST_F(QueueCommands, HangingScriptWithAChildTimesOutOnTime) {
  auto slow = script("exim", "sleep 30\necho 0");
  auto started = Clock::now();
  auto run = exim(slow, {"-w", "2", "-c", "5", "-t", "1"});
  auto took = std::chrono::duration<double>(Clock::now() - started).count();
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_EQ(run.first_line(), "MAILQ UNKNOWN - timeout after 1.0 s waiting for " + slow)
      << run.output;
  EXPECT_LT(took, 10.0) << "check_mailq -t 1 ran for " << took << " s\n" << run.output;
}

}  // namespace
}  // namespace mailprobe::test
