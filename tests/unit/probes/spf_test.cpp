// SPF evaluation (check_host(), RFC 7208 sections 4 and 5), the walk that counts lookups
// (section 4.6.4) and the SPF part of check_mail_domain, against a table of DNS answers
// (FakeDns): the limits at 9, 10 and 11 lookups, void lookups, loops, missing and doubled
// records, mx with 11 hosts, a macro of 1000 labels, 300 TXT records, garbage, DNS failures.

#include "probes/spf.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>

#include "output/nagios.hpp"
#include "support/fake_dns.hpp"
#include "support/run.hpp"

namespace mailprobe::probes {
namespace {

using core::State;
namespace asio = boost::asio;
namespace dns_type = net::dns_type;

struct Spf : ::testing::Test {
  asio::io_context io;
  test::FakeDns dns;

  SpfWalk walk(const std::string& domain) { return test::run(io, walk_spf(dns.query(), domain)); }
  SpfEvaluation eval(const std::string& domain, const std::string& ip,
                     const std::string& sender = "") {
    return test::run(io, evaluate_spf(dns.query(), ip, SpfCheckOptions{domain, {}, sender, ""}));
  }
  DomainPart check(const std::string& domain, std::vector<std::string> ips = {}) {
    return test::run(io, check_spf(dns.query(), SpfCheckOptions{domain, std::move(ips), "", ""}));
  }
  // The part as check_mail_domain shows it.
  static core::ProbeResult result(const DomainPart& part) {
    core::ProbeResult r;
    r.service = "DOMAIN";
    r.subchecks.push_back(part.subcheck);
    return r;
  }
  static std::string text(const DomainPart& part) {
    return output::render_nagios(result(part), false);
  }
  static const core::Metric* metric(const DomainPart& part, const std::string& name) {
    for (const auto& m : part.metrics) {
      if (m.name == name) return &m;
    }
    return nullptr;
  }
  // A policy at `domain` of `n` includes, each of one ip4 (192.0.2.K), then -all.
  void includes(const std::string& domain, int n) {
    std::string record = "v=spf1";
    for (int i = 1; i <= n; ++i) {
      auto name = "i" + std::to_string(i) + "." + domain;
      record += " include:" + name;
      dns.txt(name, "v=spf1 ip4:192.0.2." + std::to_string(i) + " -all");
    }
    dns.txt(domain, record + " -all");
  }
};

// --- The 10-lookup limit (section 4.6.4) -----------------------------------------------------

TEST_F(Spf, NineAndTenLookupsAreWithinTheLimit) {
  for (int n : {9, 10}) {
    auto domain = "spf" + std::to_string(n) + ".example";
    includes(domain, n);
    auto part = check(domain, {"192.0.2." + std::to_string(n), "198.51.100.1"});
    EXPECT_EQ(part.subcheck.summary,
              "SPF: " + std::to_string(n) + " of 10 DNS lookups, 0 of 2 void lookups");
    ASSERT_NE(metric(part, "spf_lookups"), nullptr);
    EXPECT_EQ(metric(part, "spf_lookups")->value, n);
    EXPECT_FALSE(metric(part, "spf_lookups")->critical->alerts(n));
    // The last include's address passes; another address fails, both within the limit.
    EXPECT_EQ(eval(domain, "192.0.2." + std::to_string(n)).result, SpfResult::pass);
    auto other = eval(domain, "198.51.100.1");
    EXPECT_EQ(other.result, SpfResult::fail) << other.reason;
    EXPECT_EQ(other.reason, "'-all' at " + domain + " matched");
    EXPECT_EQ(other.lookups, n);
    auto r = result(part);
    EXPECT_EQ(r.overall(), State::critical) << text(part);  // 198.51.100.1 fails
    EXPECT_EQ(r.headline(), "198.51.100.1: fail ('-all' at " + domain + " matched)");
  }
}

TEST_F(Spf, ElevenLookupsAreCriticalWithTheTree) {
  includes("spf11.example", 11);
  auto walked = walk("spf11.example");
  EXPECT_EQ(walked.lookups, 11);
  auto part = check("spf11.example", {"192.0.2.1"});
  auto r = result(part);
  EXPECT_EQ(r.overall(), State::critical);
  EXPECT_EQ(r.headline(),
            "11 DNS lookups, over the limit of 10: receivers return permerror for an address no "
            "earlier term matches (RFC 7208 section 4.6.4)");
  EXPECT_TRUE(metric(part, "spf_lookups")->critical->alerts(11));
  auto out = text(part);
  EXPECT_NE(out.find("spf11.example 'v=spf1 include:i1.spf11.example"), std::string::npos) << out;
  EXPECT_NE(out.find("(11 lookups)"), std::string::npos) << out;
  EXPECT_NE(out.find("        \\_ [OK] include:i11.spf11.example (1 lookup)"), std::string::npos)
      << out;
  // A receiver stops at the first match: the first include's address still passes ...
  EXPECT_EQ(eval("spf11.example", "192.0.2.1").result, SpfResult::pass);
  // ... and any address that needs the 11th lookup gets permerror.
  auto late = eval("spf11.example", "192.0.2.11");
  EXPECT_EQ(late.result, SpfResult::permerror);
  EXPECT_EQ(late.reason,
            "over 10 DNS lookups at 'include:i11.spf11.example' at spf11.example (RFC 7208 "
            "section 4.6.4)");
}

TEST_F(Spf, NestedLookupsCountPerNode) {
  dns.txt("example.org", "v=spf1 a mx include:_spf.example.net ip4:192.0.2.0/24 -all");
  dns.a("example.org", "192.0.2.10").mx("example.org", 10, "mx.example.org");
  dns.txt("_spf.example.net", "v=spf1 include:a.example.net include:b.example.net ~all");
  dns.txt("a.example.net", "v=spf1 ip4:198.51.100.0/24 ~all");
  dns.txt("b.example.net", "v=spf1 a:c.example.net ~all");
  dns.a("c.example.net", "203.0.113.1");
  auto walked = walk("example.org");
  EXPECT_EQ(walked.lookups, 6);
  ASSERT_EQ(walked.root.children.size(), 3U);
  EXPECT_EQ(walked.root.children[2].term, "include:_spf.example.net");
  EXPECT_EQ(walked.root.children[2].lookups, 4);
  EXPECT_EQ(walked.root.children[2].children[1].lookups, 2);
  EXPECT_EQ(walked.root.children[1].note, "1 MX host");
  // Every SPF record read is watched, so a change at the provider shows.
  std::vector<std::string> keys;
  for (const auto& w : walked.watched)
    keys.push_back(w.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"TXT example.org", "TXT _spf.example.net",
                                            "TXT a.example.net", "TXT b.example.net"}));
  EXPECT_EQ(walked.watched[2].value, "v=spf1 ip4:198.51.100.0/24 ~all");
  auto part = check("example.org", {"203.0.113.1"});
  EXPECT_EQ(result(part).overall(), State::ok) << text(part);
  EXPECT_NE(text(part).find("203.0.113.1: pass (include:_spf.example.net > include:b.example.net "
                            "> 'a:c.example.net' at b.example.net matched)"),
            std::string::npos)
      << text(part);
  EXPECT_FALSE(part.all_secure);  // FakeDns answers insecure
}

// --- Void lookups, loops, missing and doubled records ------------------------------------------

TEST_F(Spf, ThreeVoidLookupsAreCritical) {
  dns.txt("example.org",
          "v=spf1 a:gone1.example.org mx:gone2.example.org "
          "exists:gone3.example.org ip4:192.0.2.1 -all");
  auto part = check("example.org", {"192.0.2.1", "192.0.2.9"});
  EXPECT_EQ(metric(part, "spf_void_lookups")->value, 3);
  auto out = text(part);
  EXPECT_NE(out.find("[CRITICAL] 3 void DNS lookups, over the limit of 2"), std::string::npos)
      << out;
  EXPECT_NE(out.find("a:gone1.example.org (1 lookup): void lookup (NXDOMAIN)"), std::string::npos)
      << out;
  // The third void lookup ends the evaluation before ip4 is reached.
  auto e = eval("example.org", "192.0.2.1");
  EXPECT_EQ(e.result, SpfResult::permerror);
  EXPECT_EQ(e.reason,
            "over 2 void DNS lookups at 'exists:gone3.example.org' at example.org (RFC "
            "7208 section 4.6.4)");
}

TEST_F(Spf, IncludeLoop) {
  dns.txt("a.example", "v=spf1 include:b.example -all");
  dns.txt("b.example", "v=spf1 include:a.example -all");
  auto walked = walk("a.example");
  EXPECT_EQ(walked.lookups, 2);
  auto part = check("a.example", {"192.0.2.1"});
  auto r = result(part);
  EXPECT_EQ(r.overall(), State::critical);
  EXPECT_NE(r.headline().find("include:a.example (1 lookup): loop: a.example is already being "
                              "evaluated"),
            std::string::npos)
      << r.headline();
  // A receiver goes round until the limit.
  auto e = eval("a.example", "192.0.2.1");
  EXPECT_EQ(e.result, SpfResult::permerror);
  EXPECT_EQ(e.reason,
            "include:b.example > include:a.example > ... > include:a.example > over 10 "
            "DNS lookups at 'include:b.example' at a.example (RFC 7208 section 4.6.4)");
  EXPECT_LE(dns.asked().size(), 40U);
}

TEST_F(Spf, RedirectToMissingRecord) {
  dns.txt("example.org", "v=spf1 redirect=_spf.missing.example");
  auto part = check("example.org", {"192.0.2.1"});
  auto r = result(part);
  EXPECT_EQ(r.overall(), State::critical);
  EXPECT_NE(r.headline().find("redirect=_spf.missing.example (1 lookup): _spf.missing.example "
                              "does not exist (NXDOMAIN): receivers return permerror (RFC 7208 "
                              "section 6.1)"),
            std::string::npos)
      << r.headline();
  auto e = eval("example.org", "192.0.2.1");
  EXPECT_EQ(e.result, SpfResult::permerror);
  EXPECT_EQ(e.reason,
            "'redirect=_spf.missing.example' at example.org: _spf.missing.example does "
            "not exist (NXDOMAIN), a redirect to no policy is a permerror (RFC 7208 "
            "section 6.1)");
}

TEST_F(Spf, RedirectIsFollowedAndItsAllDecides) {
  dns.txt("example.org", "v=spf1 ip4:192.0.2.1 redirect=_spf.example.net");
  dns.txt("_spf.example.net", "v=spf1 ip4:198.51.100.0/24 ?all");
  EXPECT_EQ(eval("example.org", "198.51.100.7").result, SpfResult::pass);
  auto e = eval("example.org", "203.0.113.1");
  EXPECT_EQ(e.result, SpfResult::neutral);
  EXPECT_EQ(e.reason, "redirect=_spf.example.net > '?all' at _spf.example.net matched");
  auto part = check("example.org");
  EXPECT_EQ(result(part).overall(), State::warning);  // the redirect target's ?all is the policy's
}

TEST_F(Spf, IncludeOfNoPolicyIsPermerror) {
  dns.txt("example.org", "v=spf1 include:nospf.example.net -all");
  dns.txt("nospf.example.net", "google-site-verification=abc");
  auto e = eval("example.org", "192.0.2.1");
  EXPECT_EQ(e.result, SpfResult::permerror);
  EXPECT_EQ(e.reason,
            "'include:nospf.example.net' at example.org: no SPF record at "
            "nospf.example.net (1 TXT records, none starts with 'v=spf1'), an include of "
            "no policy is a permerror (RFC 7208 section 5.2)");
  EXPECT_EQ(result(check("example.org")).overall(), State::critical);
}

TEST_F(Spf, TwoRecords) {
  dns.txt("example.org", "v=spf1 -all").txt("example.org", "v=spf1 ip4:192.0.2.1 -all");
  auto part = check("example.org", {"192.0.2.1"});
  auto r = result(part);
  EXPECT_EQ(r.overall(), State::critical);
  EXPECT_NE(r.headline().find("2 v=spf1 records at example.org, there must be one (RFC 7208 "
                              "section 4.5): receivers return permerror"),
            std::string::npos)
      << r.headline();
  EXPECT_EQ(eval("example.org", "192.0.2.1").result, SpfResult::permerror);
  ASSERT_EQ(part.records.size(), 1U);
  EXPECT_EQ(part.records[0].value, "v=spf1 -all | v=spf1 ip4:192.0.2.1 -all");
}

TEST_F(Spf, NoRecordIsAWarningAndNone) {
  dns.txt("example.org", "some other text");
  auto part = check("example.org");
  EXPECT_EQ(part.subcheck.summary, "SPF: no record");
  EXPECT_EQ(result(part).overall(), State::warning);
  EXPECT_NE(result(part).headline().find("publish one, 'v=spf1 -all' if the domain sends no mail"),
            std::string::npos);
  ASSERT_EQ(part.records.size(), 1U);
  EXPECT_EQ(part.records[0].key, "TXT example.org");
  EXPECT_EQ(part.records[0].value, "");
  EXPECT_EQ(eval("example.org", "192.0.2.1").result, SpfResult::none);
  // With an address that must pass, none is critical.
  EXPECT_EQ(result(check("example.org", {"192.0.2.1"})).overall(), State::critical);
  EXPECT_EQ(eval("nxdomain.example", "192.0.2.1").reason,
            "nxdomain.example does not exist (NXDOMAIN)");
}

// --- mx and its 10 hosts ------------------------------------------------------------------------

TEST_F(Spf, MxWithElevenHosts) {
  dns.txt("example.org", "v=spf1 mx -all");
  for (int i = 1; i <= 11; ++i) {
    auto host = "mx" + std::to_string(i) + ".example.org";
    dns.mx("example.org", static_cast<std::uint16_t>(i), host)
        .a(host, "192.0.2." + std::to_string(i));
  }
  auto part = check("example.org");
  EXPECT_EQ(result(part).overall(), State::critical);
  EXPECT_NE(text(part).find("mx (1 lookup, 11 MX hosts): receivers look up the addresses of at "
                            "most 10 MX hosts"),
            std::string::npos)
      << text(part);
  EXPECT_EQ(eval("example.org", "192.0.2.1").result, SpfResult::pass);
  auto e = eval("example.org", "192.0.2.11");
  EXPECT_EQ(e.result, SpfResult::permerror);
  EXPECT_EQ(e.reason,
            "'mx' at example.org: example.org has 11 MX hosts, more than the 10 a "
            "receiver may look up (RFC 7208 section 4.6.4)");
}

TEST_F(Spf, MxMatchesWithPrefixAndNoImplicitMx) {
  dns.txt("example.org", "v=spf1 mx/24 mx:nomx.example.org -all");
  dns.mx("example.org", 10, "mail.example.org").a("mail.example.org", "192.0.2.10");
  dns.a("nomx.example.org", "198.51.100.1");  // section 5.4: no implicit MX
  EXPECT_EQ(eval("example.org", "192.0.2.200").result, SpfResult::pass);
  EXPECT_EQ(eval("example.org", "198.51.100.1").result, SpfResult::fail);
}

// --- Mechanisms --------------------------------------------------------------------------------

TEST_F(Spf, ResultsByQualifierAndAddressFamily) {
  dns.txt("example.org",
          "v=spf1 ip4:192.0.2.0/24 -ip4:198.51.100.1 ~a:soft.example.org/32 "
          "?exists:neutral.example.org ip6:2001:db8::/32 a:v6.example.org//64 "
          "~all");
  dns.a("soft.example.org", "203.0.113.5").aaaa("v6.example.org", "2001:db9:1:2::1");
  struct Case {
    const char* ip;
    SpfResult result;
  };
  const Case cases[] = {
      {"192.0.2.77", SpfResult::pass},          {"198.51.100.1", SpfResult::fail},
      {"203.0.113.5", SpfResult::softfail},     {"::ffff:192.0.2.9", SpfResult::pass},
      {"2001:db8::25", SpfResult::pass},        {"2001:db9:1:2:ffff::1", SpfResult::pass},
      {"2001:db9:1:3::1", SpfResult::softfail},
  };
  for (const auto& c : cases)
    EXPECT_EQ(eval("example.org", c.ip).result, c.result) << c.ip;
  dns.a("neutral.example.org", "127.0.0.2");
  EXPECT_EQ(eval("example.org", "203.0.113.77").result, SpfResult::neutral);
  auto bad = eval("example.org", "not-an-address");
  EXPECT_EQ(bad.reason, "'not-an-address' is not an IPv4 or IPv6 address");
  EXPECT_EQ(bad.failure_kind, core::FailureKind::config);
}

TEST_F(Spf, MacrosUseTheSender) {
  dns.txt("example.org", "v=spf1 exists:%{l}.%{ir}._spf.%{d} -all");
  dns.a("postmaster.1.2.0.192._spf.example.org", "127.0.0.2");
  dns.a("alice.5.2.0.192._spf.example.org", "127.0.0.2");
  EXPECT_EQ(eval("example.org", "192.0.2.1").result, SpfResult::pass);  // postmaster@ by default
  EXPECT_EQ(eval("example.org", "192.0.2.5", "alice@example.org").result, SpfResult::pass);
  EXPECT_EQ(eval("example.org", "192.0.2.5").result, SpfResult::fail);
  // The walk cannot expand it: counted, not asked, said so.
  auto walked = walk("example.org");
  EXPECT_EQ(walked.lookups, 1);
  EXPECT_TRUE(walked.sender_dependent);
  EXPECT_EQ(walked.root.children[0].note, "depends on the sender, not looked up");
}

TEST_F(Spf, PtrIsDeprecatedAndStillEvaluated) {
  dns.txt("example.org", "v=spf1 ptr -all");
  dns.ptr("1.2.0.192.in-addr.arpa", "mail.example.org").a("mail.example.org", "192.0.2.1");
  dns.ptr("2.2.0.192.in-addr.arpa", "mail.example.org");  // not validated: A says .1
  EXPECT_EQ(eval("example.org", "192.0.2.1").result, SpfResult::pass);
  EXPECT_EQ(eval("example.org", "192.0.2.2").result, SpfResult::fail);
  auto part = check("example.org");
  EXPECT_EQ(result(part).overall(), State::warning);
  EXPECT_NE(text(part).find("ptr (1 lookup): ptr is deprecated"), std::string::npos) << text(part);
}

TEST_F(Spf, AllQualifiers) {
  dns.txt("plus.example", "v=spf1 +all");
  dns.txt("query.example", "v=spf1 ?all");
  dns.txt("soft.example", "v=spf1 ~all");
  dns.txt("none.example", "v=spf1 ip4:192.0.2.1");
  dns.txt("incplus.example", "v=spf1 include:plus.example -all");
  EXPECT_EQ(result(check("plus.example")).headline(),
            "+all: every address on the internet may send mail as plus.example");
  EXPECT_EQ(result(check("query.example")).overall(), State::warning);
  EXPECT_EQ(result(check("soft.example")).overall(), State::ok);
  EXPECT_EQ(result(check("none.example")).overall(), State::warning);
  EXPECT_EQ(eval("none.example", "192.0.2.2").result, SpfResult::neutral);
  auto r = result(check("incplus.example"));
  EXPECT_EQ(r.overall(), State::critical);
  EXPECT_NE(r.headline().find("every address on the internet passes this include"),
            std::string::npos);
  EXPECT_TRUE(is_reject_all("v=spf1 -all"));
  EXPECT_TRUE(is_reject_all("V=SPF1  -ALL "));
  EXPECT_FALSE(is_reject_all("v=spf1 ~all"));
  EXPECT_FALSE(is_reject_all("v=spf1 a -all"));
  EXPECT_FALSE(is_reject_all("v=spf1 -all -all"));
  EXPECT_FALSE(is_reject_all("garbage"));
}

TEST_F(Spf, TermsAfterAllAndRedirectBesideAll) {
  dns.txt("example.org", "v=spf1 -all a:never.example.org redirect=other.example.org");
  auto walked = walk("example.org");
  EXPECT_EQ(walked.lookups, 0);  // nothing after all is ever evaluated
  auto out = text(check("example.org"));
  EXPECT_NE(out.find("1 mechanisms after 'all' at example.org are never evaluated"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("redirect=other.example.org: ignored, because example.org has 'all'"),
            std::string::npos)
      << out;
}

// --- Bad input: bounded, a clear state ----------------------------------------------------------

TEST_F(Spf, MacroOfThousandLabels) {
  std::string spec;
  for (int i = 0; i < 1000; ++i)
    spec += "%{d1}.";
  dns.txt("example.org", "v=spf1 exists:" + spec + "example.org -all");
  auto walked = walk("example.org");
  EXPECT_EQ(walked.lookups, 1);
  for (const auto& asked : dns.asked())
    EXPECT_LE(asked.size(), 2 + 253U) << asked;
  EXPECT_EQ(eval("example.org", "192.0.2.1").result, SpfResult::fail);
}

TEST_F(Spf, ThreeHundredTxtRecords) {
  for (int i = 0; i < 299; ++i)
    dns.txt("example.org", "verification-token-" + std::to_string(i) + "=" + std::string(40, 'x'));
  dns.txt("example.org", "v=spf1 ip4:192.0.2.1 -all");
  auto part = check("example.org", {"192.0.2.1"});
  EXPECT_EQ(result(part).overall(), State::ok) << text(part);
  EXPECT_EQ(part.records[0].value, "v=spf1 ip4:192.0.2.1 -all");
}

TEST_F(Spf, GarbageRecords) {
  std::string garbage = "v=spf1 ";
  for (int i = 1; i < 240; ++i)
    garbage += static_cast<char>(i);
  dns.add("example.org", dns_type::txt, test::txt_rdata({garbage}));
  dns.add("example.org", dns_type::txt,
          std::string("\x05"
                      "ab",
                      3));  // a truncated string
  auto part = check("example.org", {"192.0.2.1"});
  auto r = result(part);
  EXPECT_EQ(r.overall(), State::critical);
  EXPECT_TRUE(r.headline().find("syntax error at example.org: term ") != std::string::npos)
      << r.headline();
  EXPECT_LT(r.headline().size(), 800U);
  EXPECT_EQ(eval("example.org", "192.0.2.1").result, SpfResult::permerror);
}

TEST_F(Spf, TxtSplitAcrossStrings) {
  // Section 3.3: joined without anything between, even in the middle of a term.
  dns.add("good.example", dns_type::txt, test::txt_rdata({"v=spf1 ip4:192.0", ".2.1 -all"}));
  EXPECT_EQ(eval("good.example", "192.0.2.1").result, SpfResult::pass);
  EXPECT_EQ(result(check("good.example")).overall(), State::ok);
  // The usual mistake: a space was expected between the strings.
  dns.add("bad.example", dns_type::txt, test::txt_rdata({"v=spf1 ip4:192.0.2.1", "-all"}));
  auto r = result(check("bad.example"));
  EXPECT_EQ(r.overall(), State::critical);
  EXPECT_NE(r.headline().find("its TXT record has 2 strings, which are joined without spaces"),
            std::string::npos)
      << r.headline();
}

TEST_F(Spf, HostileIncludeTreeIsCapped) {
  // Every record includes 5 others: the walk stops counting at its cap.
  for (int i = 0; i < 200; ++i) {
    std::string record = "v=spf1";
    for (int k = 1; k <= 5; ++k)
      record += " include:n" + std::to_string(i * 5 + k) + ".example";
    dns.txt("n" + std::to_string(i) + ".example", record + " -all");
  }
  auto walked = walk("n0.example");
  EXPECT_TRUE(walked.capped);
  EXPECT_EQ(walked.lookups, spf_walk_cap);
  EXPECT_LE(dns.asked().size(), static_cast<std::size_t>(spf_walk_cap + 2));
  auto r = result(check("n0.example"));
  EXPECT_NE(r.headline().find("more than 30 DNS lookups (counting stopped)"), std::string::npos);
}

// --- DNS failures: temperror
// ----------------------------------------------------------------------

TEST_F(Spf, FailingQueryIsTemperror) {
  dns.fail("example.org", dns_type::txt,
           core::Failure{"resolve", core::FailureKind::resolve,
                         "SERVFAIL resolving TXT "
                         "example.org"});
  auto e = eval("example.org", "192.0.2.1");
  EXPECT_EQ(e.result, SpfResult::temperror);
  EXPECT_EQ(e.reason, "SERVFAIL resolving TXT example.org");
  auto part = check("example.org", {"192.0.2.1"});
  EXPECT_EQ(result(part).overall(), State::critical);  // receivers get it too
  EXPECT_EQ(part.subcheck.summary, "SPF: SERVFAIL resolving TXT example.org");
  EXPECT_TRUE(part.metrics.empty());
}

TEST_F(Spf, TimeoutIsUnknown) {
  dns.txt("example.org", "v=spf1 include:slow.example.net -all");
  dns.fail("slow.example.net", dns_type::txt,
           core::Failure{"resolve", core::FailureKind::timeout,
                         "timeout after 10.0 s resolving TXT slow.example.net"});
  auto e = eval("example.org", "192.0.2.1");
  EXPECT_EQ(e.result, SpfResult::temperror);
  EXPECT_EQ(e.failure_kind, core::FailureKind::timeout);
  EXPECT_EQ(e.reason,
            "include:slow.example.net > timeout after 10.0 s resolving TXT "
            "slow.example.net");
  auto r = result(check("example.org", {"192.0.2.1"}));
  EXPECT_EQ(r.overall(), State::unknown) << text(check("example.org"));
}

TEST_F(Spf, SecureAnswers) {
  dns.security(net::DnsSecurity::secure);
  dns.txt("example.org", "v=spf1 a -all").a("example.org", "192.0.2.1");
  auto part = check("example.org", {"192.0.2.1"});
  EXPECT_TRUE(part.all_secure);
  test::FakeDns bogus;
  bogus.security(net::DnsSecurity::bogus).txt("example.org", "v=spf1 -all");
  auto e = test::run(
      io, evaluate_spf(bogus.query(), "192.0.2.1", SpfCheckOptions{"example.org", {}, "", ""}));
  EXPECT_EQ(e.result, SpfResult::temperror);
  EXPECT_FALSE(e.all_secure);
}

}  // namespace
}  // namespace mailprobe::probes
