// check_dnsbl against the DNS lab: blocklists served by real NSD through a validating Unbound
// (tests/lab/dns/zones_dnsbl.sh): a working list with listings, codes and TXT reasons, one
// that refuses every query (127.255.255.254), one that lists everything, one that is gone,
// one that answers addresses outside 127.0.0.0/8, and a domain list. Each case's state and
// the line that says why.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "support/plugin_runner.hpp"
#include "support/servers.hpp"

namespace mailprobe::test {
namespace {

std::string zone(const std::string& key) {
  return dnslab("DNSLAB_DOMAIN_DNSBL_" + key);
}

PluginRun check_dnsbl(std::vector<std::string> args) {
  std::vector<std::string> argv{"check_dnsbl"};
  auto resolver = dnslab_resolver_options();
  argv.insert(argv.end(), resolver.begin(), resolver.end());
  argv.insert(argv.end(), {"-t", "8"});
  argv.insert(argv.end(), args.begin(), args.end());
  return run_plugin(argv);
}

bool has(const std::string& output, const std::string& text) {
  return output.find(text) != std::string::npos;
}
bool has(const PluginRun& run, const std::string& text) {
  return has(run.output, text);
}

TEST(CheckDnsbl, ListedAddressIsCriticalWithCodeAndReason) {
  auto listed = dnslab("DNSLAB_ADDR_DNSBL_LISTED");
  auto run = check_dnsbl({"-H", listed, "--list", zone("GOOD") + " 127.0.0.4=\"spam source\""});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_TRUE(has(run.first_line(), "DNSBL CRITICAL - " + listed + " is on " + zone("GOOD") +
                                        ": 127.0.0.4 (spam source) 'Listed for spam, see https://" +
                                        zone("GOOD") + "/127.0.0.20'"))
      << run.output;
  EXPECT_TRUE(has(run, zone("GOOD") + "[" + listed + "]_listed=1")) << run.output;
  EXPECT_TRUE(has(run, zone("GOOD") + "[*]_list_state=0")) << run.output;
  EXPECT_TRUE(has(run, "test entries answered correctly (127.0.0.2 listed, 127.0.0.1 not)"))
      << run.output;
}

TEST(CheckDnsbl, CleanAddressIsOk) {
  auto run = check_dnsbl(
      {"-H", dnslab("DNSLAB_ADDR_DNSBL_CLEAN"), "--list", zone("GOOD"), "--list", zone("SECOND")});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(has(run.first_line(), "DNSBL OK - 1 address on 2 lists in ")) << run.output;
  EXPECT_TRUE(has(run, "is on none of 2 lists")) << run.output;
}

// Spamhaus' answer to a query through a public resolver: check_rbl counts it as a listing.
TEST(CheckDnsbl, RefusedQueryIsUnknownNeverCritical) {
  auto run = check_dnsbl({"-H", dnslab("DNSLAB_ADDR_DNSBL_LISTED"), "--list", zone("REFUSED")});
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_TRUE(has(run.first_line(),
                  "DNSBL UNKNOWN - " + zone("REFUSED") +
                      ": query refused: it came through a public or open resolver (answered "
                      "127.255.255.254 for its test entry 127.0.0.1); its answers do not count"))
      << run.output;
  EXPECT_TRUE(has(run, zone("REFUSED") + "[*]_list_state=1")) << run.output;
  EXPECT_FALSE(has(run, "_listed=")) << run.output;
  // Beside a working list that lists the address, the listing still counts.
  auto both = check_dnsbl({"-H", dnslab("DNSLAB_ADDR_DNSBL_LISTED"), "--list", zone("GOOD"),
                           "--list", zone("REFUSED")});
  EXPECT_EQ(both.exit_code, 2) << both.output;
  EXPECT_TRUE(has(both, "[UNKNOWN] " + zone("REFUSED") + ": query refused")) << both.output;
}

TEST(CheckDnsbl, BrokenListsAreUnknownEachWithItsReason) {
  struct Case {
    std::string key;
    std::string says;
    std::string also;
    int state;
  };
  const Case cases[] = {
      {"ALL", ": lists 127.0.0.1 (answered 127.0.0.2), which no list may (RFC 5782 section 5)",
       "it lists everything", 3},
      {"DEAD", ": does not list its test entry 127.0.0.2 (RFC 5782 section 5)",
       "the list is gone or is no DNSBL", 2},
      // 40 addresses in the answer: 8 shown, the rest counted.
      {"RANDOM", ": answered ",
       "and 32 more for its test entry 127.0.0.1: outside 127.0.0.0/8, "
       "not a blocklist answer",
       4},
  };
  for (const auto& c : cases) {
    auto run = check_dnsbl({"-H", dnslab("DNSLAB_ADDR_DNSBL_CLEAN"), "--list", zone(c.key)});
    EXPECT_EQ(run.exit_code, 3) << c.key << "\n" << run.output;
    EXPECT_TRUE(has(run.first_line(), "DNSBL UNKNOWN - " + zone(c.key) + c.says)) << c.key << "\n"
                                                                                  << run.output;
    EXPECT_TRUE(has(run.first_line(), c.also)) << c.key << "\n" << run.output;
    EXPECT_TRUE(has(run, zone(c.key) + "[*]_list_state=" + std::to_string(c.state))) << run.output;
    EXPECT_FALSE(has(run, "_listed=")) << run.output;
    EXPECT_LT(run.first_line().size(), 600U) << run.output;
  }
}

TEST(CheckDnsbl, Ipv6AddressesAsNibbles) {
  auto run = check_dnsbl({"-H", "::1", "--list", zone("GOOD")});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_TRUE(has(run.first_line(), "::1 is on " + zone("GOOD") + ": 127.0.0.3 'IPv6 listing'"))
      << run.output;
}

TEST(CheckDnsbl, ThresholdsCountLists) {
  std::vector<std::string> args{
      "-H", dnslab("DNSLAB_ADDR_DNSBL_LISTED"), "--list", zone("GOOD"), "--list", zone("SECOND")};
  auto warn = args;
  warn.insert(warn.end(), {"-w", "1", "-c", "3"});
  auto run = check_dnsbl(warn);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(has(run, "is on 2 of 2 lists")) << run.output;
  EXPECT_TRUE(has(run, "listings=2;0;2;0")) << run.output;
  // The odd TXT of the second list: escaped, on one line.
  EXPECT_TRUE(has(run, "'Listed\\x09with a tab\\x07 and a second string'")) << run.output;
  auto crit = args;
  crit.insert(crit.end(), {"-c", "2"});
  EXPECT_EQ(check_dnsbl(crit).exit_code, 2);
}

TEST(CheckDnsbl, NamesDomainsAndSpf) {
  // A name: each of its addresses.
  auto name = check_dnsbl({"-H", dnslab("DNSLAB_DOMAIN_NOMX"), "--list", zone("GOOD")});
  EXPECT_EQ(name.exit_code, 2) << name.output;
  EXPECT_TRUE(has(name, "127.0.0.20 (" + dnslab("DNSLAB_DOMAIN_NOMX") + ") is on 1 of 1 list"))
      << name.output;
  // A domain without MX: its own address is the implicit MX.
  auto implicit = check_dnsbl({"--domain", dnslab("DNSLAB_DOMAIN_NOMX"), "--list", zone("GOOD")});
  EXPECT_EQ(implicit.exit_code, 2) << implicit.output;
  EXPECT_TRUE(has(implicit, "127.0.0.20 (MX " + dnslab("DNSLAB_DOMAIN_NOMX") + ")"))
      << implicit.output;
  // The MX is clean; the SPF senders are not.
  auto mx_only = check_dnsbl({"--domain", zone("SPF"), "--list", zone("GOOD")});
  EXPECT_EQ(mx_only.exit_code, 0) << mx_only.output;
  auto spf = check_dnsbl({"--domain", zone("SPF"), "--spf-ip", "--list", zone("GOOD")});
  EXPECT_EQ(spf.exit_code, 2) << spf.output;
  EXPECT_TRUE(has(spf, "127.0.0.20 (SPF of " + zone("SPF") + ") is on 1 of 1 list")) << spf.output;
  EXPECT_TRUE(has(spf, "::1 (SPF of _spf." + zone("SPF") + ") is on 1 of 1 list")) << spf.output;
  EXPECT_TRUE(has(spf, "127.0.0.21 (SPF a out." + zone("SPF") + ") is on none")) << spf.output;
  EXPECT_TRUE(has(spf, "ip4:192.0.2.0/24 is a range, not checked")) << spf.output;
}

TEST(CheckDnsbl, DomainList) {
  auto run = check_dnsbl({"--rhsbl-domain", dnslab("DNSLAB_DOMAIN_NOMX"), "--rhsbl-domain",
                          dnslab("DNSLAB_DOMAIN_DANE_EE"), "--list", zone("RHSBL") + " domain"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_TRUE(has(run.first_line(), dnslab("DNSLAB_DOMAIN_NOMX") + " is on " + zone("RHSBL") +
                                        ": 127.0.0.2 'domain seen in spam'"))
      << run.output;
  EXPECT_TRUE(has(run, "(test listed, invalid not)")) << run.output;
  EXPECT_TRUE(has(run.first_line(), " / 2 domains on 1 list in ")) << run.output;
  EXPECT_TRUE(has(run, dnslab("DNSLAB_DOMAIN_DANE_EE") + " is on none of 1 list")) << run.output;
}

TEST(CheckDnsbl, ListsFileAndSubcommand) {
  std::string path = "/tmp/mailprobe-dnsbl-lists-" + std::to_string(getpid());
  {
    std::ofstream file(path);
    file << "# lab lists\n"
         << zone("GOOD") << " 127.0.0.2-3=test 127.0.0.4=\"spam source\"\n"
         << zone("SECOND") << "   # no codes: any answer in 127.0.0.0/8 is a listing\n";
  }
  std::vector<std::string> argv{"mailprobe",
                                "check",
                                "dnsbl",
                                "-H",
                                dnslab("DNSLAB_ADDR_DNSBL_LISTED"),
                                "--lists-file",
                                path,
                                "--resolver",
                                dnslab("DNSLAB_RESOLVER"),
                                "--trust-anchor",
                                dnslab("DNSLAB_TRUST_ANCHOR_FILE"),
                                "-c",
                                "2"};
  auto sub = run_plugin(argv);
  EXPECT_EQ(sub.exit_code, 2) << sub.output;
  EXPECT_TRUE(has(sub, "is on 2 of 2 lists")) << sub.output;
  {
    std::ofstream file(path);
    file << zone("GOOD") << "\n" << zone("SECOND") << " 127.0.0.2=\n";
  }
  auto bad = check_dnsbl({"-H", "127.0.0.20", "--lists-file", path});
  EXPECT_EQ(bad.exit_code, 3) << bad.output;
  EXPECT_EQ(bad.first_line(),
            "DNSBL UNKNOWN - --lists-file '" + path + "': line 2: '127.0.0.2=' has no meaning")
      << bad.output;
  std::remove(path.c_str());
}

TEST(CheckDnsbl, BadInputIsOneLineAndNothingHangs) {
  auto none = check_dnsbl({"-H", "127.0.0.20"});
  EXPECT_EQ(none.exit_code, 3) << none.output;
  EXPECT_EQ(none.first_line(), "DNSBL UNKNOWN - no list given (--list ZONE or --lists-file FILE)");
  auto spf = check_dnsbl({"-H", "127.0.0.20", "--spf-ip", "--list", zone("GOOD")});
  EXPECT_EQ(spf.first_line(), "DNSBL UNKNOWN - --spf-ip needs --domain");
  // A resolver that takes the queries and never answers: UNKNOWN at -t, naming a query.
  SilentResolver quiet;
  auto started = std::chrono::steady_clock::now();
  auto never = run_plugin({"check_dnsbl", "-H", "127.0.0.20", "--list", zone("GOOD"), "--list",
                           zone("SECOND"), "--resolver", quiet.address(), "--trust-anchor",
                           dnslab("DNSLAB_TRUST_ANCHOR_FILE"), "-t", "1"});
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(never.exit_code, 3) << never.output;
  EXPECT_TRUE(has(never.first_line(), "timeout after 1.0 s resolving A ")) << never.output;
  EXPECT_LT(seconds, 2.5) << never.output;
}

}  // namespace
}  // namespace mailprobe::test
