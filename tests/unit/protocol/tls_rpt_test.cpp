// SMTP TLS Reporting (RFC 8460 section 3): the _smtp._tls TXT record. Error strings are
// asserted: they are what check_mx shows.

#include "protocol/tls_rpt.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/txt_fields.hpp"

namespace mailprobe::protocol {
namespace {

using Strings = std::vector<std::string>;

TEST(TlsRptTxt, Records) {
  struct Case {
    std::string txt;
    Strings rua;
  };
  const Case cases[] = {
      // Section 3.1's two examples.
      {"v=TLSRPTv1;rua=mailto:reports@example.com", {"mailto:reports@example.com"}},
      {"v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt",
       {"https://reporting.example.com/v1/tlsrpt"}},
      {"v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.com/x;",
       {"mailto:a@example.com", "https://r.example.com/x"}},
      {"v=TLSRPTv1 ; rua=mailto:a@example.com , \tmailto:b@example.com ; ",
       {"mailto:a@example.com", "mailto:b@example.com"}},
      // The grammar allows several rua fields; every destination counts.
      {"v=TLSRPTv1; rua=mailto:a@example.com; rua=https://r.example.com/",
       {"mailto:a@example.com", "https://r.example.com/"}},
      {"v=TLSRPTv1; ext=1; rua=mailto:a@example.com; x.y_z-1=a:b", {"mailto:a@example.com"}},
      // Schemes are case-insensitive (RFC 3986 section 3.1).
      {"v=TLSRPTv1; rua=MAILTO:a@example.com,HTTPS://r.example.com/",
       {"MAILTO:a@example.com", "HTTPS://r.example.com/"}},
      {"v=TLSRPTv1; rua=mailto:tlsrpt@example.com?subject=tlsrpt",
       {"mailto:tlsrpt@example.com?subject=tlsrpt"}},
      {"v=TLSRPTv1; rua=mailto:tls%2Drpt@example.com", {"mailto:tls%2Drpt@example.com"}},
      {"v=TLSRPTv1; rua=mailto:a@example.com%2Cb@example.com",
       {"mailto:a@example.com%2Cb@example.com"}},
      {"v=TLSRPTv1; rua=https://r.example.com:8443/tlsrpt?x=1%21",
       {"https://r.example.com:8443/tlsrpt?x=1%21"}},
      {"v=TLSRPTv1; rua=https://[2001:db8::1]/tlsrpt", {"https://[2001:db8::1]/tlsrpt"}},
  };
  for (const auto& c : cases) {
    auto parsed = parse_tls_rpt_txt(c.txt);
    auto* failure = std::get_if<core::Failure>(&parsed);
    ASSERT_EQ(failure, nullptr) << c.txt << "\n" << failure->message;
    auto* record = std::get_if<TlsRptRecord>(&parsed);
    ASSERT_NE(record, nullptr) << c.txt;
    EXPECT_EQ(record->rua, c.rua) << c.txt;
  }
}

TEST(TlsRptTxt, OtherRecordsAreNotTlsRptRecords) {
  // Section 3: TXT records that do not begin with "v=TLSRPTv1" are discarded, not errors.
  for (const char* txt :
       {"", "v=spf1 -all", "v=tlsrptv1; rua=mailto:a@example.com",
        "v=TLSRPTv2; rua=mailto:a@example.com", "v=TLSRPTv10;rua=mailto:a@example.com",
        "rua=mailto:a@example.com; v=TLSRPTv1", " v=TLSRPTv1; rua=mailto:a@example.com",
        "v=STSv1; id=1"}) {
    EXPECT_TRUE(std::holds_alternative<NotTlsRptRecord>(parse_tls_rpt_txt(txt))) << txt;
  }
}

TEST(TlsRptTxt, BrokenRecords) {
  struct Case {
    std::string txt;
    std::string error;
  };
  const Case cases[] = {
      {"v=TLSRPTv1", "no rua= field (the record is only 'v=TLSRPTv1')"},
      {"v=TLSRPTv1;", "no rua= field"},
      {"v=TLSRPTv1; ruf=mailto:a@example.com", "no rua= field"},
      {"v=TLSRPTv1; RUA=mailto:a@example.com",
       "no rua= field ('RUA' is not 'rua', field names are case-sensitive)"},
      // The address without its scheme, as tests/lab's broken domain publishes it.
      {"v=TLSRPTv1; rua=tlsrpt@example.org",
       "rua URI 'tlsrpt@example.org' has no scheme (mailto: or https:)"},
      {"v=TLSRPTv1; rua=reporting.example.com/tlsrpt",
       "rua URI 'reporting.example.com/tlsrpt' has no scheme (mailto: or https:)"},
      {"v=TLSRPTv1; rua=:a@example.com",
       "rua URI ':a@example.com' has no scheme (mailto: or https:)"},
      {"v=TLSRPTv1; rua=http://r.example.com/tlsrpt",
       "rua URI 'http://r.example.com/tlsrpt' is http:, not mailto: or https:"},
      {"v=TLSRPTv1; rua=ftp://r.example.com/",
       "rua URI 'ftp://r.example.com/' is ftp:, not mailto: "
       "or https:"},
      {"v=TLSRPTv1; rua=mailto:reports",
       "rua URI 'mailto:reports' has no address (mailto:name@domain)"},
      {"v=TLSRPTv1; rua=mailto:", "rua URI 'mailto:' has no address (mailto:name@domain)"},
      {"v=TLSRPTv1; rua=mailto:@example.com",
       "rua URI 'mailto:@example.com' has no address (mailto:name@domain)"},
      {"v=TLSRPTv1; rua=mailto:a@", "rua URI 'mailto:a@' has no address (mailto:name@domain)"},
      {"v=TLSRPTv1; rua=mailto:?to=a@example.com",
       "rua URI 'mailto:?to=a@example.com' has no address (mailto:name@domain)"},
      {"v=TLSRPTv1; rua=mailto:a@example.com%2Cb",
       "rua URI 'mailto:a@example.com%2Cb' has no address (mailto:name@domain)"},
      {"v=TLSRPTv1; rua=https:///tlsrpt", "rua URI 'https:///tlsrpt' has no host"},
      {"v=TLSRPTv1; rua=https:tlsrpt", "rua URI 'https:tlsrpt' has no host"},
      // DMARC's size suffix does not exist here; '!' must be encoded.
      {"v=TLSRPTv1; rua=mailto:a@example.com!10m",
       "rua URI 'mailto:a@example.com!10m' has a '!', write it as %21"},
      {"v=TLSRPTv1; rua=https://r.example.com/a b",
       "rua URI 'https://r.example.com/a b' is not a valid URI"},
      {"v=TLSRPTv1; rua=https://r.exa mple.com/",
       "rua URI 'https://r.exa mple.com/' is not a valid URI"},
      {"v=TLSRPTv1; rua=https://r.example.com/%zz",
       "rua URI 'https://r.example.com/%zz' is not a valid URI"},
      {"v=TLSRPTv1; rua=", "rua= is empty, it needs a mailto: or https: URI"},
      {"v=TLSRPTv1; rua= mailto:a@example.com", "space after rua=, the URI must follow the '='"},
      {"v=TLSRPTv1; rua=mailto:a@example.com,,mailto:b@example.com",
       "rua= has an empty entry between commas"},
      {"v=TLSRPTv1; rua=mailto:a@example.com,", "rua= has an empty entry between commas"},
      {"v=TLSRPTv1 rua=mailto:a@example.com",
       "expected ';' after the version, found 'rua=mailto:a@example.com'"},
      {"v=TLSRPTv1; rua=mailto:a@example.com;; x=y", "empty field (two ';' in a row)"},
      {"v=TLSRPTv1; rua=mailto:a@example.com; ext", "field 'ext' is not name=value"},
      {"v=TLSRPTv1; rua=mailto:a@example.com ",
       "space or tab at the end of the record (allowed only after a ';')"},
      {"v=TLSRPTv1; rua=mailto:a@example.com; ext=a=b",
       "field 'ext' has the value 'a=b', not printable ASCII without spaces, '=' or ';'"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_tls_rpt_txt(c.txt);
    auto* failure = std::get_if<core::Failure>(&parsed);
    ASSERT_NE(failure, nullptr) << c.txt;
    EXPECT_EQ(failure->message, c.error) << c.txt;
    EXPECT_EQ(failure->phase, "tls-rpt");
    EXPECT_EQ(failure->kind, core::FailureKind::protocol);
  }
}

// Quoting of record text in messages, shared with the MTA-STS parser: what DNS or a web
// server hands over may hold any byte, and the message ends up in one line of plugin output.
TEST(TxtFields, QuotedForMessages) {
  struct Case {
    std::string text;
    std::size_t max;
    std::string expected;
  };
  const Case cases[] = {
      {"mailto:a@example.com", 80, "'mailto:a@example.com'"},
      {"", 80, "''"},
      {std::string("a\0b\n\\\xff", 6), 80, "'a\\x00b\\x0a\\x5c\\xff'"},
      {std::string(100, 'x'), 80, "'" + std::string(80, 'x') + "...'"},
      {std::string(80, 'x'), 80, "'" + std::string(80, 'x') + "'"},
      {"abcdef", 3, "'abc...'"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(quoted(c.text, c.max), c.expected);
}

}  // namespace
}  // namespace mailprobe::protocol
