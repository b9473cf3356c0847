// check_mx against the DNS lab: real NSD and a validating Unbound for the zones, a Postfix
// listening on each MX address with the certificate each case needs, nginx serving the
// MTA-STS policies. Each case's state and the line that says why.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "support/plugin_runner.hpp"
#include "support/servers.hpp"

namespace mailprobe::test {
namespace {

PluginRun check_mx(const std::string& case_key, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{"check_mx", dnslab("DNSLAB_DOMAIN_" + case_key)};
  auto resolver = dnslab_resolver_options();
  argv.insert(argv.end(), resolver.begin(), resolver.end());
  argv.insert(argv.end(),
              {"--port", dnslab("DNSLAB_SMTP_PORT"), "--mta-sts-port",
               dnslab("DNSLAB_MTA_STS_PORT"), "--ca-file", dnslab("DNSLAB_CA_FILE"), "-t", "8"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_plugin(argv);
}

bool has(const std::string& output, const std::string& text) {
  return output.find(text) != std::string::npos;
}
bool has(const PluginRun& run, const std::string& text) {
  return has(run.output, text);
}

TEST(CheckMx, DaneEeMatchesWhereWebPkiDoesNot) {
  auto run = check_mx("DANE_EE");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(has(run, "DANE: DANE-EE SPKI SHA2-256 3 1 1 ")) << run.output;
  EXPECT_TRUE(has(run, "matches")) << run.output;
  EXPECT_TRUE(has(run, "DANE authenticates it")) << run.output;  // self-signed
  EXPECT_TRUE(has(run, "MX records secure")) << run.output;
}

TEST(CheckMx, DaneTaChainsToTheAnchorWithTheName) {
  auto run = check_mx("DANE_TA");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(has(run, "DANE: DANE-TA Cert SHA2-256 2 0 1 ")) << run.output;
}

// A certificate renewed with a new key, the TLSA record left behind: DANE senders defer
// every message, while WebPKI is happy.
TEST(CheckMx, TlsaLeftBehindByARenewalIsCritical) {
  auto run = check_mx("DANE_STALE");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_TRUE(
      has(run.first_line(), "no TLSA record matches the certificate: DANE-EE SPKI SHA2-256 3 1 1 "))
      << run.output;
}

// The set lists the current and the next key: ready for the rollover. The DANE-EE set of
// another host lists only the current one: a WARNING before the rollover defers mail.
TEST(CheckMx, RolloverIsWarnedBeforeItGoesWrong) {
  auto ready =
      check_mx("DANE_ROLLOVER", {"--next-cert", dnslab("DNSLAB_ROLLOVER_NEXT_CHAIN_FILE")});
  EXPECT_EQ(ready.exit_code, 0) << ready.output;
  auto unready = check_mx("DANE_EE", {"--next-cert", dnslab("DNSLAB_ROLLOVER_NEXT_CHAIN_FILE")});
  EXPECT_EQ(unready.exit_code, 1) << unready.output;
  EXPECT_TRUE(has(unready, "no TLSA record matches the next certificate")) << unready.output;
}

TEST(CheckMx, TlsaInAnUnsignedZoneIsIgnoredBySenders) {
  auto run = check_mx("DANE_UNSIGNED");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(has(run, "addresses are not DNSSEC-signed: senders ignore it")) << run.output;
  EXPECT_TRUE(has(run, "MX records insecure")) << run.output;
  auto required = check_mx("DANE_UNSIGNED", {"--require-dane"});
  EXPECT_EQ(required.exit_code, 2) << required.output;
}

TEST(CheckMx, BogusZoneAndBogusTlsaAreCritical) {
  auto zone = check_mx("BOGUS");
  EXPECT_EQ(zone.exit_code, 2) << zone.output;
  EXPECT_TRUE(has(zone.first_line(), "MX records of " + dnslab("DNSLAB_DOMAIN_BOGUS") +
                                         " are bogus (validation failure"))
      << zone.output;
  auto tlsa = check_mx("DANE_BOGUS");
  EXPECT_EQ(tlsa.exit_code, 2) << tlsa.output;
  EXPECT_TRUE(has(tlsa, "is bogus (validation failure")) << tlsa.output;
  EXPECT_TRUE(has(tlsa, "DANE senders defer every message")) << tlsa.output;
}

TEST(CheckMx, NullMxIsItsOwnState) {
  auto run = check_mx("NULLMX");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_TRUE(has(run.first_line(), "has a null MX (RFC 7505): it accepts no mail")) << run.output;
  auto expected = check_mx("NULLMX", {"--expect-null-mx"});
  EXPECT_EQ(expected.exit_code, 0) << expected.output;
  auto not_null = check_mx("DANE_EE", {"--expect-null-mx"});
  EXPECT_EQ(not_null.exit_code, 2) << not_null.output;
}

TEST(CheckMx, NoMxIsTheImplicitMx) {
  auto run = check_mx("NOMX");
  EXPECT_TRUE(has(run, "no MX records: the domain's own address is its implicit MX")) << run.output;
  EXPECT_TRUE(has(run, dnslab("DNSLAB_DOMAIN_NOMX") + " [127.0.0.20]")) << run.output;
}

TEST(CheckMx, AnMxThatIsACnameIsAViolation) {
  auto run = check_mx("MXCNAME");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(has(run, "an MX must name a host, not a CNAME (RFC 2181 section 10.3)"))
      << run.output;
}

// RFC 7671 section 7: a secure alias's TLSA base domain is its canonical name (the lab
// publishes TLSA only there), and DANE-EE matches the MX's certificate.
TEST(CheckMx, AnAliasHasItsTlsaAtTheCanonicalName) {
  auto run = check_mx("MXCNAME");
  EXPECT_TRUE(has(run, "DANE: DANE-EE SPKI SHA2-256 3 1 1 ")) << run.output;
  EXPECT_FALSE(has(run, "no TLSA at")) << run.output;
}

TEST(CheckMx, ATlsaDigestOfTheWrongLengthIsUnusable) {
  auto run = check_mx("TLSA_BADLEN");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(has(run.first_line(),
                  "TLSA has only unusable records (DANE-EE SPKI SHA2-256 3 1 1 abcd: digest of 2 "
                  "bytes, SHA2-256 needs 32): senders use TLS without authentication"))
      << run.output;
}

// 500 MX records (the answer comes over TCP): the hosts are looked up in preference order
// until --max-addresses, so the work is bounded, and the output says what was left out.
TEST(CheckMx, FiveHundredMxRecordsAreBounded) {
  auto started = std::chrono::steady_clock::now();
  auto run = check_mx("MANYMX", {"--max-addresses", "4"});
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LT(seconds, 9.0) << run.output;  // -t 8, and a second of room
  EXPECT_NE(run.exit_code, 3) << run.output;
  EXPECT_TRUE(has(run,
                  "looked up the first 4 of 500 MX hosts, up to 4 addresses "
                  "(--max-addresses); not looked up: mx5."))
      << run.output;
  EXPECT_TRUE(has(run, "and 495 more")) << run.output;
  EXPECT_FALSE(has(run, "_tcp.mx5.manymx")) << run.output;  // no line of its own
}

TEST(CheckMx, EveryAddressIsProbedAndADeadOneIsCritical) {
  auto run = check_mx("V6DEAD");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_TRUE(has(run.first_line(), "[::1]: connection refused")) << run.output;
  EXPECT_TRUE(has(run, "[127.0.0.20]: TLSv1.3")) << run.output;
  auto v4 = check_mx("V6DEAD", {"-4"});
  EXPECT_EQ(v4.exit_code, 0) << v4.output;
}

TEST(CheckMx, MtaStsEnforceWithItsMx) {
  auto run = check_mx("STS_ENFORCE");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(has(run, "MTA-STS enforce, id ")) << run.output;
  EXPECT_TRUE(has(run, "TLS-RPT reports to mailto:")) << run.output;
}

TEST(CheckMx, MtaStsPoliciesThatFail) {
  struct Case {
    std::string key;
    std::string says;
  };
  const Case cases[] = {
      {"STS_MISSING_MX", "is not in the MTA-STS policy (mode enforce): senders refuse it"},
      {"STS_OVERSIZED", "MTA-STS: cannot fetch the policy: "},
      {"STS_REDIRECT", "senders do not follow redirects (RFC 8461 section 3.3)"},
      {"STS_BADCERT", "MTA-STS: cannot fetch the policy: "},
      {"STS_EXPIRED", "MTA-STS: cannot fetch the policy: "},
      {"STS_TWOTXT", "2 STS records at _mta-sts."},
      {"STS_GARBAGE", "MTA-STS: the policy is invalid: line 1: "},
  };
  for (const auto& c : cases) {
    auto run = check_mx(c.key);
    EXPECT_EQ(run.exit_code, 2) << c.key << "\n" << run.output;
    EXPECT_TRUE(has(run, c.says)) << c.key << "\n" << run.output;
  }
  auto testing = check_mx("STS_TESTING");
  EXPECT_EQ(testing.exit_code, 0) << testing.output;
  EXPECT_TRUE(has(testing, "MTA-STS testing")) << testing.output;
}

TEST(CheckMx, BrokenTlsRptIsAWarning) {
  auto run = check_mx("TLSRPT_BROKEN");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(has(run, "TLS-RPT: ")) << run.output;
}

TEST(CheckMx, BadInputIsOneLine) {
  auto domain = run_plugin({"check_mx", "exa mple.org"});
  EXPECT_EQ(domain.exit_code, 3) << domain.output;
  EXPECT_EQ(domain.first_line().rfind("MX UNKNOWN - 'exa mple.org' is not a domain name", 0), 0u)
      << domain.output;
  auto none = run_plugin({"check_mx"});
  EXPECT_EQ(none.exit_code, 3) << none.output;
  // A resolver that never answers: our own inability to check, in time.
  auto silent =
      run_plugin({"check_mx", dnslab("DNSLAB_DOMAIN_DANE_EE"), "--resolver", "127.0.0.1@9",
                  "--trust-anchor", dnslab("DNSLAB_TRUST_ANCHOR_FILE"), "-t", "1"});
  EXPECT_EQ(silent.exit_code, 3) << silent.output;
  // One that takes the queries and never answers: UNKNOWN at -t, naming the query.
  SilentResolver quiet;
  auto started = std::chrono::steady_clock::now();
  auto never =
      run_plugin({"check_mx", dnslab("DNSLAB_DOMAIN_DANE_EE"), "--resolver", quiet.address(),
                  "--trust-anchor", dnslab("DNSLAB_TRUST_ANCHOR_FILE"), "-t", "1"});
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(never.exit_code, 3) << never.output;
  EXPECT_TRUE(has(never.first_line(),
                  "timeout after 1.0 s resolving MX " + dnslab("DNSLAB_DOMAIN_DANE_EE")))
      << never.output;
  EXPECT_LT(seconds, 2.5) << never.output;  // -t 1, and room for a loaded machine
}

TEST(CheckMx, JsonOutput) {
  auto run = check_mx("DANE_EE", {"--output-format", "json"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output.rfind("{", 0), 0u) << run.output;
  EXPECT_TRUE(has(run, "\"service\":\"MX\"")) << run.output;
}

}  // namespace
}  // namespace mailprobe::test
