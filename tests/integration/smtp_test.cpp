// check_smtp and check_ssmtp against the lab's Postfix: every TLS mode, logins, the seed's
// command lines, certificates and thresholds.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
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

// What the dynamic loader opened during one plugin run (LD_DEBUG=libs, written to files
// named PREFIX.PID).
std::string libraries_loaded(const std::vector<std::string>& argv, const std::string& name) {
  auto prefix = std::filesystem::temp_directory_path() /
                ("mailprobe-ld-" + name + "-" + std::to_string(::getpid()));
  auto run = run_plugin(argv, {{"LD_DEBUG", "libs"}, {"LD_DEBUG_OUTPUT", prefix.string()}});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  std::string log;
  for (const auto& entry : std::filesystem::directory_iterator(prefix.parent_path())) {
    if (entry.path().filename().string().starts_with(prefix.filename().string() + ".")) {
      std::ifstream file(entry.path());
      log.append(std::istreambuf_iterator<char>(file), {});
      std::filesystem::remove(entry.path());
    }
  }
  return log;
}

// OpenSSL is loaded at its first call (cmake/openssl_on_demand.cmake): a check without TLS
// never maps libssl or libcrypto, one with TLS does.
TEST(CheckSmtp, OpensslIsLoadedOnlyWhenTlsIsSpoken) {
#ifndef MAILPROBE_OPENSSL_ON_DEMAND
  GTEST_SKIP() << "OpenSSL is linked at start in this build";
#endif
  auto plain = libraries_loaded(smtp({"-p", lab("LAB_SMTP_PORT")}), "plain");
  EXPECT_NE(plain.find("calling init"), std::string::npos) << plain;  // the log was written
  EXPECT_EQ(plain.find("libssl"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("libcrypto"), std::string::npos) << plain;
  auto tls = libraries_loaded(
      smtp({"-p", lab("LAB_SMTP_PORT"), "-S", "--ca-file", lab("LAB_CA_FILE")}), "tls");
  EXPECT_NE(tls.find("libssl.so"), std::string::npos) << tls;
  EXPECT_NE(tls.find("libcrypto.so"), std::string::npos) << tls;
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

// A perfdata value ("banner", "tls", "time") of a plugin's first line, or -1.
double perfdata(const PluginRun& run, const std::string& label) {
  std::smatch match;
  auto line = run.first_line();
  if (!std::regex_search(line, match, std::regex(" " + label + "=([0-9.]+)s"))) return -1;
  return std::stod(match[1]);
}

// The median of `label` over 7 runs of `argv`.
double median_of(const std::vector<std::string>& argv, const std::string& label,
                 const std::string& minus = "") {
  std::vector<double> values;
  for (int i = 0; i < 7; ++i) {
    auto run = run_plugin(argv);
    EXPECT_EQ(run.exit_code, 0) << run.output;
    values.push_back(perfdata(run, label) - (minus.empty() ? 0.0 : perfdata(run, minus)));
  }
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Postfix answers at once after a TLS handshake, but its Nagle algorithm holds the answer
// until the client acknowledges the session tickets it sent first, and Linux delays that
// acknowledgement by 40 ms: every reply after TLS looked 40 ms slower than the server was.
// The first reply after TLS must cost what it costs without TLS, within a few ms.
TEST(CheckSmtpTiming, TheFirstReplyAfterTlsIsTheServersTimeNotADelayedAck) {
  auto plain = smtp({"-p", lab("LAB_SMTP_PORT")});
  auto implicit = smtp({"-p", lab("LAB_SMTPS_PORT"), "-s", "--ca-file", lab("LAB_CA_FILE")});
  auto starttls = smtp({"-p", lab("LAB_SMTP_PORT"), "-S", "--ca-file", lab("LAB_CA_FILE")});
  double plain_banner = median_of(plain, "banner");
  double implicit_banner = median_of(implicit, "banner");
  EXPECT_LT(implicit_banner, plain_banner + 0.015)
      << "banner after implicit TLS " << implicit_banner << " s, without TLS " << plain_banner;
  // With STARTTLS: the whole dialogue but the handshake, against the same without TLS (two
  // more exchanges of well under a millisecond each: STARTTLS and the second EHLO).
  double plain_time = median_of(plain, "time");
  double starttls_rest = median_of(starttls, "time", "tls");
  EXPECT_LT(starttls_rest, plain_time + 0.015) << "STARTTLS dialogue without the handshake "
                                               << starttls_rest << " s, without TLS " << plain_time;
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

// A one-shot check builds its TLS context once connected, and OpenSSL's error texts are
// loaded only for an error (net/openssl_texts.hpp): libcrypto's and libssl's still show.
TEST(CheckSmtp, OpensslErrorTextsAreThereWhenAnErrorIsTold) {
  auto not_pem = std::filesystem::temp_directory_path() /
                 ("mailprobe-not-pem-" + std::to_string(getpid()) + ".pem");
  std::ofstream(not_pem) << "not a certificate\n";
  auto run = run_plugin(smtp({"-p", lab("LAB_SMTP_PORT"), "-S", "--ca-file", not_pem.string()}));
  std::filesystem::remove(not_pem);
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_NE(run.first_line().find("no certificate or crl found (x509 certificate routines)"),
            std::string::npos)
      << run.output;
  // Implicit TLS to the plain port: the server's banner is not a TLS record.
  auto plain = run_plugin({"check_ssmtp", "-H", "localhost", "-p", lab("LAB_SMTP_PORT")});
  EXPECT_EQ(plain.exit_code, 2) << plain.output;
  EXPECT_NE(plain.first_line().find("(SSL routines)"), std::string::npos) << plain.output;
}

// The CA file is still checked before anything is sent: a missing one is the configuration's
// fault (UNKNOWN), whether or not the server answers (nothing listens on port 1).
TEST(CheckSmtp, AMissingCaFileIsToldBeforeConnecting) {
  auto run = run_plugin(smtp({"-p", "1", "-S", "--ca-file", "/nonexistent/ca.pem"}));
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_NE(run.first_line().find("cannot load CA file '/nonexistent/ca.pem': No such file"),
            std::string::npos)
      << run.output;
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
