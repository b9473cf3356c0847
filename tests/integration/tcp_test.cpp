// check_tcp against the lab's Postfix and Dovecot ports: connect-only checks, expect strings,
// implicit TLS, refused connections, thresholds, output formats, -m and the quit string
// (whose effect is read from Postfix's own log).

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "support/plugin_runner.hpp"

namespace mailprobe::test {
namespace {

std::vector<std::string> tcp(std::initializer_list<std::string> extra) {
  std::vector<std::string> argv{"check_tcp", "-H", "127.0.0.1"};
  argv.insert(argv.end(), extra);
  return argv;
}

bool has(const PluginRun& run, const std::string& text) {
  return run.output.find(text) != std::string::npos;
}

// A loopback port that nothing listens on: the kernel's pick, released again.
std::string closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), size);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return std::to_string(ntohs(address.sin_port));
}

// Postfix writes its log through postlogd, a moment after the session ended.
std::size_t count_in_postfix_log(const std::string& text) {
  std::ifstream log(lab("LAB_POSTFIX_LOG"));
  std::stringstream content;
  content << log.rdbuf();
  auto all = content.str();
  std::size_t count = 0;
  for (auto at = all.find(text); at != std::string::npos; at = all.find(text, at + 1))
    ++count;
  return count;
}

bool postfix_log_grows(const std::string& text, std::size_t before) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (count_in_postfix_log(text) > before) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

const std::string banner = "220 mx.example.test ESMTP mailprobe lab";

TEST(CheckTcp, ConnectOnlyReadsNothing) {
  auto run = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-v"}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(std::regex_search(
      run.first_line(),
      std::regex(R"(^TCP OK - \d+\.\d{3} second response time on 127\.0\.0\.1 port )" +
                 lab("LAB_SMTP_PORT") + R"( \| time=[0-9.]+s;;;0;10 connect=)")))
      << run.output;
  EXPECT_FALSE(has(run, "220")) << run.output;
  EXPECT_FALSE(has(run, "\nS: ")) << run.output;
}

TEST(CheckTcp, ExpectIsASubstringOfTheResponse) {
  for (const std::string expect : {"220", "ESMTP", "mailprobe lab"}) {
    auto run = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-e", expect}));
    EXPECT_EQ(run.exit_code, 0) << expect << "\n" << run.output;
    EXPECT_NE(run.first_line().find("[" + banner + "]"), std::string::npos) << run.output;
  }
}

TEST(CheckTcp, ExpectMismatchIsAWarning) {
  auto run = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-e", "554"}));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_EQ(
      run.first_line().rfind("TCP WARNING - Unexpected response from host/socket: " + banner, 0),
      0u)
      << run.output;
}

TEST(CheckTcp, AnyExpectMatchesUnlessAll) {
  auto any = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-e", "554", "-e", "220"}));
  EXPECT_EQ(any.exit_code, 0) << any.output;
  auto all = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-e", "554", "-e", "220", "-A"}));
  EXPECT_EQ(all.exit_code, 1) << all.output;
}

TEST(CheckTcp, SendWithEscapes) {
  auto run = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-E", "-s", "QUIT\\r\\n", "-e", "221"}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.first_line().find("[" + banner + " / 221 2.0.0 Bye]"), std::string::npos)
      << run.output;
}

TEST(CheckTcp, ImplicitTlsWithDashS) {
  auto run = run_plugin(
      tcp({"-p", lab("LAB_IMAPS_PORT"), "-S", "--ca-file", lab("LAB_CA_FILE"), "-e", "* OK"}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.first_line().find("mailprobe lab ready.]"), std::string::npos) << run.output;
  EXPECT_NE(run.first_line().find(" tls="), std::string::npos) << run.output;
  EXPECT_NE(run.first_line().find(" cert_days="), std::string::npos) << run.output;
  EXPECT_TRUE(has(run, ", verified\n")) << run.output;
}

TEST(CheckTcp, TlsWithoutTheLabCaIsNotTrusted) {
  auto run = run_plugin(tcp({"-p", lab("LAB_IMAPS_PORT"), "-S"}));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.first_line().find("is not trusted"), std::string::npos) << run.output;
}

TEST(CheckTcp, RefusedStateIsConfigurable) {
  auto port = closed_port();
  auto crit = run_plugin(tcp({"-p", port}));
  EXPECT_EQ(crit.exit_code, 2) << crit.output;
  EXPECT_EQ(crit.first_line(), "TCP CRITICAL - connection refused by 127.0.0.1:" + port)
      << crit.output;
  auto warn = run_plugin(tcp({"-p", port, "-r", "warn"}));
  EXPECT_EQ(warn.exit_code, 1) << warn.output;
  EXPECT_EQ(warn.first_line().rfind("TCP WARNING - connection refused", 0), 0u) << warn.output;
  auto ok = run_plugin(tcp({"-p", port, "-r", "ok"}));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(ok.first_line().rfind("TCP OK - connection refused", 0), 0u) << ok.output;
}

TEST(CheckTcp, OptionErrorsAreUnknown) {
  auto no_port = run_plugin({"check_tcp", "-H", "127.0.0.1"});
  EXPECT_EQ(no_port.exit_code, 3) << no_port.output;
  EXPECT_EQ(no_port.first_line(), "TCP UNKNOWN - no port given (-p)") << no_port.output;
  auto no_host = run_plugin({"check_tcp", "-p", lab("LAB_SMTP_PORT")});
  EXPECT_EQ(no_host.exit_code, 3) << no_host.output;
  EXPECT_EQ(no_host.first_line(), "TCP UNKNOWN - no host given (-H)") << no_host.output;
  auto refuse = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-r", "foo"}));
  EXPECT_EQ(refuse.exit_code, 3) << refuse.output;
  EXPECT_EQ(refuse.first_line(), "TCP UNKNOWN - -r 'foo': use ok, warn or crit") << refuse.output;
  auto range = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-w", "abc"}));
  EXPECT_EQ(range.exit_code, 3) << range.output;
  EXPECT_EQ(range.first_line().rfind("TCP UNKNOWN - warning range 'abc'", 0), 0u) << range.output;
  auto port = run_plugin(tcp({"-p", "70000"}));
  EXPECT_EQ(port.exit_code, 3) << port.output;
  EXPECT_EQ(port.first_line(),
            "TCP UNKNOWN - -p: '70000' is out of range (from 1 to 65535) (see check_tcp --help)")
      << port.output;
  auto login = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "--user", "x", "--password-file",
                               lab("LAB_RECEIVER_PASSWORD_FILE")}));
  EXPECT_EQ(login.exit_code, 3) << login.output;
  EXPECT_EQ(login.first_line(), "TCP UNKNOWN - --user logs in over POP3 or IMAP only")
      << login.output;
}

TEST(CheckTcp, ResponseTimeThresholds) {
  auto ok = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-w", "5", "-c", "10"}));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_TRUE(std::regex_search(ok.first_line(), std::regex(R"( time=[0-9.]+s;5;10;0;10 )")))
      << ok.output;
  auto warn = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-w", "0.000001", "-c", "60"}));
  EXPECT_EQ(warn.exit_code, 1) << warn.output;
  EXPECT_TRUE(has(warn, "\\_ [WARNING] response time ")) << warn.output;
  auto crit = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-w", "0.000001", "-c", "0.000002"}));
  EXPECT_EQ(crit.exit_code, 2) << crit.output;
  EXPECT_TRUE(has(crit, "\\_ [CRITICAL] response time ")) << crit.output;
  // A Nagios range: "10:" alerts below 10 seconds.
  auto range = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-w", "10:"}));
  EXPECT_EQ(range.exit_code, 1) << range.output;
  EXPECT_TRUE(std::regex_search(range.first_line(), std::regex(R"( time=[0-9.]+s;10:;;0;10 )")))
      << range.output;
}

TEST(CheckTcp, DeadlineWhileCollectingJudgesWhatArrived) {
  // -d keeps reading for 3 s after the banner; the whole check may take 1: the banner that
  // did arrive is judged (a mismatch), not reported as a timeout.
  auto run = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-e", "nomatch", "-d", "3", "-t", "1"}));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_EQ(run.first_line().rfind("TCP WARNING - Unexpected response from host/socket: 220 ", 0),
            0u)
      << run.output;
  EXPECT_NE(run.output.find("note: stopped reading the response at the deadline (-t)"),
            std::string::npos)
      << run.output;
}

TEST(CheckTcp, JsonOutput) {
  auto run = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-e", "220", "--output-format", "json"}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output.rfind(R"({"service":"TCP","state":"OK","exit_code":0,"summary":")", 0), 0u)
      << run.output;
  EXPECT_TRUE(has(run, banner)) << run.output;
  EXPECT_TRUE(has(run, R"("metrics":[{"name":"time",)")) << run.output;
  EXPECT_TRUE(has(run, R"("failure":null)")) << run.output;
  auto bad = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "--output-format", "yaml"}));
  EXPECT_EQ(bad.exit_code, 3) << bad.output;
  EXPECT_EQ(bad.first_line(), "TCP UNKNOWN - --output-format 'yaml': use nagios or json")
      << bad.output;
}

TEST(CheckTcp, PositionalHost) {
  auto run = run_plugin({"check_tcp", "127.0.0.1", "-p", lab("LAB_SMTP_PORT"), "-e", "220"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.first_line().find(" on 127.0.0.1 port " + lab("LAB_SMTP_PORT") + " ["),
            std::string::npos)
      << run.output;
}

TEST(CheckTcp, SubcommandIsTheSameAsTheSymlink) {
  // The same first line once the measured times are blanked out.
  auto blank = [](const std::string& line) {
    return std::regex_replace(line, std::regex(R"(\d+\.\d+)"), "T");
  };
  auto symlink = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-e", "220", "-w", "5"}));
  auto subcommand = run_plugin({"mailprobe", "check", "tcp", "-H", "127.0.0.1", "-p",
                                lab("LAB_SMTP_PORT"), "-e", "220", "-w", "5"});
  EXPECT_EQ(subcommand.exit_code, symlink.exit_code) << subcommand.output;
  EXPECT_EQ(blank(subcommand.first_line()), blank(symlink.first_line()))
      << symlink.output << subcommand.output;
  EXPECT_EQ(subcommand.first_line().rfind("TCP OK - ", 0), 0u) << subcommand.output;
}

TEST(CheckTcp, MaxBytesCutsTheResponse) {
  auto cut = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-e", "220", "-m", "10"}));
  EXPECT_EQ(cut.exit_code, 0) << cut.output;
  EXPECT_NE(cut.first_line().find(" [220 mx.exa] |"), std::string::npos) << cut.output;
  // What lies beyond -m bytes cannot match.
  auto beyond = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-e", "lab", "-m", "10"}));
  EXPECT_EQ(beyond.exit_code, 1) << beyond.output;
  EXPECT_EQ(beyond.first_line().rfind("TCP WARNING - Unexpected response from host/socket: "
                                      "220 mx.exa |",
                                      0),
            0u)
      << beyond.output;
}

TEST(CheckTcp, QuitStringGetsALineEndWithoutEscapes) {
  // Without -E the quit string is sent as written plus CRLF, so Postfix runs the command;
  // a lone RSET is this test's fingerprint in the log.
  const std::string fingerprint = " rset=1 commands=1\n";
  auto before = count_in_postfix_log(fingerprint);
  auto run = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-e", "220", "-q", "RSET", "-v"}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(has(run, "\nC: RSET\n")) << run.output;
  EXPECT_TRUE(postfix_log_grows(fingerprint, before)) << "Postfix did not log an RSET session\n"
                                                      << run.output;
  // Backslash sequences stay literal without -E.
  auto literal =
      run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-e", "220", "-q", "NOOP\\r\\nQUIT", "-v"}));
  EXPECT_EQ(literal.exit_code, 0) << literal.output;
  EXPECT_TRUE(has(literal, "\nC: NOOP\\r\\nQUIT\n")) << literal.output;
}

TEST(CheckTcp, QuitStringWithEscapesIsSentAsIs) {
  // With -E, \r\n become line ends: Postfix sees seven NOOPs and a QUIT.
  const std::string fingerprint = " noop=7 quit=1 commands=8\n";
  auto before = count_in_postfix_log(fingerprint);
  std::string quit;
  for (int i = 0; i < 7; ++i)
    quit += "NOOP\\r\\n";
  quit += "QUIT\\r\\n";
  auto run = run_plugin(tcp({"-p", lab("LAB_SMTP_PORT"), "-e", "220", "-E", "-q", quit, "-v"}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(has(run, "\nC: NOOP\nC: NOOP\n")) << run.output;
  EXPECT_TRUE(has(run, "\nC: QUIT\n")) << run.output;
  EXPECT_TRUE(postfix_log_grows(fingerprint, before)) << "Postfix did not log the NOOP session\n"
                                                      << run.output;
}

}  // namespace
}  // namespace mailprobe::test
