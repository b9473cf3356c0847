// DNS blocklists (RFC 5782) without I/O: query names, what an answer means, and the lists
// file. Error strings are asserted: they are what check_dnsbl shows.

#include "protocol/dnsbl.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/fake_dns.hpp"

namespace mailprobe::protocol {
namespace {

using test::a_rdata;

DnsblList list_of(const std::string& line) {
  auto parsed = parse_dnsbl_line(line);
  EXPECT_TRUE(parsed) << line << ": " << (parsed ? "" : parsed.failure().message);
  return parsed && *parsed ? **parsed : DnsblList{};
}

std::string error_of(const std::string& line) {
  auto parsed = parse_dnsbl_line(line);
  if (parsed) return "(no error)";
  EXPECT_EQ(parsed.failure().kind, core::FailureKind::config);
  return parsed.failure().message;
}

std::vector<std::string> records(const std::vector<std::string>& addresses) {
  std::vector<std::string> out;
  out.reserve(addresses.size());
  for (const auto& address : addresses)
    out.push_back(a_rdata(address));
  return out;
}

TEST(DnsblQuery, Ipv4OctetsReversed) {
  // RFC 5782 section 2.1's example: 192.168.42.23 on dnsxl.example.com.
  EXPECT_EQ(dnsbl_address_query("192.168.42.23", "dnsxl.example.com"),
            "23.42.168.192.dnsxl.example.com");
  EXPECT_EQ(dnsbl_address_query("127.0.0.2", "bl.example"), "2.0.0.127.bl.example");
  EXPECT_EQ(dnsbl_address_query("0.0.0.0", "bl.example"), "0.0.0.0.bl.example");
}

TEST(DnsblQuery, Ipv6NibblesReversed) {
  // RFC 5782 section 2.4's example: 2001:db8:1:2:3:4:567:89ab.
  EXPECT_EQ(dnsbl_address_query("2001:DB8:1:2:3:4:567:89AB", "ugly.example.com"),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com");
  // RFC 5782 section 5: the IPv6 test entry ::FFFF:7F00:2, asked as nibbles too.
  EXPECT_EQ(dnsbl_address_query("::ffff:7f00:2", "bl.example"),
            "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.example");
  EXPECT_EQ(dnsbl_address_query("::1", "x.example")->size(), 63 + 10);
}

TEST(DnsblQuery, NotAnAddressOrTooLong) {
  for (const char* bad : {"", "192.0.2", "192.0.2.256", "01.2.3.4", "192.0.2.1/32",
                          "2001:db8::1::2", "mail.example.org", " 192.0.2.1", "192.0.2.1 "}) {
    EXPECT_FALSE(dnsbl_address_query(bad, "bl.example")) << bad;
  }
  std::string zone(190, 'a');
  EXPECT_TRUE(dnsbl_address_query("192.0.2.1", zone));
  EXPECT_FALSE(dnsbl_address_query("2001:db8::1", zone));  // 64 + 190 > 253
}

TEST(DnsblQuery, Domains) {
  // RFC 5782 section 3: the domain, then the zone.
  EXPECT_EQ(dnsbl_domain_query("Example.COM.", "rhsbl.example"), "example.com.rhsbl.example");
  EXPECT_EQ(dnsbl_domain_query("test", "dbl.example"), "test.dbl.example");
  EXPECT_FALSE(dnsbl_domain_query("", "dbl.example"));
  EXPECT_FALSE(dnsbl_domain_query(std::string(250, 'a'), "dbl.example"));
}

TEST(DnsblQuery, TestEntries) {
  EXPECT_EQ(dnsbl_test_entries(DnsblKind::ip).listed, "127.0.0.2");
  EXPECT_EQ(dnsbl_test_entries(DnsblKind::ip).unlisted, "127.0.0.1");
  EXPECT_EQ(dnsbl_test_entries(DnsblKind::domain).listed, "test");
  EXPECT_EQ(dnsbl_test_entries(DnsblKind::domain).unlisted, "invalid");
}

TEST(DnsblAnswer, ListWithoutCodes) {
  auto list = list_of("bl.example");
  struct Case {
    std::vector<std::string> answer;
    DnsblVerdict verdict;
    std::string codes;
    std::string meaning;
  };
  const Case cases[] = {
      {{}, DnsblVerdict::not_listed, "", ""},
      {{"127.0.0.2"}, DnsblVerdict::listed, "127.0.0.2", ""},
      {{"127.0.0.4", "127.0.0.10"}, DnsblVerdict::listed, "127.0.0.4, 127.0.0.10", ""},
      {{"127.0.0.1"}, DnsblVerdict::listed, "127.0.0.1", ""},
      // Spamhaus' error range: never a listing, whatever else is in the answer.
      {{"127.255.255.254"},
       DnsblVerdict::refused,
       "127.255.255.254",
       "query refused: it came through a public or open resolver"},
      {{"127.255.255.255"},
       DnsblVerdict::refused,
       "127.255.255.255",
       "query refused: excessive number of queries"},
      {{"127.255.255.252"},
       DnsblVerdict::refused,
       "127.255.255.252",
       "typing error in the list's zone name"},
      {{"127.255.255.1"},
       DnsblVerdict::refused,
       "127.255.255.1",
       "an error code (127.255.255.0/24), not a listing"},
      {{"127.0.0.2", "127.255.255.254"},
       DnsblVerdict::refused,
       "127.0.0.2, 127.255.255.254",
       "query refused: it came through a public or open resolver"},
      // Outside 127.0.0.0/8: not a blocklist answer (a resolver's ad server, a wildcard).
      {{"192.0.2.55"}, DnsblVerdict::invalid, "192.0.2.55", ""},
      {{"127.0.0.2", "10.0.0.1"}, DnsblVerdict::invalid, "127.0.0.2, 10.0.0.1", ""},
      {{"128.0.0.1"}, DnsblVerdict::invalid, "128.0.0.1", ""},
  };
  for (const auto& c : cases) {
    auto answer = classify_dnsbl_answer(list, records(c.answer));
    EXPECT_EQ(answer.verdict, c.verdict) << c.codes;
    EXPECT_EQ(dnsbl_codes_text(answer), c.codes);
    EXPECT_EQ(answer.meaning, c.meaning) << c.codes;
  }
}

TEST(DnsblAnswer, NamedCodesAreTheOnlyListings) {
  auto list = list_of(
      "zen.example 127.0.0.2-3=SBL 127.0.0.4-7=\"exploited host\" "
      "error:127.0.0.1=\"query refused\"");
  auto sbl = classify_dnsbl_answer(list, records({"127.0.0.3"}));
  EXPECT_EQ(sbl.verdict, DnsblVerdict::listed);
  EXPECT_EQ(sbl.meaning, "SBL");
  auto both = classify_dnsbl_answer(list, records({"127.0.0.2", "127.0.0.5", "127.0.0.3"}));
  EXPECT_EQ(both.verdict, DnsblVerdict::listed);
  EXPECT_EQ(both.meaning, "SBL, exploited host");  // each meaning once
  // A code the file does not name is shown, not counted (PBL on a list used for SBL only).
  auto pbl = classify_dnsbl_answer(list, records({"127.0.0.10"}));
  EXPECT_EQ(pbl.verdict, DnsblVerdict::other_code);
  EXPECT_EQ(dnsbl_codes_text(pbl), "127.0.0.10");
  auto refused = classify_dnsbl_answer(list, records({"127.0.0.1"}));
  EXPECT_EQ(refused.verdict, DnsblVerdict::refused);
  EXPECT_EQ(refused.meaning, "query refused");
  // The error range stays an error even when the file names only listings.
  EXPECT_EQ(classify_dnsbl_answer(list, records({"127.255.255.254"})).verdict,
            DnsblVerdict::refused);
}

TEST(DnsblAnswer, HostileAnswersAreBoundedAndNeverListings) {
  auto list = list_of("bl.example");
  std::vector<std::string> many;
  many.reserve(500);
  for (int i = 0; i < 500; ++i)
    many.push_back(a_rdata("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256)));
  auto answer = classify_dnsbl_answer(list, many);
  EXPECT_EQ(answer.verdict, DnsblVerdict::invalid);
  EXPECT_EQ(answer.code_count, 500U);
  EXPECT_EQ(answer.codes.size(), 8U);
  EXPECT_EQ(dnsbl_codes_text(answer),
            "10.0.0.0, 10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4, 10.0.0.5, 10.0.0.6, 10.0.0.7 "
            "and 492 more");
  // RDATA of another size is no A record.
  auto odd = classify_dnsbl_answer(list, {std::string("\x7f\0\0", 3)});
  EXPECT_EQ(odd.verdict, DnsblVerdict::invalid);
  EXPECT_EQ(dnsbl_codes_text(odd), "an A record of 3 bytes");
}

TEST(DnsblLists, Lines) {
  auto zen = list_of(
      "  ZEN.Spamhaus.ORG. 127.0.0.2-3=SBL 127.0.0.4-127.0.0.7=XBL "
      "error:127.255.255.254=\"public resolver\"  # Spamhaus");
  EXPECT_EQ(zen.zone, "zen.spamhaus.org");
  EXPECT_EQ(zen.kind, DnsblKind::ip);
  EXPECT_TRUE(zen.test_entry);
  ASSERT_EQ(zen.codes.size(), 3U);
  EXPECT_EQ(zen.codes[0].first, 0x7f000002U);
  EXPECT_EQ(zen.codes[0].last, 0x7f000003U);
  EXPECT_EQ(zen.codes[1].last, 0x7f000007U);
  EXPECT_EQ(zen.codes[2].meaning, "public resolver");
  EXPECT_TRUE(zen.codes[2].error);
  EXPECT_FALSE(zen.codes[0].error);

  auto dbl = list_of("dbl.example domain no-test-entry 127.0.1.2-99=\"spam domain\"");
  EXPECT_EQ(dbl.kind, DnsblKind::domain);
  EXPECT_FALSE(dbl.test_entry);
  EXPECT_EQ(dbl.codes[0].last, 0x7f000163U);
  EXPECT_EQ(dbl.codes[0].meaning, "spam domain");
  // A '#' inside quotes is part of the meaning.
  EXPECT_EQ(list_of("bl.example 127.0.0.2=\"see #5\"").codes[0].meaning, "see #5");
  EXPECT_EQ(list_of("bl.example ip").kind, DnsblKind::ip);

  for (const char* empty : {"", "   ", "# a comment", "  \t# indented comment"}) {
    auto parsed = parse_dnsbl_line(empty);
    ASSERT_TRUE(parsed) << empty;
    EXPECT_FALSE(*parsed) << empty;
  }
}

TEST(DnsblLists, LineErrors) {
  EXPECT_EQ(error_of("bl.example 127.0.0.2="), "'127.0.0.2=' has no meaning");
  EXPECT_EQ(error_of("bl.example 127.0.0.2=\"\""), "'127.0.0.2=\"\"' has no meaning");
  EXPECT_EQ(error_of("bl.example 192.0.2.1=x"),
            "code '192.0.2.1' is outside 127.0.0.0/8, where blocklist answers are");
  EXPECT_EQ(error_of("bl.example 127.0.0.9-4=x"), "range '127.0.0.9-4' ends before it starts");
  EXPECT_EQ(error_of("bl.example 127.0.0.4-256=x"),
            "'127.0.0.4-256' is not an IPv4 address or range");
  EXPECT_EQ(error_of("bl.example 127.0.0=x"), "'127.0.0' is not an IPv4 address or range");
  EXPECT_EQ(error_of("bl.example 127.0.0.2-5=a 127.0.0.4=b"),
            "code 127.0.0.4 overlaps 127.0.0.2-127.0.0.5");
  EXPECT_EQ(error_of("bl.example ip domain"), "both ip and domain given");
  EXPECT_EQ(error_of("bl.example listed"),
            "'listed' is neither ip, domain, no-test-entry nor CODE=MEANING");
  EXPECT_EQ(error_of("bl.example 127.0.0.2='spam source'"),
            "'source'' is neither ip, domain, no-test-entry nor CODE=MEANING (a MEANING with "
            "spaces goes in double quotes)");
  EXPECT_EQ(error_of("bl.example 127.0.0.2=\"open"), "unterminated quote in '127.0.0.2=\"open'");
  EXPECT_EQ(error_of("bl.example 127.0.0.2=a\"b\""),
            "'127.0.0.2=a\"b\"': quotes go around the whole meaning");
  EXPECT_EQ(error_of("127.0.0.2=x"), "a list starts with its zone, not '127.0.0.2=x'");
  EXPECT_EQ(error_of("org"), "zone 'org' is a top-level domain, not a list's zone");
  EXPECT_EQ(error_of("bl..example"), "zone 'bl..example' is not a domain name: an empty label");
  EXPECT_EQ(error_of("bl.example 127.0.0.2=" + std::string(201, 'x')),
            "the meaning of '127.0.0.2' is longer than 200 bytes");
  std::string long_zone;
  for (int i = 0; i < 4; ++i)
    long_zone += std::string(50, 'a') + ".";
  long_zone += "example";
  EXPECT_EQ(error_of(long_zone),
            "zone '" + long_zone +
                "' is longer than 189 characters: no room for an IPv6 address before it");
  EXPECT_EQ(list_of(long_zone + " domain").zone, long_zone);  // domain lists ask no address
  std::string many = "bl.example";
  for (int i = 0; i < 65; ++i)
    many += " 127.0.1." + std::to_string(i) + "=x";
  EXPECT_EQ(error_of(many), "more than 64 codes");
}

TEST(DnsblLists, File) {
  auto parsed = parse_dnsbl_lists(
      "# check_dnsbl lists\n"
      "zen.example 127.0.0.2-3=SBL\r\n"
      "\n"
      "dbl.example domain   # the domains\n"
      "bl.example");
  ASSERT_TRUE(parsed) << parsed.failure().message;
  ASSERT_EQ(parsed->size(), 3U);
  EXPECT_EQ((*parsed)[0].zone, "zen.example");
  EXPECT_EQ((*parsed)[1].kind, DnsblKind::domain);
  EXPECT_EQ((*parsed)[2].zone, "bl.example");
}

TEST(DnsblLists, FileErrorsNameTheLine) {
  auto message = [](const std::string& text) {
    auto parsed = parse_dnsbl_lists(text);
    return parsed ? std::string("(no error)") : parsed.failure().message;
  };
  EXPECT_EQ(message("bl.example\n\n# x\nbl2.example 192.0.2.1=x\n"),
            "line 4: code '192.0.2.1' is outside 127.0.0.0/8, where blocklist answers are");
  // '=' in a meaning is part of it.
  EXPECT_EQ(message("bl.example 127.0.0.2=a=b\n"), "(no error)");
  EXPECT_EQ(message("a.example\nb.example\nA.example.\n"),
            "line 3: a.example is already on line 1");
  EXPECT_EQ(message("# nothing\n\n"), "no list in it (one ZONE per line)");
  EXPECT_EQ(message(""), "no list in it (one ZONE per line)");
  EXPECT_EQ(message(std::string("a.example\nb\0.example\n", 21)),
            "line 2: a NUL byte: not a text file");
  std::string lots;
  for (int i = 0; i < 65; ++i)
    lots += "l" + std::to_string(i) + ".example\n";
  EXPECT_EQ(message(lots), "line 65: more than 64 lists");
  EXPECT_EQ(message(std::string(std::size_t{300} * 1024, '#')), "over 256 KiB: not a lists file");
}

}  // namespace
}  // namespace mailprobe::protocol
