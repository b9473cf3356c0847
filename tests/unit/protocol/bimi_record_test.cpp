// BIMI assertion records (draft-brand-indicators-for-message-identification, "Assertion
// Record Definition"). Error strings are asserted: check_mail_domain shows them.

#include "protocol/bimi_record.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mailprobe::protocol {
namespace {

TEST(BimiRecord, Records) {
  struct Case {
    std::string txt;
    std::string location;
    std::string authority;
    bool declined;
  };
  const Case cases[] = {
      {"v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem",
       "https://example.com/logo.svg", "https://example.com/vmc.pem", false},
      {"v=BIMI1; l=https://images.example.com/bimi/logo.svg;",
       "https://images.example.com/bimi/"
       "logo.svg",
       "", false},
      {"v=BIMI1;l=https://example.com/logo.svgz;a=;", "https://example.com/logo.svgz", "", false},
      {"v=BIMI1; l=https://example.com/bimi?id=7", "https://example.com/bimi?id=7", "", false},
      {"v=BIMI1; l=; a=https://example.com/vmc.pem", "", "https://example.com/vmc.pem", false},
      // The draft's declination to publish, also with local-part selectors.
      {"v=BIMI1; l=; a=;", "", "", true},
      {"v=BIMI1; l=; a=; lps=true;", "", "", true},
      {"v=BIMI1; l=", "", "", true},
  };
  for (const auto& c : cases) {
    auto parsed = parse_bimi_record(c.txt);
    auto* failure = std::get_if<core::Failure>(&parsed);
    ASSERT_EQ(failure, nullptr) << c.txt << "\n" << failure->message;
    auto* record = std::get_if<BimiRecord>(&parsed);
    ASSERT_NE(record, nullptr) << c.txt;
    EXPECT_EQ(record->location, c.location) << c.txt;
    EXPECT_EQ(record->authority, c.authority) << c.txt;
    EXPECT_EQ(record->declined(), c.declined) << c.txt;
    EXPECT_TRUE(record->warnings.empty()) << c.txt;
  }
  auto parsed = parse_bimi_record("v=BIMI1; l=https://e.example/l.svg; lps=yes; avp=logo");
  const auto& record = std::get<BimiRecord>(parsed);
  EXPECT_EQ(record.warnings,
            (std::vector<std::string>{
                "lps 'yes' is not true or false: receivers use false",
                "avp 'logo' is not personal or brand: receivers use brand, or reject the "
                "record"}));
}

TEST(BimiRecord, InvalidRecords) {
  struct Case {
    std::string txt;
    std::string error;
  };
  const Case cases[] = {
      {"v=BIMI1", "no l= tag (required; empty l= and a= decline BIMI)"},
      {"v=BIMI1; a=https://example.com/vmc.pem",
       "no l= tag (required; empty l= and a= decline "
       "BIMI)"},
      {"v=BIMI1; l=http://example.com/logo.svg",
       "l 'http://example.com/logo.svg' is not an "
       "https: URI"},
      {"v=BIMI1; l=https://example.com/logo.png",
       "l 'https://example.com/logo.png' is a .png "
       "image: BIMI logos are SVG (Tiny PS)"},
      {"v=BIMI1; l=https://a.example/1.svg,https://b.example/2.svg",
       "l 'https://a.example/1.svg,https://b.example/2.svg' is a list: one https: URI is allowed "
       "(commas in it written %2C)"},
      {"v=BIMI1; l=https://localhost/logo.svg",
       "l 'https://localhost/logo.svg' has no fully "
       "qualified host name"},
      {"v=BIMI1; l=logo.svg", "l 'logo.svg' is not a URI"},
      {"v=BIMI1; l=https://example.com/l.svg; a=ftp://example.com/vmc.pem",
       "a 'ftp://example.com/vmc.pem' is not an https: URI"},
      {"v=BIMI1; l=https://example.com/l.svg; l=https://example.com/m.svg",
       "tag 'l' appears twice, which makes the whole record invalid (RFC 6376 section 3.2)"},
      {"v=BIMI1 l=https://example.com/l.svg",
       "v='BIMI1 l=https://example.com/l.svg' is not "
       "BIMI1 followed by ';'"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_bimi_record(c.txt);
    auto* failure = std::get_if<core::Failure>(&parsed);
    ASSERT_NE(failure, nullptr) << c.txt;
    EXPECT_EQ(failure->message, c.error) << c.txt;
    EXPECT_EQ(failure->phase, "bimi");
  }
}

TEST(BimiRecord, OtherRecordsAreIgnored) {
  // "MUST NOT attempt to fix syntactical or capitalization errors": V=, bimi1 are not BIMI.
  struct Case {
    std::string txt;
    std::string hint;
  };
  const Case cases[] = {
      {"v=spf1 -all", ""},
      {"", ""},
      {"V=BIMI1; l=https://example.com/l.svg", "it does not start with v=BIMI1 exactly"},
      {"v=bimi1; l=https://example.com/l.svg", "it does not start with v=BIMI1 exactly"},
      {"v=BIMI2; l=https://example.com/l.svg", "it does not start with v=BIMI1 exactly"},
      {"l=https://example.com/bimi.svg; v=BIMI1", "it does not start with v=BIMI1 exactly"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_bimi_record(c.txt);
    auto* other = std::get_if<NotBimiRecord>(&parsed);
    ASSERT_NE(other, nullptr) << c.txt;
    EXPECT_EQ(other->hint, c.hint) << c.txt;
  }
}

}  // namespace
}  // namespace mailprobe::protocol
