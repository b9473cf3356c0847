// RDATA of MX, A, AAAA, TXT and CNAME records as net/dns returns them, and domain names
// turned into what DNS carries (IDNA 2008 A-labels).

#include "protocol/dns_records.hpp"

#include <gtest/gtest.h>

#include "net/dns.hpp"

namespace mailprobe::protocol {
namespace {

using namespace std::string_literals;

TEST(DnsRecords, Mx) {
  auto mx = parse_mx_rdata(
      "\x00\x0a\x02mx\x07"
      "example\x03org\x00"s);
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->preference, 10);
  EXPECT_EQ(mx->exchange, "mx.example.org");
  // RFC 7505 section 3: preference 0, exchange the root.
  auto null_mx = parse_mx_rdata("\x00\x00\x00"s);
  ASSERT_TRUE(null_mx);
  EXPECT_EQ(null_mx->preference, 0);
  EXPECT_EQ(null_mx->exchange, "");
  EXPECT_EQ(parse_mx_rdata("\x01\x00\x02MX\x00"s)->exchange, "mx");  // lower case
  for (const auto& bad : {""s, "\x00\x0a"s, "\x00\x0a\x05mx\x00"s, "\x00\x0a\xc0\x0c"s,
                          "\x00\x0a\x02mx\x00junk"s, "\x00\x0a\x02m x\x00"s, "\x00\x0a\x02mx"s}) {
    EXPECT_FALSE(parse_mx_rdata(bad)) << testing::PrintToString(bad);
  }
}

TEST(DnsRecords, Addresses) {
  EXPECT_EQ(parse_a_rdata("\x7f\x00\x00\x0b"s), "127.0.0.11");
  EXPECT_EQ(parse_aaaa_rdata(std::string(15, '\0') + "\x01"), "::1");
  EXPECT_FALSE(parse_a_rdata("\x7f\x00\x00"s));
  EXPECT_FALSE(parse_aaaa_rdata("\x7f\x00\x00\x01"s));
}

TEST(DnsRecords, TxtJoinsItsStrings) {
  // RFC 7208 section 3.3: the strings of one record are joined without a space.
  EXPECT_EQ(parse_txt_rdata("\x07v=spf1 \x04-all"s), "v=spf1 -all");
  EXPECT_EQ(parse_txt_rdata("\x00"s), "");
  EXPECT_FALSE(parse_txt_rdata(""s));
  EXPECT_FALSE(parse_txt_rdata("\x09short"s));
}

TEST(DnsRecords, Cname) {
  EXPECT_EQ(parse_cname_rdata("\x04real\x07"
                              "example\x00"s),
            "real.example");
  EXPECT_FALSE(parse_cname_rdata("\x04real"s));
}

TEST(DomainNames, AsciiNamesAndIdn) {
  auto ascii = [](std::string_view name) {
    auto converted = net::domain_name_to_ascii(name);
    return converted ? *converted : "error: " + converted.failure().message;
  };
  EXPECT_EQ(ascii("Example.ORG."), "example.org");
  EXPECT_EQ(ascii("_25._tcp.mx.example.org"), "_25._tcp.mx.example.org");
  EXPECT_EQ(ascii("bücher.example"), "xn--bcher-kva.example");
  EXPECT_EQ(ascii("BÜCHER.example"), "xn--bcher-kva.example");
}

TEST(DomainNames, WhatIsNoNameSaysWhy) {
  struct Case {
    std::string name;
    std::string why;
  };
  const Case cases[] = {
      {"", "it is empty"},
      {"a..b", "an empty label"},
      {".", "an empty label"},
      {std::string(64, 'a') + ".org", "a label longer than 63 characters"},
      {std::string(250, 'a').replace(60, 1, ".").replace(120, 1, ".").replace(180, 1, ".") + ".org",
       "longer than 253 characters"},
      {"exa mple.org", "a character no host or service name has"},
      {"example.org/x", "a character no host or service name has"},
  };
  for (const auto& c : cases) {
    auto name = net::domain_name_to_ascii(c.name);
    ASSERT_FALSE(name) << c.name;
    EXPECT_EQ(name.failure().kind, core::FailureKind::config);
    EXPECT_NE(name.failure().message.find("is not a domain name: " + c.why), std::string::npos)
        << name.failure().message;
  }
}

}  // namespace
}  // namespace mailprobe::protocol
