// check_smtp and check_ssmtp against the lab's Postfix: every TLS mode, logins, the seed's
// command lines, certificates and thresholds.

#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "support/plugin_runner.hpp"

namespace mailprobe::test {
namespace {

std::vector<std::string> smtp(std::initializer_list<std::string> extra) {
  std::vector<std::string> argv{"check_smtp", "-H", "localhost"};
  argv.insert(argv.end(), extra);
  return argv;
}

TEST(CheckSmtp, PlainPortInTheMonitoringPluginsFormat) {
  auto run = run_plugin(smtp({"-p", lab("LAB_SMTP_PORT")}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(std::regex_search(
      run.first_line(),
      std::regex(R"(^SMTP OK - \d+\.\d{3} sec\. response time \| time=[0-9.]+s;;;0;10 )")))
      << run.output;
}

TEST(CheckSmtp, StartTlsWithAuthNegotiatedFromEhlo) {
  auto run = run_plugin(
      smtp({"-p", lab("LAB_SUBMISSION_PORT"), "-S", "--ca-file", lab("LAB_CA_FILE"), "-U",
            lab("LAB_SENDER"), "--password-file", lab("LAB_SENDER_PASSWORD_FILE")}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("AUTH PLAIN as sender@example.test accepted"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("verified"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find(" tls="), std::string::npos) << run.output;
  EXPECT_NE(run.output.find(" auth="), std::string::npos) << run.output;
  EXPECT_NE(run.output.find(" cert_days="), std::string::npos) << run.output;
}

TEST(CheckSmtp, AuthLoginAsTheSeedWritesIt) {
  // check_smtp -H host -p 587 -S -D 30,14 -A LOGIN -U u -P p
  std::string password = [] {
    std::ifstream file(lab("LAB_SENDER_PASSWORD_FILE"));
    std::string line;
    std::getline(file, line);
    return line;
  }();
  auto run =
      run_plugin(smtp({"-p", lab("LAB_SUBMISSION_PORT"), "-S", "-D", "30,14", "-A", "LOGIN", "-U",
                       lab("LAB_SENDER"), "-P", password, "--ca-file", lab("LAB_CA_FILE")}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("AUTH LOGIN as"), std::string::npos) << run.output;
}

TEST(CheckSmtp, ImplicitTlsOnSmtps) {
  auto run =
      run_plugin(smtp({"-p", lab("LAB_SMTPS_PORT"), "-s", "--ca-file", lab("LAB_CA_FILE"), "-U",
                       lab("LAB_SENDER"), "--password-file", lab("LAB_SENDER_PASSWORD_FILE")}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

TEST(CheckSmtp, SeedRecipientCheck) {
  // check_smtp -H host -f "from@x" -C "RCPT TO:<to@y>" -R "250"
  auto ok = run_plugin(smtp({"-p", lab("LAB_SMTP_PORT"), "-f", lab("LAB_SENDER"), "-C",
                             "RCPT TO:<" + lab("LAB_RECEIVER") + ">", "-R", "250"}));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  auto relay = run_plugin(smtp({"-p", lab("LAB_SMTP_PORT"), "-f", lab("LAB_SENDER"), "-C",
                                "RCPT TO:<someone@elsewhere.example>", "-R", "250"}));
  EXPECT_EQ(relay.exit_code, 1) << relay.output;
  EXPECT_NE(relay.output.find("Relay access denied"), std::string::npos) << relay.output;
}

TEST(CheckSmtp, AuthWithoutTlsIsNotOfferedOnSubmission) {
  auto run = run_plugin(smtp({"-p", lab("LAB_SUBMISSION_PORT"), "-U", lab("LAB_SENDER"),
                              "--password-file", lab("LAB_SENDER_PASSWORD_FILE")}));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.first_line().find("offers no AUTH mechanism"), std::string::npos) << run.output;
}

TEST(CheckSmtp, CertificateDaysThresholds) {
  auto warn = run_plugin(
      smtp({"-p", lab("LAB_SMTP_PORT"), "-S", "-D", "400", "--ca-file", lab("LAB_CA_FILE")}));
  EXPECT_EQ(warn.exit_code, 1) << warn.output;
  auto crit = run_plugin(
      smtp({"-p", lab("LAB_SMTP_PORT"), "-D", "400,380", "--ca-file", lab("LAB_CA_FILE")}));
  EXPECT_EQ(crit.exit_code, 2) << crit.output;
  EXPECT_TRUE(
      std::regex_search(crit.output, std::regex(R"( cert_days=36[45](\.\d+)?;400:;380:\s)")))
      << crit.output;
}

TEST(CheckSmtp, UntrustedWithoutTheLabCa) {
  auto run = run_plugin(smtp({"-p", lab("LAB_SMTP_PORT"), "-S"}));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.first_line().find("is not trusted"), std::string::npos) << run.output;
}

TEST(CheckSmtp, InsecureIsReportedInTheOutput) {
  auto run = run_plugin(smtp({"-p", lab("LAB_SMTP_PORT"), "-S", "--insecure"}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("certificate verification disabled (--insecure)"), std::string::npos)
      << run.output;
}

TEST(CheckSmtp, ExpectMismatchIsAWarning) {
  auto run = run_plugin(smtp({"-p", lab("LAB_SMTP_PORT"), "-e", "221"}));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.first_line().find("invalid SMTP banner"), std::string::npos) << run.output;
}

TEST(CheckSmtp, ResponseTimeThresholdsAreNotSwapped) {
  auto warn = run_plugin(smtp({"-p", lab("LAB_SMTP_PORT"), "-w", "0.000001", "-c", "60"}));
  EXPECT_EQ(warn.exit_code, 1) << warn.output;
  auto crit = run_plugin(smtp({"-p", lab("LAB_SMTP_PORT"), "-w", "0.000001", "-c", "0.000002"}));
  EXPECT_EQ(crit.exit_code, 2) << crit.output;
  EXPECT_NE(crit.output.find(";0.000001;0.000002;0;10"), std::string::npos) << crit.output;
}

TEST(CheckSmtp, LmtpWithLhlo) {
  auto run = run_plugin(smtp({"-p", lab("LAB_LMTP_PORT"), "-L"}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.first_line().rfind("LMTP OK", 0), 0u) << run.output;
}

TEST(CheckSmtp, JsonOutput) {
  auto run = run_plugin(smtp({"-p", lab("LAB_SMTP_PORT"), "--output-format", "json"}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output.rfind(R"({"service":"SMTP","state":"OK","exit_code":0,)", 0), 0u)
      << run.output;
}

TEST(CheckSmtp, SubcommandIsTheSameAsTheSymlink) {
  auto run =
      run_plugin({"mailprobe", "check", "smtp", "-H", "localhost", "-p", lab("LAB_SMTP_PORT")});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.first_line().rfind("SMTP OK", 0), 0u) << run.output;
}

TEST(CheckSsmtp, DefaultsToImplicitTls) {
  auto run = run_plugin({"check_ssmtp", "-H", "localhost", "-p", lab("LAB_SMTPS_PORT"), "--ca-file",
                         lab("LAB_CA_FILE")});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.first_line().find("[220 "), std::string::npos) << run.output;
}

// Last: a failed login makes the servers slow down further logins from this address.
TEST(CheckSmtpZ, WrongPasswordIsCriticalWithTheServersReply) {
  auto run =
      run_plugin(smtp({"-p", lab("LAB_SUBMISSION_PORT"), "-S", "--ca-file", lab("LAB_CA_FILE"),
                       "-U", lab("LAB_SENDER"), "--password-env", "WRONG_PASSWORD", "-t", "20"}),
                 {{"WRONG_PASSWORD", "not-the-password"}});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.first_line().find("AUTH PLAIN failed: 535"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace mailprobe::test
