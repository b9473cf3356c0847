// check_pop, check_spop, check_imap and check_simap against the lab's Dovecot: the default
// checks, every TLS mode, native logins, the seed's send/expect lines, certificates and
// expect handling. Failed logins come last (suite PopImapZ): Dovecot slows down further
// logins from an address after one.

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fstream>
#include <regex>

#include "support/plugin_runner.hpp"
#include "support/port_forwarder.hpp"

namespace mailprobe::test {
namespace {

std::string password_in(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(data.data()),
                           static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The password as an IMAP quoted string carries it: backslash and double quote escaped.
std::string imap_quoted(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

// `plugin -H host extra...`
std::vector<std::string> check(const std::string& plugin, std::initializer_list<std::string> extra,
                               const std::string& host = "127.0.0.1") {
  std::vector<std::string> argv{plugin, "-H", host};
  argv.insert(argv.end(), extra);
  return argv;
}

bool has(const PluginRun& run, const std::string& text) {
  return run.output.find(text) != std::string::npos;
}

// --- default checks ------------------------------------------------------------------------

TEST(CheckPop, DefaultCheckInTheMonitoringPluginsFormat) {
  auto run = run_plugin(check("check_pop", {"-p", lab("LAB_POP3_PORT")}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(std::regex_search(
      run.first_line(),
      std::regex(R"(^POP OK - \d+\.\d{3} second response time on 127\.0\.0\.1 port )" +
                 lab("LAB_POP3_PORT") +
                 R"( \[\+OK mailprobe lab ready\.\] \| time=[0-9.]+s;;;0;10( |$))")))
      << run.output;
}

TEST(CheckImap, DefaultCheckInTheMonitoringPluginsFormat) {
  auto run = run_plugin(check("check_imap", {"-p", lab("LAB_IMAP_PORT")}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(std::regex_search(
      run.first_line(),
      std::regex(
          R"(^IMAP OK - \d+\.\d{3} second response time on 127\.0\.0\.1 port )" +
          lab("LAB_IMAP_PORT") +
          R"( \[\* OK \[CAPABILITY [^\]]*\] mailprobe lab ready\.\] \| time=[0-9.]+s;;;0;10( |$))")))
      << run.output;
}

TEST(CheckPopImap, DefaultPortsAre110And995And143And993) {
  FORWARD_OR_SKIP(pop3, 110, "LAB_POP3_PORT");
  FORWARD_OR_SKIP(pop3s, 995, "LAB_POP3S_PORT");
  FORWARD_OR_SKIP(imap, 143, "LAB_IMAP_PORT");
  FORWARD_OR_SKIP(imaps, 993, "LAB_IMAPS_PORT");
  for (const auto& [plugin, expected] : std::vector<std::pair<std::string, std::string>>{
           {"check_pop", R"(^POP OK - .* port 110 \[\+OK )"},
           {"check_spop", R"(^SPOP OK - .* port 995 \[\+OK .* tls=)"},
           {"check_imap", R"(^IMAP OK - .* port 143 \[\* OK )"},
           {"check_simap", R"(^SIMAP OK - .* port 993 \[\* OK .* tls=)"}}) {
    auto run = run_plugin(check(plugin, {"--ca-file", lab("LAB_CA_FILE")}));
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_TRUE(std::regex_search(run.first_line(), std::regex(expected))) << run.output;
  }
}

TEST(CheckPop, SubcommandIsTheSameAsTheSymlink) {
  auto run =
      run_plugin({"mailprobe", "check", "pop", "-H", "127.0.0.1", "-p", lab("LAB_POP3_PORT")});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.first_line().rfind("POP OK - ", 0), 0u) << run.output;
}

// --- TLS modes -----------------------------------------------------------------------------

// A verified TLS session, and in the -v transcript the mode that was used: the upgrade
// command and its reply, or (implicit TLS) the handshake before the greeting.
const std::string pop3_stls = R"(\nC: STLS\nS: \+OK)";
const std::string imap_starttls = R"(\nC: \S+ STARTTLS\nS: \S+ OK)";
const std::string pop3_implicit = R"(\n\* TLS [^\n]*\nS: \+OK)";
const std::string imap_implicit = R"(\n\* TLS [^\n]*\nS: \* OK)";

void expect_tls(const std::string& plugin, std::vector<std::string> options,
                const std::string& prefix, const std::string& transcript) {
  auto argv = check(plugin, {"--ca-file", lab("LAB_CA_FILE"), "-v"});
  argv.insert(argv.end(), options.begin(), options.end());
  auto run = run_plugin(argv);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.first_line().rfind(prefix, 0), 0u) << run.output;
  EXPECT_NE(run.first_line().find(" tls="), std::string::npos) << run.output;
  EXPECT_NE(run.first_line().find(" cert_days="), std::string::npos) << run.output;
  EXPECT_TRUE(has(run, ", verified\n")) << run.output;
  EXPECT_TRUE(std::regex_search(run.output, std::regex(transcript))) << run.output;
}

// -S means STLS/STARTTLS on the standard plain port (110, 143) and implicit TLS on any
// other port, as in monitoring-plugins; --starttls forces STARTTLS on any port.
TEST(CheckPop, DashSOnPort110IsStls) {
  FORWARD_OR_SKIP(pop3, 110, "LAB_POP3_PORT");
  expect_tls("check_pop", {"-S"}, "POP OK - ", pop3_stls);
}

TEST(CheckImap, DashSOnPort143IsStarttls) {
  FORWARD_OR_SKIP(imap, 143, "LAB_IMAP_PORT");
  expect_tls("check_imap", {"-p", "143", "-S"}, "IMAP OK - ", imap_starttls);
}

TEST(CheckPop, StarttlsOptionOnAnyPort) {
  expect_tls("check_pop", {"-p", lab("LAB_POP3_PORT"), "--starttls"}, "POP OK - ", pop3_stls);
}

TEST(CheckImap, StarttlsOptionOnAnyPort) {
  expect_tls("check_imap", {"-p", lab("LAB_IMAP_PORT"), "--starttls"}, "IMAP OK - ", imap_starttls);
}

TEST(CheckPop, DashSOnTheTlsPortIsImplicitTls) {
  expect_tls("check_pop", {"-p", lab("LAB_POP3S_PORT"), "-S"}, "POP OK - ", pop3_implicit);
}

TEST(CheckImap, DashSOnTheTlsPortIsImplicitTls) {
  expect_tls("check_imap", {"-p", lab("LAB_IMAPS_PORT"), "-S"}, "IMAP OK - ", imap_implicit);
}

TEST(CheckSpop, ImplicitTls) {
  expect_tls("check_spop", {"-p", lab("LAB_POP3S_PORT")}, "SPOP OK - ", pop3_implicit);
}

TEST(CheckSimap, ImplicitTls) {
  expect_tls("check_simap", {"-p", lab("LAB_IMAPS_PORT")}, "SIMAP OK - ", imap_implicit);
}

TEST(CheckSpop, StarttlsIsRefusedAsAnOptionError) {
  auto run = run_plugin(check("check_spop", {"-p", lab("LAB_POP3S_PORT"), "--starttls"}));
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_EQ(run.first_line(), "SPOP UNKNOWN - --starttls works with check_pop and check_imap only")
      << run.output;
}

// --- native logins -------------------------------------------------------------------------

// Logs in as `user` and checks what a user sees: OK, the login subcheck, auth timing, and a
// -v transcript with a line matching `command` but neither the password nor its PLAIN blob.
void expect_login(std::vector<std::string> argv, const std::string& user_key,
                  const std::string& password_key, const std::string& command) {
  const auto& user = lab(user_key);
  argv.insert(argv.end(), {"--user", user, "--password-file", lab(password_key), "-v", "-t", "20"});
  auto run = run_plugin(argv);
  auto password = password_in(lab(password_key));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(has(run, "\\_ [OK] logged in as " + user + "\n")) << run.output;
  EXPECT_NE(run.first_line().find(" auth="), std::string::npos) << run.output;
  EXPECT_TRUE(std::regex_search(run.output, std::regex("\nC: " + command + "\n"))) << run.output;
  EXPECT_TRUE(has(run, "<redacted>")) << run.output;
  EXPECT_FALSE(has(run, password)) << run.output;
  EXPECT_FALSE(has(run, imap_quoted(password))) << run.output;
  EXPECT_FALSE(has(run, base64(std::string(1, '\0') + user + '\0' + password))) << run.output;
}

// Each protocol and TLS mode with the default and both mechanisms, for the receiver and for
// odd@, whose password has a space, a double quote and a backslash.
void expect_logins(std::initializer_list<std::string> base,
                   const std::vector<std::pair<std::string, std::string>>& mechanisms) {
  for (const auto& [mechanism, command] : mechanisms) {
    for (const std::string who : {"RECEIVER", "ODD_USER"}) {
      std::vector<std::string> argv = base;
      if (!mechanism.empty()) argv.insert(argv.end(), {"--auth-mechanism", mechanism});
      auto password_key =
          who == "RECEIVER" ? "LAB_RECEIVER_PASSWORD_FILE" : "LAB_ODD_PASSWORD_FILE";
      SCOPED_TRACE((mechanism.empty() ? "default" : mechanism) + " as " + lab("LAB_" + who));
      expect_login(argv, "LAB_" + who, password_key,
                   std::regex_replace(command, std::regex("USER"), lab("LAB_" + who)));
    }
  }
}

const std::vector<std::pair<std::string, std::string>> pop3_mechanisms{
    {"", "PASS <redacted>"}, {"USER", "PASS <redacted>"}, {"PLAIN", "AUTH PLAIN <redacted>"}};
const std::vector<std::pair<std::string, std::string>> imap_mechanisms{
    {"", R"(\S+ LOGIN "USER" <redacted>)"},
    {"LOGIN", R"(\S+ LOGIN "USER" <redacted>)"},
    {"PLAIN", R"(\S+ AUTHENTICATE PLAIN <redacted>)"}};

TEST(CheckPop, LoginsOverStls) {
  expect_logins({"check_pop", "-H", "127.0.0.1", "-p", lab("LAB_POP3_PORT"), "--starttls",
                 "--ca-file", lab("LAB_CA_FILE")},
                pop3_mechanisms);
}

TEST(CheckSpop, LoginsOverImplicitTls) {
  expect_logins({"check_spop", "-H", "127.0.0.1", "-p", lab("LAB_POP3S_PORT"), "--ca-file",
                 lab("LAB_CA_FILE")},
                pop3_mechanisms);
}

TEST(CheckImap, LoginsOverStarttls) {
  expect_logins({"check_imap", "-H", "127.0.0.1", "-p", lab("LAB_IMAP_PORT"), "--starttls",
                 "--ca-file", lab("LAB_CA_FILE")},
                imap_mechanisms);
}

TEST(CheckSimap, LoginsOverImplicitTls) {
  expect_logins({"check_simap", "-H", "127.0.0.1", "-p", lab("LAB_IMAPS_PORT"), "--ca-file",
                 lab("LAB_CA_FILE")},
                imap_mechanisms);
}

// --- the seed's send/expect lines ----------------------------------------------------------

TEST(CheckPop, SeedSendExpectLogin) {
  // check_pop -H host -E -s "USER u\r\nPASS p\r\n" -d 5 -e "ogged in"
  auto password = password_in(lab("LAB_RECEIVER_PASSWORD_FILE"));
  auto send = "USER " + lab("LAB_RECEIVER") + "\\r\\nPASS " + password + "\\r\\n";
  auto run = run_plugin(check(
      "check_pop", {"-p", lab("LAB_POP3_PORT"), "-E", "-s", send, "-d", "5", "-e", "ogged in"}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.first_line().find("+OK Logged in."), std::string::npos) << run.output;

  auto verbose = run_plugin(check("check_pop", {"-p", lab("LAB_POP3_PORT"), "-E", "-s", send, "-d",
                                                "5", "-e", "ogged in", "-v"}));
  EXPECT_EQ(verbose.exit_code, 0) << verbose.output;
  EXPECT_TRUE(has(verbose, "\nC: USER " + lab("LAB_RECEIVER") + "\n")) << verbose.output;
  EXPECT_TRUE(has(verbose, "\nC: PASS <redacted>\n")) << verbose.output;
  EXPECT_FALSE(has(verbose, password)) << verbose.output;
}

TEST(CheckImap, SeedSendExpectLogin) {
  // check_imap -H host -E -s "pr01 LOGIN u p\r\n" -d 5 -e "pr01 OK"
  auto password = password_in(lab("LAB_RECEIVER_PASSWORD_FILE"));
  auto send = "pr01 LOGIN " + lab("LAB_RECEIVER") + " " + password + "\\r\\n";
  auto run = run_plugin(check(
      "check_imap", {"-p", lab("LAB_IMAP_PORT"), "-E", "-s", send, "-d", "5", "-e", "pr01 OK"}));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.first_line().find("pr01 OK ["), std::string::npos) << run.output;
  EXPECT_NE(run.first_line().find("] Logged in]"), std::string::npos) << run.output;

  auto verbose = run_plugin(check("check_imap", {"-p", lab("LAB_IMAP_PORT"), "-E", "-s", send, "-d",
                                                 "5", "-e", "pr01 OK", "-v"}));
  EXPECT_EQ(verbose.exit_code, 0) << verbose.output;
  EXPECT_TRUE(has(verbose, "\nC: pr01 LOGIN " + lab("LAB_RECEIVER") + " <redacted>\n"))
      << verbose.output;
  EXPECT_FALSE(has(verbose, password)) << verbose.output;
}

// --- certificates --------------------------------------------------------------------------

struct CertCase {
  const char* plugin;
  const char* port_key;
  std::vector<std::string> tls;
};

std::vector<CertCase> cert_cases() {
  return {{"check_simap", "LAB_IMAPS_PORT", {}},
          {"check_spop", "LAB_POP3S_PORT", {}},
          {"check_imap", "LAB_IMAP_PORT", {"--starttls"}}};
}

PluginRun run_cert_case(const CertCase& c, const std::string& host) {
  std::vector<std::string> argv{c.plugin,          "-H", host, "-p", lab(c.port_key), "--ca-file",
                                lab("LAB_CA_FILE")};
  argv.insert(argv.end(), c.tls.begin(), c.tls.end());
  return run_plugin(argv);
}

TEST(PopImapCertificates, ExpiredIsCriticalWithTheReasonFirst) {
  for (const auto& c : cert_cases()) {
    auto run = run_cert_case(c, lab("LAB_EXPIRED_HOST"));
    EXPECT_EQ(run.exit_code, 2) << c.plugin << "\n" << run.output;
    EXPECT_NE(
        run.first_line().find(" CRITICAL - TLS certificate of CN=localhost expired 2020-02-01"),
        std::string::npos)
        << c.plugin << "\n"
        << run.output;
  }
}

TEST(PopImapCertificates, WrongHostIsCriticalWithTheReasonFirst) {
  for (const auto& c : cert_cases()) {
    auto run = run_cert_case(c, lab("LAB_WRONGHOST_HOST"));
    EXPECT_EQ(run.exit_code, 2) << c.plugin << "\n" << run.output;
    EXPECT_NE(run.first_line().find("is not valid for '" + lab("LAB_WRONGHOST_HOST") +
                                    "' (it names DNS:wrong.example)"),
              std::string::npos)
        << c.plugin << "\n"
        << run.output;
  }
}

TEST(PopImapCertificates, InsecureStillJudgesExpiryButSaysVerificationIsOff) {
  auto run = run_plugin(
      check("check_simap", {"-p", lab("LAB_IMAPS_PORT"), "--insecure"}, lab("LAB_EXPIRED_HOST")));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_EQ(run.first_line().rfind("SIMAP CRITICAL - ", 0), 0u) << run.output;
  EXPECT_TRUE(has(run, "\nnote: certificate verification disabled (--insecure)")) << run.output;
  EXPECT_TRUE(has(run, "\\_ [CRITICAL] certificate CN=localhost expired 2020-02-01")) << run.output;
}

TEST(PopImapCertificates, IgnoringExpirationWithInsecureIsOk) {
  auto run = run_plugin(check(
      "check_simap", {"-p", lab("LAB_IMAPS_PORT"), "--insecure", "--ignore-certificate-expiration"},
      lab("LAB_EXPIRED_HOST")));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(has(run, "expired 2020-02-01 00:00 UTC")) << run.output;
  EXPECT_TRUE(has(run, ", expiry ignored")) << run.output;
  EXPECT_TRUE(has(run, "certificate verification disabled (--insecure)")) << run.output;
}

TEST(PopImapCertificates, DaysThresholds) {
  auto warn = run_plugin(check(
      "check_simap", {"-p", lab("LAB_IMAPS_PORT"), "--ca-file", lab("LAB_CA_FILE"), "-D", "400"}));
  EXPECT_EQ(warn.exit_code, 1) << warn.output;
  EXPECT_TRUE(has(warn, "\\_ [WARNING] certificate CN=localhost expires")) << warn.output;
  EXPECT_TRUE(std::regex_search(warn.first_line(), std::regex(R"( cert_days=[0-9.]+;400:( |$))")))
      << warn.output;
  // -D alone turns TLS on (implicit on a port other than 110).
  auto crit = run_plugin(check("check_pop", {"-p", lab("LAB_POP3S_PORT"), "--ca-file",
                                             lab("LAB_CA_FILE"), "-D", "400,380"}));
  EXPECT_EQ(crit.exit_code, 2) << crit.output;
  EXPECT_TRUE(has(crit, "\\_ [CRITICAL] certificate CN=localhost expires")) << crit.output;
  EXPECT_TRUE(
      std::regex_search(crit.first_line(), std::regex(R"( cert_days=[0-9.]+;400:;380:( |$))")))
      << crit.output;
}

TEST(PopImapCertificates, UntrustedWithoutTheLabCa) {
  for (const auto& argv : {check("check_simap", {"-p", lab("LAB_IMAPS_PORT")}),
                           check("check_pop", {"-p", lab("LAB_POP3_PORT"), "--starttls"})}) {
    auto run = run_plugin(argv);
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_NE(run.first_line().find("is not trusted"), std::string::npos) << run.output;
  }
}

// --- expect strings ------------------------------------------------------------------------

TEST(PopImapExpect, MismatchIsAWarningShowingTheResponse) {
  auto run = run_plugin(check("check_pop", {"-p", lab("LAB_POP3_PORT"), "-e", "nomatch"}));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_EQ(
      run.first_line().rfind(
          "POP WARNING - Unexpected response from host/socket: +OK mailprobe lab ready. |", 0),
      0u)
      << run.output;
}

TEST(PopImapExpect, MismatchStateIsConfigurable) {
  auto crit =
      run_plugin(check("check_imap", {"-p", lab("LAB_IMAP_PORT"), "-e", "nomatch", "-M", "crit"}));
  EXPECT_EQ(crit.exit_code, 2) << crit.output;
  EXPECT_EQ(
      crit.first_line().rfind("IMAP CRITICAL - Unexpected response from host/socket: * OK", 0), 0u)
      << crit.output;
  auto ok =
      run_plugin(check("check_pop", {"-p", lab("LAB_POP3_PORT"), "-e", "nomatch", "-M", "ok"}));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(ok.first_line().rfind("POP OK - Unexpected response", 0), 0u) << ok.output;
}

TEST(PopImapExpect, JailHidesTheResponse) {
  auto mismatch =
      run_plugin(check("check_pop", {"-p", lab("LAB_POP3_PORT"), "-e", "nomatch", "-j"}));
  EXPECT_EQ(mismatch.exit_code, 1) << mismatch.output;
  EXPECT_EQ(mismatch.first_line().rfind("POP WARNING - Unexpected response from host/socket on "
                                        "127.0.0.1 port " +
                                            lab("LAB_POP3_PORT") + " |",
                                        0),
            0u)
      << mismatch.output;
  auto ok = run_plugin(check("check_imap", {"-p", lab("LAB_IMAP_PORT"), "-j"}));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(ok.first_line().find("mailprobe lab ready"), std::string::npos) << ok.output;
  EXPECT_EQ(ok.first_line().find('['), std::string::npos) << ok.output;
}

// --- last: failed logins (Dovecot delays replies and later logins after them) ---------------

TEST(PopImapZ, PopWrongPasswordIsCriticalWithTheServersReply) {
  auto run = run_plugin(check("check_pop", {"-p", lab("LAB_POP3_PORT"), "--starttls", "--ca-file",
                                            lab("LAB_CA_FILE"), "--user", lab("LAB_RECEIVER"),
                                            "--password-env", "WRONG_PASSWORD", "-t", "20", "-v"}),
                        {{"WRONG_PASSWORD", "not-the-password"}});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_EQ(
      run.first_line().rfind("POP CRITICAL - login failed: -ERR [AUTH] Authentication failed.", 0),
      0u)
      << run.output;
  EXPECT_FALSE(has(run, "not-the-password")) << run.output;
}

TEST(PopImapZ, ImapWrongPasswordIsCriticalWithTheServersReply) {
  auto run = run_plugin(check("check_imap", {"-p", lab("LAB_IMAP_PORT"), "--starttls", "--ca-file",
                                             lab("LAB_CA_FILE"), "--user", lab("LAB_RECEIVER"),
                                             "--password-env", "WRONG_PASSWORD", "-t", "20"}),
                        {{"WRONG_PASSWORD", "not-the-password"}});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_EQ(run.first_line().rfind("IMAP CRITICAL - LOGIN failed: NO Authentication failed.", 0),
            0u)
      << run.output;
}

}  // namespace
}  // namespace mailprobe::test
