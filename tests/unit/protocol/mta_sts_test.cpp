// MTA-STS (RFC 8461): the _mta-sts TXT record, the policy file, and matching MX hosts
// against the policy's patterns. Error strings are asserted: they are what check_mx shows.

#include "protocol/mta_sts.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mailprobe::protocol {
namespace {

using Strings = std::vector<std::string>;

// --- TXT record (section 3.1) --------------------------------------------------------------

TEST(StsTxt, Records) {
  struct Case {
    std::string txt;
    std::string id;
    Strings warnings;
  };
  const Case cases[] = {
      {"v=STSv1; id=20160831085700Z;", "20160831085700Z", {}},  // section 3.1's example
      {"v=STSv1;id=abc", "abc", {}},
      {"v=STSv1 ;\tid=abc ; ", "abc", {}},  // field-delim = *WSP ";" *WSP
      {"v=STSv1; id=a1; foo=bar", "a1", {}},
      {"v=STSv1; foo.bar_1-x=b!a:z; id=Z", "Z", {}},  // extensions are ignored
      {"v=STSv1; id=" + std::string(32, '7'), std::string(32, '7'), {}},
      {"v=STSv1; id=first; id=second", "first", {"second id 'second' ignored, the first counts"}},
  };
  for (const auto& c : cases) {
    auto parsed = parse_sts_txt(c.txt);
    auto* record = std::get_if<StsTxtRecord>(&parsed);
    ASSERT_NE(record, nullptr) << c.txt;
    EXPECT_EQ(record->id, c.id) << c.txt;
    EXPECT_EQ(record->warnings, c.warnings) << c.txt;
  }
}

TEST(StsTxt, OtherRecordsAreNotStsRecords) {
  // Section 3.1: TXT records that do not begin with "v=STSv1" are discarded, not errors.
  for (const char* txt :
       {"", "v=spf1 -all", "V=STSv1; id=1", "v=stsv1; id=1", "id=1; v=STSv1", " v=STSv1; id=1",
        "v=STSv10; id=1", "v=STSv1x", "v=STSv2; id=1", "v=TLSRPTv1; rua=mailto:tlsrpt@example.com",
        "google-site-verification=abc"}) {
    EXPECT_TRUE(std::holds_alternative<NotStsRecord>(parse_sts_txt(txt))) << txt;
  }
}

TEST(StsTxt, BrokenRecords) {
  struct Case {
    std::string txt;
    std::string error;
  };
  const Case cases[] = {
      {"v=STSv1", "no id= field (the record is only 'v=STSv1')"},
      {"v=STSv1;", "no id= field"},
      {"v=STSv1; ", "no id= field"},
      {"v=STSv1; foo=bar", "no id= field"},
      {"v=STSv1 id=1", "expected ';' after the version, found 'id=1'"},
      {"v=STSv1; id=", "id '' is not 1 to 32 letters and digits"},
      {"v=STSv1; id=2016-08-31", "id '2016-08-31' is not 1 to 32 letters and digits"},
      {"v=STSv1; id=" + std::string(33, '7'),
       "id '" + std::string(33, '7') + "' is not 1 to 32 letters and digits"},
      {"v=STSv1; id=abc def", "id 'abc def' is not 1 to 32 letters and digits"},
      {std::string("v=STSv1; id=ab\0c", 16), "id 'ab\\x00c' is not 1 to 32 letters and digits"},
      {"v=STSv1; id=abc;; foo=bar", "empty field (two ';' in a row)"},
      {"v=STSv1;; id=abc", "empty field (two ';' in a row)"},
      {"v=STSv1; id = abc",
       "field name 'id ' is not 1 to 32 letters, digits, '_', '-' or '.' starting with a letter "
       "or digit"},
      {"v=STSv1; id=abc; foo", "field 'foo' is not name=value"},
      {"v=STSv1; id=abc; foo=a b",
       "field 'foo' has the value 'a b', not printable ASCII without spaces, '=' or ';'"},
      {"v=STSv1; id=abc; foo=",
       "field 'foo' has the value '', not printable ASCII without spaces, "
       "'=' or ';'"},
      {"v=STSv1; id=abc ", "space or tab at the end of the record (allowed only after a ';')"},
      {"v=STSv1; id=abc\t", "space or tab at the end of the record (allowed only after a ';')"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_sts_txt(c.txt);
    auto* failure = std::get_if<core::Failure>(&parsed);
    ASSERT_NE(failure, nullptr) << c.txt;
    EXPECT_EQ(failure->message, c.error) << c.txt;
    EXPECT_EQ(failure->phase, "mta-sts");
    EXPECT_EQ(failure->kind, core::FailureKind::protocol);
  }
}

// --- Policy (section 3.2) ------------------------------------------------------------------

// Section 3.2's example policy.
constexpr const char* rfc_policy =
    "version: STSv1\n"
    "mode: enforce\n"
    "mx: mail.example.com\n"
    "mx: *.example.net\n"
    "mx: backupmx.example.com\n"
    "max_age: 604800\n";

TEST(StsPolicy, Policies) {
  struct Case {
    std::string body;
    StsMode mode;
    long long max_age;
    Strings mx;
  };
  const Strings rfc_mx{"mail.example.com", "*.example.net", "backupmx.example.com"};
  const Case cases[] = {
      {rfc_policy, StsMode::enforce, 604800, rfc_mx},
      {"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
       "mx: backupmx.example.com\r\nmax_age: 604800\r\n",
       StsMode::enforce, 604800, rfc_mx},
      // No final line break, no space after the colon, whitespace after values, fields in
      // any order.
      {"max_age:86400 \nmx:\tMX1.Example.COM\t\nmode:testing\nversion: STSv1",
       StsMode::testing,
       86400,
       {"MX1.Example.COM"}},
      {"version: STSv1\nmode: none\nmax_age: 0\n", StsMode::none, 0, {}},
      {"version: STSv1\nmode: none\nmx: old.example.com\nmax_age: 31557600\n",
       StsMode::none,
       31557600,
       {"old.example.com"}},
      {"version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 0604800\n",
       StsMode::enforce,
       604800,
       {"mx.example.com"}},
      // Unknown fields are ignored, their values may be UTF-8 with inner spaces.
      {"version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n"
       "x-contact: Jörg Müller <postmaster@example.com>\ncomment_1: a: b\n",
       StsMode::enforce,
       86400,
       {"mx.example.com"}},
      {"version: STSv1\nmode: enforce\nmx: mx-1.xn--mller-kva.example\nmx: a\nmax_age: 1\n",
       StsMode::enforce,
       1,
       {"mx-1.xn--mller-kva.example", "a"}},
  };
  for (const auto& c : cases) {
    auto policy = parse_sts_policy(c.body);
    ASSERT_TRUE(policy) << c.body << "\n" << policy.failure().message;
    EXPECT_EQ(policy->mode, c.mode) << c.body;
    EXPECT_EQ(policy->max_age.count(), c.max_age) << c.body;
    EXPECT_EQ(policy->mx, c.mx) << c.body;
    EXPECT_TRUE(policy->warnings.empty()) << c.body << "\n" << policy->warnings.front();
  }
}

TEST(StsPolicy, Warnings) {
  struct Case {
    std::string body;
    StsMode mode;
    long long max_age;
    Strings warnings;
  };
  const Case cases[] = {
      // Section 3.2: of a field other than mx, the first occurrence counts.
      {"version: STSv1\nmode: testing\nmode: enforce\nmx: a.example\nmax_age: 60\nmax_age: 7\n",
       StsMode::testing,
       60,
       {"line 3: second mode line ignored, the first counts",
        "line 6: second max_age line ignored, the first counts"}},
      {"version: STSv1\nversion: STSv1\nmode: none\nmax_age: 60\n",
       StsMode::none,
       60,
       {"line 2: second version line ignored, the first counts"}},
      {"version: STSv1\nmode: none\nmax_age: 60\n\n",
       StsMode::none,
       60,
       {"line 4: empty line, RFC 8461 section 3.2 allows none"}},
      {"version: STSv1\r\n\r\nmode: none\r\nmax_age: 60\r\n",
       StsMode::none,
       60,
       {"line 2: empty line, RFC 8461 section 3.2 allows none"}},
      {"version: STSv1\nMode: testing\nmode: enforce\nmx: a.example\nmax_age: 60\n",
       StsMode::enforce,
       60,
       {"line 2: field 'Mode' is not 'mode' (names are case-sensitive), ignored"}},
  };
  for (const auto& c : cases) {
    auto policy = parse_sts_policy(c.body);
    ASSERT_TRUE(policy) << c.body << "\n" << policy.failure().message;
    EXPECT_EQ(policy->mode, c.mode) << c.body;
    EXPECT_EQ(policy->max_age.count(), c.max_age) << c.body;
    EXPECT_EQ(policy->warnings, c.warnings) << c.body;
  }
}

TEST(StsPolicy, BrokenPolicies) {
  const std::string head = "version: STSv1\nmode: enforce\n";  // lines 1 and 2
  const std::string tail = "max_age: 86400\n";
  auto with_mx = [&](const std::string& mx) { return head + "mx: " + mx + "\n" + tail; };
  struct Case {
    std::string body;
    std::string error;
  };
  const Case cases[] = {
      {"", "policy is empty"},
      {std::string(max_sts_policy_bytes + 1, 'a'), "policy larger than 64 KiB"},
      // What a web server answers instead of a policy.
      {"<!DOCTYPE html>\n<html>", "line 1: expected 'name: value', got '<!DOCTYPE html>'"},
      {"\x1f\x8b\x08\x00", "line 1: control character '\\x1f', this is not a text policy"},
      {std::string("version: STSv1\nmode: enf\0orce\n", 29),
       "line 2: control character '\\x00', this is not a text policy"},
      {"\xef\xbb\xbfversion: STSv1\n",
       "line 1: starts with a UTF-8 byte order mark, the policy must start with a field"},
      {head + "x-note: \xff\xfe\n", "line 3: not UTF-8 text: '\\xff\\xfe'"},
      {head + "x-note: \xc0\xaf\n", "line 3: not UTF-8 text: '\\xc0\\xaf'"},           // overlong
      {head + "x-note: \xed\xa0\x80\n", "line 3: not UTF-8 text: '\\xed\\xa0\\x80'"},  // surrogate
      {head + "x-note: \xe2\x82\n", "line 3: not UTF-8 text: '\\xe2\\x82'"},           // cut short
      {"version: STSv1\rmode: enforce\n", "line 1: carriage return without line feed"},
      // Missing fields.
      {"mode: enforce\nmx: a.example\nmax_age: 60\n", "no version line (version: STSv1)"},
      {"version: STSv1\nmx: a.example\nmax_age: 60\n",
       "no mode line (mode: enforce, testing or none)"},
      {"version: STSv1\nMode: enforce\nmx: a.example\nmax_age: 60\n",
       "no mode line (mode: enforce, testing or none)"},
      {head + "mx: a.example\n", "no max_age line"},
      {head + tail, "no mx line, mode enforce needs at least one"},
      {"version: STSv1\nmode: testing\nmax_age: 60\n",
       "no mx line, mode testing needs at least one"},
      // Values. Names and values are case-sensitive (%s in the ABNF).
      {"version: STSv2\n", "line 1: version 'STSv2' is not STSv1"},
      {"version: stsv1\n", "line 1: version 'stsv1' is not STSv1"},
      {"version:\n", "line 1: version '' is not STSv1"},
      {"version: STSv1\nmode: Enforce\n", "line 2: mode 'Enforce' is not enforce, testing or none"},
      {"version: STSv1\nmode: report\n", "line 2: mode 'report' is not enforce, testing or none"},
      {head + "max_age: 31557601\n",
       "line 3: max_age 31557601 is over 31557600 seconds (one year)"},
      {head + "max_age: 9999999999\n",
       "line 3: max_age 9999999999 is over 31557600 seconds (one year)"},
      {head + "max_age: 12345678901\n", "line 3: max_age '12345678901' has more than 10 digits"},
      {head + "max_age: -1\n", "line 3: max_age '-1' is not a number of seconds"},
      {head + "max_age: 1e6\n", "line 3: max_age '1e6' is not a number of seconds"},
      {head + "max_age: 86400s\n", "line 3: max_age '86400s' is not a number of seconds"},
      {head + "max_age: 86 400\n", "line 3: max_age '86 400' is not a number of seconds"},
      {head + "max_age:\n", "line 3: max_age '' is not a number of seconds"},
      {with_mx("mail.example.com."), "line 3: mx 'mail.example.com.' ends in a dot"},
      {with_mx("*.*.example.com"),
       "line 3: mx '*.*.example.com' has a '*' that is not the whole leftmost label"},
      {with_mx("mx*.example.com"),
       "line 3: mx 'mx*.example.com' has a '*' that is not the whole leftmost label"},
      {with_mx("*.example.com*"),
       "line 3: mx '*.example.com*' has a '*' that is not the whole leftmost label"},
      {with_mx("mail_1.example.com"),
       "line 3: mx 'mail_1.example.com' has '_', host names have letters, digits and '-'"},
      {with_mx("mail example.com"),
       "line 3: mx 'mail example.com' has ' ', host names have letters, digits and '-'"},
      {with_mx("10 mail.example.com"),
       "line 3: mx '10 mail.example.com' has ' ', host names have letters, digits and '-'"},
      {with_mx("m\xc3\xbcller.example"),
       "line 3: mx 'm\\xc3\\xbcller.example' is not ASCII: write internationalized names as "
       "A-labels (xn--...)"},
      {with_mx("-mail.example.com"),
       "line 3: mx '-mail.example.com' has a label with an outer '-'"},
      {with_mx("mail-.example.com"),
       "line 3: mx 'mail-.example.com' has a label with an outer '-'"},
      {with_mx("mail..example.com"), "line 3: mx 'mail..example.com' has an empty label"},
      {with_mx(".example.com"), "line 3: mx '.example.com' has an empty label"},
      {with_mx("*."), "line 3: mx '*.' has no domain after '*.'"},
      {with_mx(std::string(64, 'a') + ".example"),
       "line 3: mx '" + std::string(64, 'a') + ".example' has a label longer than 63 characters"},
      {head + "mx:\n" + tail, "line 3: mx line without a host name"},
      // Lines that are not fields.
      {"version: STSv1\nmode enforce\n", "line 2: expected 'name: value', got 'mode enforce'"},
      {"version: STSv1\n mode: enforce\n",
       "line 2: field name ' mode' is not 1 to 32 letters, digits, '_', '-' or '.' starting with "
       "a letter or digit"},
      {"version: STSv1\nmode : enforce\n",
       "line 2: field name 'mode ' is not 1 to 32 letters, digits, '_', '-' or '.' starting with "
       "a letter or digit"},
      {head + std::string(33, 'x') + ": y\n",
       "line 3: field name '" + std::string(33, 'x') +
           "' is not 1 to 32 letters, digits, '_', '-' or '.' starting with a letter or digit"},
      {head + "x-note:\n", "line 3: field 'x-note' has no value (or a tab in it)"},
      {head + "x-note: a\tb\n", "line 3: field 'x-note' has no value (or a tab in it)"},
  };
  for (const auto& c : cases) {
    auto policy = parse_sts_policy(c.body);
    ASSERT_FALSE(policy) << c.body;
    EXPECT_EQ(policy.failure().message, c.error) << c.body;
    EXPECT_EQ(policy.failure().phase, "mta-sts");
    EXPECT_EQ(policy.failure().kind, core::FailureKind::protocol);
  }
}

TEST(StsPolicy, AtTheSizeLimitIsStillParsed) {
  std::string body = rfc_policy;
  std::string note = "x-note: ";
  body += note + std::string(max_sts_policy_bytes - body.size() - note.size() - 1, 'a') + "\n";
  ASSERT_EQ(body.size(), max_sts_policy_bytes);
  EXPECT_TRUE(parse_sts_policy(body));
}

TEST(StsMode, Names) {
  EXPECT_EQ(sts_mode_name(StsMode::enforce), "enforce");
  EXPECT_EQ(sts_mode_name(StsMode::testing), "testing");
  EXPECT_EQ(sts_mode_name(StsMode::none), "none");
}

// --- MX matching (section 4.1) -------------------------------------------------------------

TEST(StsMx, MatchesPattern) {
  struct Case {
    const char* mx;
    const char* pattern;
    bool matches;
  };
  const Case cases[] = {
      {"mail.example.com", "mail.example.com", true},
      {"MAIL.Example.COM", "mail.example.com", true},
      {"mail.example.com", "MAIL.EXAMPLE.COM", true},
      {"mail.example.com.", "mail.example.com", true},  // as DNS names it
      {"mail.example.com", "mail.example.com.", true},
      {"mail.example.com.", "mail.example.com.", true},
      {"mail.example.net", "mail.example.com", false},
      {"mail.example.com", "example.com", false},
      {"example.com", "mail.example.com", false},
      {"xmail.example.com", "mail.example.com", false},
      // The wildcard is exactly one label, the leftmost.
      {"a.example.com", "*.example.com", true},
      {"A.EXAMPLE.COM.", "*.example.com", true},
      {"mx1.mail.example.com", "*.mail.example.com", true},
      {"a.b.example.com", "*.example.com", false},
      {"example.com", "*.example.com", false},
      {".example.com", "*.example.com", false},
      {"aexample.com", "*.example.com", false},
      {"a.example.com.evil.test", "*.example.com", false},
      {"a.example.net", "*.example.com", false},
      {"", "mail.example.com", false},
      {"mail.example.com", "", false},
      {".", ".", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(mx_matches_pattern(c.mx, c.pattern), c.matches) << c.mx << " vs " << c.pattern;
}

TEST(StsMx, PolicyAllowsMx) {
  auto policy = parse_sts_policy(rfc_policy);
  ASSERT_TRUE(policy);
  struct Case {
    const char* mx;
    bool allowed;
  };
  const Case cases[] = {
      {"mail.example.com.", true}, {"mx1.example.net", true},  {"backupmx.example.com", true},
      {"example.net", false},      {"a.b.example.net", false}, {"mail.example.org", false},
      {"evil.example.com", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(policy_allows_mx(*policy, c.mx), c.allowed) << c.mx;
}

}  // namespace
}  // namespace mailprobe::protocol
