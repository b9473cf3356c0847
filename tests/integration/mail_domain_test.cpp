// check_mail_domain against the DNS lab: real NSD and a validating Unbound serving each SPF,
// DMARC, DKIM and null MX case; the lab's own Public Suffix List makes its zones
// organizational domains. Each case's state and the line that says why.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "support/plugin_runner.hpp"
#include "support/servers.hpp"

namespace mailprobe::test {
namespace {

PluginRun check_domain(const std::string& case_key, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{"check_mail_domain", dnslab("DNSLAB_DOMAIN_" + case_key)};
  auto resolver = dnslab_resolver_options();
  argv.insert(argv.end(), resolver.begin(), resolver.end());
  argv.insert(argv.end(), {"--public-suffix-list", dnslab("DNSLAB_PUBLIC_SUFFIX_FILE"), "-t", "8"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_plugin(argv);
}

bool has(const PluginRun& run, const std::string& text) {
  return run.output.find(text) != std::string::npos;
}

TEST(CheckMailDomain, SpfWithinTheLimitPassesForItsSendingAddress) {
  auto run = check_domain("SPF_GOOD", {"--spf-ip", "127.0.0.20", "--dmarc-policy", "none"});
  EXPECT_TRUE(has(run, "127.0.0.20: pass")) << run.output;
  EXPECT_TRUE(has(run, "SPF: 2 of 10 DNS lookups")) << run.output;
  EXPECT_TRUE(has(run, "spf_lookups=2;;10")) << run.output;
  EXPECT_TRUE(has(run, "DNSSEC: every answer secure")) << run.output;
  // The lab domain has no DMARC record: that alone makes it a WARNING.
  EXPECT_EQ(run.exit_code, 1) << run.output;
}

TEST(CheckMailDomain, TenLookupsAreTheLimitElevenArePermerror) {
  for (const char* ok : {"SPF_9", "SPF_10"}) {
    auto run = check_domain(ok);
    EXPECT_FALSE(has(run, "over the limit")) << run.output;
    EXPECT_NE(run.exit_code, 2) << run.output;
  }
  auto run = check_domain("SPF_11");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_TRUE(has(run, "11 DNS lookups, over the limit of 10")) << run.output;
  // The tree in the long output shows where the lookups go.
  EXPECT_TRUE(has(run, "include:i1.")) << run.output;
}

TEST(CheckMailDomain, BrokenPoliciesAreCritical) {
  for (const char* broken : {"SPF_VOID", "SPF_LOOP", "SPF_TWO", "SPF_REDIRECT_MISSING",
                             "SPF_PLUS_ALL", "SPF_MX11", "SPF_GARBAGE"}) {
    auto run = check_domain(broken);
    EXPECT_EQ(run.exit_code, 2) << broken << ": " << run.output;
    EXPECT_EQ(run.output.find("internal error"), std::string::npos) << run.output;
  }
}

// Odd records: each case's verdict, not a crash or a guess.
TEST(CheckMailDomain, BadInputGivesAStateAndAReason) {
  // A record split oddly across strings, and one v=spf1 among 300 TXT records.
  for (const char* found : {"SPF_SPLIT", "SPF_MANYTXT"}) {
    auto run = check_domain(found, {"--spf-ip", "127.0.0.20"});
    EXPECT_TRUE(has(run, "127.0.0.20: pass ('ip4:127.0.0.20'")) << found << ": " << run.output;
  }
  // A macro of 1000 labels: cut to a name a resolver takes, which does not exist.
  auto macro = check_domain("SPF_MACRO");
  EXPECT_EQ(macro.exit_code, 1) << macro.output;
  EXPECT_TRUE(has(macro, "void lookup (NXDOMAIN)")) << macro.output;
  auto many = check_domain("DMARC_MANYTXT");
  EXPECT_TRUE(has(many, "[OK] DMARC: p=quarantine")) << many.output;
  auto garbage = check_domain("DMARC_GARBAGE");
  EXPECT_EQ(garbage.exit_code, 2) << garbage.output;
  EXPECT_TRUE(has(garbage, "DMARC: invalid record at _dmarc.")) << garbage.output;
  EXPECT_TRUE(has(garbage, "\\x01\\x02")) << garbage.output;  // control bytes shown, not sent
}

TEST(CheckMailDomain, NullMxWithSpfRejectingEverySender) {
  auto run = check_domain("SPF_REJECT");
  EXPECT_TRUE(has(run, "null MX and SPF 'v=spf1 -all'")) << run.output;
}

TEST(CheckMailDomain, DmarcFromTheOrganizationalDomain) {
  auto run = check_domain("DMARC_INHERITED");
  EXPECT_TRUE(has(run, "sp=quarantine")) << run.output;
  EXPECT_TRUE(has(run, "organizational domain")) << run.output;
  EXPECT_TRUE(has(run, "dmarc_policy=1")) << run.output;
}

TEST(CheckMailDomain, DmarcPolicyWeakerThanAskedAndMissing) {
  auto weak = check_domain("DMARC_WEAK", {"--dmarc-policy", "quarantine"});
  EXPECT_EQ(weak.exit_code, 2) << weak.output;
  auto missing = check_domain("DMARC_MISSING", {"--dmarc-policy", "reject"});
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  auto two = check_domain("DMARC_TWO");
  EXPECT_EQ(two.exit_code, 2) << two.output;
}

TEST(CheckMailDomain, ExternalReportAddressNeedsItsAuthorization) {
  auto unauthorized = check_domain("DMARC_EXT_UNAUTH");
  EXPECT_TRUE(has(unauthorized, "[WARNING] DMARC: reports to ")) << unauthorized.output;
  EXPECT_TRUE(has(unauthorized, "are not sent")) << unauthorized.output;
  EXPECT_TRUE(has(unauthorized, "._report._dmarc.")) << unauthorized.output;
  auto authorized = check_domain("DMARC_EXT_AUTH");
  EXPECT_TRUE(has(authorized, "[OK] DMARC: p=reject")) << authorized.output;
  EXPECT_TRUE(has(authorized, "accepts reports for")) << authorized.output;
}

TEST(CheckMailDomain, DkimKeysBySize) {
  auto run = check_domain("DKIM", {"--dkim-selector", "rsa2048", "--dkim-selector", "rsa1024",
                                   "--dkim-selector", "rsa512", "--dkim-selector", "ed25519",
                                   "--dkim-selector", "revoked", "--dkim-selector", "missing"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_TRUE(has(run, "dkim_key_bits_rsa2048=2048")) << run.output;
  EXPECT_TRUE(has(run, "dkim_key_bits_rsa512=512")) << run.output;
  EXPECT_TRUE(has(run, "[CRITICAL] DKIM rsa512")) << run.output;
  EXPECT_TRUE(has(run, "[WARNING] DKIM rsa1024")) << run.output;
  EXPECT_TRUE(has(run, "[OK] DKIM ed25519")) << run.output;
  EXPECT_TRUE(has(run, "[CRITICAL] DKIM revoked")) << run.output;
  EXPECT_TRUE(has(run, "[CRITICAL] DKIM missing")) << run.output;
}

TEST(CheckMailDomain, AChangedRecordIsAWarningWithOldAndNew) {
  auto state = std::filesystem::temp_directory_path() /
               ("mailprobe-domain-" + std::to_string(::getpid()) + ".sqlite");
  std::filesystem::remove(state);
  auto first = check_domain("DMARC_REJECT", {"--state-file", state.string()});
  EXPECT_TRUE(has(first, "records kept to compare with")) << first.output;
  // As if the record had said something else at the last run.
  auto edited = run_program({"/usr/bin/sqlite3", state.string(),
                             "UPDATE watched_records SET value = 'v=DMARC1; p=none' "
                             "WHERE key LIKE 'TXT _dmarc.%'"});
  ASSERT_EQ(edited.exit_code, 0) << edited.output;
  auto second = check_domain("DMARC_REJECT", {"--state-file", state.string()});
  EXPECT_TRUE(has(second, "1 record change within 1d")) << second.output;
  EXPECT_TRUE(has(second, "was 'v=DMARC1; p=none', now 'v=DMARC1; p=reject")) << second.output;
  EXPECT_TRUE(has(second, "records_changed=1")) << second.output;
  auto shorter =
      check_domain("DMARC_REJECT", {"--state-file", state.string(), "--changed-warn", "1ms"});
  EXPECT_FALSE(has(shorter, "record change")) << shorter.output;
  std::filesystem::remove(state);
}

TEST(CheckMailDomain, BadOptionsAreOneLineUnknown) {
  for (const auto& bad :
       std::vector<std::vector<std::string>>{{"--dmarc-policy", "strict"},
                                             {"--spf-ip", "mail.example.org"},
                                             {"--changed-warn", "soon"},
                                             {"--public-suffix-list", "/nonexistent/psl.dat"},
                                             {"--dkim-selector", ""}}) {
    auto run = check_domain("SPF_GOOD", bad);
    EXPECT_EQ(run.exit_code, 3) << bad[0] << ": " << run.output;
    EXPECT_EQ(run.output.find('\n'), run.output.size() - 1) << run.output;
  }
}

// A resolver that takes the queries and never answers: every part is UNKNOWN at -t, and the
// check ends then.
TEST(CheckMailDomain, ASilentResolverIsUnknownAtTheTimeout) {
  SilentResolver quiet;
  auto started = std::chrono::steady_clock::now();
  auto run = run_plugin({"check_mail_domain", dnslab("DNSLAB_DOMAIN_SPF_GOOD"), "--resolver",
                         quiet.address(), "--trust-anchor", dnslab("DNSLAB_TRUST_ANCHOR_FILE"),
                         "--dkim-selector", "s1", "-t", "1"});
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_TRUE(has(run, "timeout after 1.0 s resolving")) << run.output;
  EXPECT_LT(seconds, 2.5) << run.output;  // -t 1, and room for a loaded machine
}

TEST(CheckMailDomain, AsASubcommand) {
  auto run =
      run_plugin({"mailprobe", "check", "domain", dnslab("DNSLAB_DOMAIN_SPF_GOOD"), "--resolver",
                  dnslab("DNSLAB_RESOLVER"), "--trust-anchor", dnslab("DNSLAB_TRUST_ANCHOR_FILE")});
  EXPECT_TRUE(run.output.rfind("DOMAIN ", 0) == 0) << run.output;
}

}  // namespace
}  // namespace mailprobe::test
