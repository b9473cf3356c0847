// SPF records (RFC 7208): the grammar of section 12, the macros of section 7 (with the
// examples of section 7.4), and address matching. Error strings are asserted: they are what
// check_mail_domain shows.

#include "protocol/spf_record.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mailprobe::protocol {
namespace {

// --- Selecting records (section 4.5) ---------------------------------------------------------

TEST(SpfRecord, WhichTxtRecordsAreSpf) {
  for (const char* txt : {"v=spf1", "v=spf1 -all", "V=SPF1 -all", "v=spf1  a  "}) {
    EXPECT_TRUE(is_spf_record(txt)) << txt;
  }
  for (const char* txt :
       {"", "v=spf10", "v=spf1\t-all", " v=spf1 -all", "spf1 -all", "v=spf2.0/mfrom -all",
        "v=DMARC1; p=none", "google-site-verification=x"}) {
    EXPECT_FALSE(is_spf_record(txt)) << txt;
  }
}

// --- Parsing (section 12) -----------------------------------------------------------------------

TEST(SpfRecord, ParsesTerms) {
  auto record = parse_spf_record(
      "v=spf1 +a -mx:mail.example.org/24//64 ~ptr ?ip4:192.0.2.0/24 ip6:2001:db8::/32 "
      "include:_spf.example.net exists:%{ir}.%{v}._spf.%{d} a/28 mx//120 IP4:10.0.0.1 "
      "redirect=_spf.example.org exp=explain._spf.%{d} foo.bar=%{s}x -all");
  ASSERT_TRUE(record) << record.failure().message;
  const auto& t = record->terms;
  ASSERT_EQ(t.size(), 14U);
  EXPECT_EQ(t[0].kind, SpfTermKind::a);
  EXPECT_EQ(t[0].qualifier, SpfQualifier::pass);
  EXPECT_EQ(t[0].domain_spec, "");
  EXPECT_EQ(t[1].kind, SpfTermKind::mx);
  EXPECT_EQ(t[1].qualifier, SpfQualifier::fail);
  EXPECT_EQ(t[1].domain_spec, "mail.example.org");
  EXPECT_EQ(t[1].cidr4, 24);
  EXPECT_EQ(t[1].cidr6, 64);
  EXPECT_EQ(t[2].kind, SpfTermKind::ptr);
  EXPECT_EQ(t[2].qualifier, SpfQualifier::softfail);
  EXPECT_EQ(t[3].kind, SpfTermKind::ip4);
  EXPECT_EQ(t[3].qualifier, SpfQualifier::neutral);
  EXPECT_EQ(spf_address_text(t[3].network), "192.0.2.0");
  EXPECT_EQ(t[3].cidr4, 24);
  EXPECT_EQ(t[4].kind, SpfTermKind::ip6);
  EXPECT_EQ(t[4].cidr6, 32);
  EXPECT_EQ(t[5].kind, SpfTermKind::include);
  EXPECT_EQ(t[5].domain_spec, "_spf.example.net");
  EXPECT_EQ(t[6].kind, SpfTermKind::exists);
  EXPECT_EQ(t[7].cidr4, 28);
  EXPECT_EQ(t[7].cidr6, 128);
  EXPECT_EQ(t[8].cidr4, 32);
  EXPECT_EQ(t[8].cidr6, 120);
  EXPECT_EQ(t[9].kind, SpfTermKind::ip4);  // names are case-insensitive
  EXPECT_EQ(t[10].kind, SpfTermKind::redirect);
  EXPECT_EQ(t[10].domain_spec, "_spf.example.org");
  EXPECT_EQ(t[11].kind, SpfTermKind::exp);
  EXPECT_EQ(t[12].kind, SpfTermKind::unknown_modifier);
  EXPECT_EQ(t[13].kind, SpfTermKind::all);
  EXPECT_EQ(t[13].text, "-all");
  EXPECT_TRUE(t[5].counts_lookup());
  EXPECT_FALSE(t[3].counts_lookup());
  EXPECT_FALSE(t[11].counts_lookup());
  EXPECT_TRUE(t[10].counts_lookup());
  EXPECT_NE(record->redirect(), nullptr);
  EXPECT_TRUE(record->has_all());
}

TEST(SpfRecord, EmptyRecordAndSpaces) {
  auto empty = parse_spf_record("v=spf1");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->terms.empty());
  auto spaced = parse_spf_record("v=spf1   a    -all   ");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->terms.size(), 2U);
}

TEST(SpfRecord, SyntaxErrors) {
  struct Case {
    std::string txt;
    std::string error;
  };
  const Case cases[] = {
      {"v=spf1 ip4:192.0.2.0/33",
       "term 'ip4:192.0.2.0/33': prefix length '33' is not a number "
       "from 0 to 32"},
      {"v=spf1 ip4:192.0.2.0/024",
       "term 'ip4:192.0.2.0/024': prefix length '024' is not a "
       "number from 0 to 32"},
      {"v=spf1 ip4:192.0.2", "term 'ip4:192.0.2': '192.0.2' is not an IPv4 address"},
      {"v=spf1 ip4:192.0.2.01", "term 'ip4:192.0.2.01': '192.0.2.01' is not an IPv4 address"},
      {"v=spf1 ip4:256.0.0.1", "term 'ip4:256.0.0.1': '256.0.0.1' is not an IPv4 address"},
      {"v=spf1 ip6:2001:db8::/129",
       "term 'ip6:2001:db8::/129': prefix length '129' is not a "
       "number from 0 to 128"},
      {"v=spf1 ip6:192.0.2.1", "term 'ip6:192.0.2.1': '192.0.2.1' is not an IPv6 address"},
      {"v=spf1 ip4", "term 'ip4': expected ':' and an address"},
      {"v=spf1 include", "term 'include': expected ':' and a domain"},
      {"v=spf1 include:", "term 'include:': has no domain after the ':' or '='"},
      {"v=spf1 include:localhost",
       "term 'include:localhost': does not end in a top-level label "
       "such as '.com' or in a macro (RFC 7208 section 7.1)"},
      {"v=spf1 a:192.0.2.1",
       "term 'a:192.0.2.1': does not end in a top-level label such as "
       "'.com' or in a macro (RFC 7208 section 7.1)"},
      {"v=spf1 a/33", "term 'a/33': prefix length '33' is not a number from 0 to 32"},
      {"v=spf1 mx//200", "term 'mx//200': prefix length '200' is not a number from 0 to 128"},
      {"v=spf1 all:example.org", "term 'all:example.org': 'all' takes no domain or prefix length"},
      {"v=spf1 -redirect=example.org",
       "term '-redirect=example.org': a modifier takes no "
       "qualifier"},
      {"v=spf1 foo",
       "term 'foo': unknown mechanism (RFC 7208 section 5 has all, include, a, mx, "
       "ptr, ip4, ip6 and exists)"},
      {"v=spf1 include:example.com~all",
       "term 'include:example.com~all': does not end in a "
       "top-level label such as '.com' or in a macro (RFC 7208 "
       "section 7.1)"},
      {"v=spf1 redirect=a.example.org redirect=b.example.org",
       "redirect= appears twice, it may appear once (RFC 7208 section 6)"},
      {"v=spf1 exp=a.example.org exp=b.example.org",
       "exp= appears twice, it may appear once (RFC 7208 section 6)"},
      {"v=spf1 exists:%{x}.example.org",
       "term 'exists:%{x}.example.org': has the unknown macro "
       "letter 'x' (RFC 7208 section 7.2)"},
      {"v=spf1 exists:%{d0}.example.org",
       "term 'exists:%{d0}.example.org': has the transformer 0 "
       "in '%{d0}': it keeps at least 1 part (RFC 7208 "
       "section 7.3)"},
      {"v=spf1 exists:%{c}.example.org",
       "term 'exists:%{c}.example.org': uses %{c}, which only "
       "explanation text may use (RFC 7208 section 7.2)"},
      {"v=spf1 exists:%{d.example.org",
       "term 'exists:%{d.example.org': has a macro without its "
       "closing '}'"},
      {"v=spf1 exists:%x.example.org",
       "term 'exists:%x.example.org': has '%' before 'x': a macro "
       "is %{letter...}, %%, %_ or %- (RFC 7208 section 7.1)"},
      {"v=spf1 exists:%{d!}.example.org",
       "term 'exists:%{d!}.example.org': has '%{d!}', which is "
       "not letter, digits, 'r', delimiters (RFC 7208 section "
       "7.1)"},
      {"v=spf1 a:ex\xc3\xa4mple.org",
       "term 'a:ex\\xc3\\xa4mple.org': has '\\xc3', not a visible "
       "ASCII character"},
      {"v=spf1 =foo", "term '=foo': a modifier's name starts with a letter"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_spf_record(c.txt);
    ASSERT_FALSE(parsed) << c.txt;
    EXPECT_EQ(parsed.failure().message, c.error) << c.txt;
    EXPECT_EQ(parsed.failure().phase, "spf");
  }
}

TEST(SpfRecord, AcceptedEdgeCases) {
  for (const char* txt : {
           "v=spf1 a:example.org.",  // a trailing dot ends a domain
           "v=spf1 exists:%{i}",     // a domain-spec may end in a macro
           "v=spf1 include:%{d2}",   // the same
           "v=spf1 a:mail.1-2",      // toplabel of digits with a hyphen
           "v=spf1 ip4:0.0.0.0/0",   // everything
           "v=spf1 ip6:::/0 ip6:::ffff:192.0.2.1",
           "v=spf1 a//0",                              // ip6-cidr-length alone
           "v=spf1 moo.cow-far_out=man:dog/cat ~all",  // an unknown modifier (RFC 7208 tests)
           "v=spf1 exists:%{l1r+-}.%{d}",
           "v=spf1 exists:%%%_%-.example.org",
       }) {
    auto parsed = parse_spf_record(txt);
    EXPECT_TRUE(parsed) << txt << ": " << (parsed ? "" : parsed.failure().message);
  }
}

TEST(SpfRecord, GarbageIsASyntaxErrorNotACrash) {
  std::string garbage = "v=spf1 ";
  for (int i = 0; i < 5000; ++i)
    garbage += static_cast<char>((i * 7919) % 256);
  auto parsed = parse_spf_record(garbage);
  ASSERT_FALSE(parsed);
  EXPECT_LT(parsed.failure().message.size(), 400U);  // the term quoted, cut at 80 bytes
  // Thousands of valid terms are fine (the DNS answer bounds them).
  std::string many = "v=spf1";
  for (int i = 0; i < 3000; ++i)
    many += " ip4:192.0.2." + std::to_string(i % 256);
  auto big = parse_spf_record(many);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->terms.size(), 3000U);
}

// --- Macros (section 7, examples of section 7.4) ------------------------------------------

SpfMacroValues rfc_values(const char* ip) {
  SpfMacroValues v;
  v.sender = "strong-bad@email.example.com";
  v.domain = "email.example.com";
  v.ip = parse_spf_address(ip);
  v.helo = "mx.example.org";
  v.validated = "mx.example.org";
  return v;
}

TEST(SpfMacro, ExamplesOfSection7_4) {
  struct Case {
    const char* macro;
    const char* expansion;
  };
  const Case cases[] = {
      {"%{s}", "strong-bad@email.example.com"},
      {"%{o}", "email.example.com"},
      {"%{d}", "email.example.com"},
      {"%{d4}", "email.example.com"},
      {"%{d3}", "email.example.com"},
      {"%{d2}", "example.com"},
      {"%{d1}", "com"},
      {"%{dr}", "com.example.email"},
      {"%{d2r}", "example.email"},
      {"%{l}", "strong-bad"},
      {"%{l-}", "strong.bad"},
      {"%{lr}", "strong-bad"},
      {"%{lr-}", "bad.strong"},
      {"%{l1r-}", "strong"},
      {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
      {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
      {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
      {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
      {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
      {"%{p}", "mx.example.org"},
      {"%{h}", "mx.example.org"},
      {"%%%_%-", "% %20"},
      {"%{S}", "strong-bad%40email.example.com"},  // upper case: URL-escaped
      {"%{c}", "192.0.2.3"},
  };
  auto values = rfc_values("192.0.2.3");
  for (const auto& c : cases)
    EXPECT_EQ(expand_spf_macros(c.macro, values), c.expansion) << c.macro;
}

TEST(SpfMacro, Ipv6) {
  auto values = rfc_values("2001:db8::cb01");
  EXPECT_EQ(expand_spf_macros("%{ir}.%{v}._spf.%{d2}", values),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
  EXPECT_EQ(expand_spf_macros("%{c}", values), "2001:db8::cb01");
}

TEST(SpfMacro, SenderWithoutLocalPart) {
  SpfMacroValues values;
  values.sender = "example.org";  // section 4.3: the local-part becomes "postmaster"
  EXPECT_EQ(expand_spf_macros("%{l}.%{o}", values), "postmaster.example.org");
}

TEST(SpfMacro, Letters) {
  EXPECT_EQ(spf_macro_letters("%{ir}.%{v}._spf.%{D2}"), "ivd");
  EXPECT_EQ(spf_macro_letters("%%{d}.example.org"), "");  // %% is a literal percent sign
  EXPECT_EQ(spf_macro_letters("example.org"), "");
}

TEST(SpfMacro, ThousandLabelsAreCutTo253Octets) {
  // Section 7.3: over 253 octets, labels are removed from the left.
  std::string spec;
  for (int i = 0; i < 1000; ++i)
    spec += "%{d1}.";
  spec += "example.org";
  SpfMacroValues values;
  values.domain = "lab.example";
  auto expanded = expand_spf_macros(spec, values);
  EXPECT_LE(expanded.size(), 4096U);  // bounded while expanding
  auto name = spf_target_name(expanded);
  ASSERT_TRUE(name);
  EXPECT_LE(name->size(), 253U);
  EXPECT_TRUE(name->ends_with(".example.example.org"));
  EXPECT_EQ(name->find("example.example"), 0U);  // whole labels only
  // A repeated long value: the expansion never grows past its bound.
  values.domain = std::string(60, 'a') + "." + std::string(60, 'b') + "." + std::string(60, 'c');
  std::string many;
  for (int i = 0; i < 5000; ++i)
    many += "%{D}.";
  EXPECT_LE(expand_spf_macros(many + "x.org", values).size(), 4096U);
}

TEST(SpfMacro, TargetNames) {
  EXPECT_EQ(spf_target_name("Mail.Example.ORG."), "mail.example.org");
  EXPECT_EQ(spf_target_name("_spf.example.org"), "_spf.example.org");
  EXPECT_FALSE(spf_target_name(""));
  EXPECT_FALSE(spf_target_name("a..example.org"));
  EXPECT_FALSE(spf_target_name(".example.org"));
  EXPECT_FALSE(spf_target_name(std::string(64, 'a') + ".example.org"));
  EXPECT_FALSE(spf_target_name("a b.example.org"));
  EXPECT_FALSE(spf_target_name(std::string(300, 'a')));  // one label: nothing left to drop
  EXPECT_TRUE(is_spf_domain("example.org"));
  EXPECT_TRUE(is_spf_domain("example.org."));
  EXPECT_FALSE(is_spf_domain("localhost"));
  EXPECT_FALSE(is_spf_domain("a..b"));
}

// --- Addresses (section 5.6) ------------------------------------------------------------------

TEST(SpfAddress, ParseAndMatch) {
  auto v4 = parse_spf_address("192.0.2.130");
  ASSERT_TRUE(v4);
  EXPECT_FALSE(v4->v6);
  auto mapped = parse_spf_address("::ffff:192.0.2.130");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(*mapped, *v4);  // section 5: evaluated as IPv4
  auto v6 = parse_spf_address("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->v6);
  for (const char* bad : {"", "192.0.2", "192.0.2.1.", "192.0.2.256", "01.2.3.4", "fe80::1%eth0",
                          "2001:db8::g", "example.org", "192.0.2.1/24"}) {
    EXPECT_FALSE(parse_spf_address(bad)) << bad;
  }
  struct Case {
    const char* address;
    const char* network;
    int prefix;
    bool in;
  };
  const Case cases[] = {
      {"192.0.2.130", "192.0.2.0", 24, true},
      {"192.0.2.130", "192.0.2.128", 25, true},
      {"192.0.2.130", "192.0.2.0", 25, false},
      {"192.0.2.130", "192.0.2.130", 32, true},
      {"192.0.2.130", "192.0.2.131", 32, false},
      {"192.0.2.130", "10.0.0.0", 0, true},
      {"192.0.2.130", "192.0.2.0", 31, false},
      {"2001:db8::1", "2001:db8::", 32, true},
      {"2001:db8::1", "2001:db9::", 32, false},
      {"2001:db8::1", "2001:db8::", 127, true},
      {"2001:db8::1", "::", 0, true},
      {"2001:db8::1", "192.0.2.0", 0, false},
      {"192.0.2.1", "::", 0, false},
      {"2001:db8:ffff::1", "2001:db8:ff00::", 40, true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(
        spf_address_in(*parse_spf_address(c.address), *parse_spf_address(c.network), c.prefix),
        c.in)
        << c.address << " in " << c.network << "/" << c.prefix;
  }
}

TEST(SpfAddress, ReverseNames) {
  EXPECT_EQ(spf_reverse_name(*parse_spf_address("192.0.2.3")), "3.2.0.192.in-addr.arpa");
  EXPECT_EQ(spf_reverse_name(*parse_spf_address("2001:db8::cb01")),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

}  // namespace
}  // namespace mailprobe::protocol
