// DMARC policy records (RFC 7489 sections 6.3, 6.4, 6.6.3; DMARCbis notes). Error and
// warning strings are asserted: check_mail_domain shows them.

#include "protocol/dmarc_record.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mailprobe::protocol {
namespace {

using Strings = std::vector<std::string>;

DmarcRecord record_of(const std::string& txt) {
  auto parsed = parse_dmarc_record(txt);
  if (auto* failure = std::get_if<core::Failure>(&parsed)) {
    ADD_FAILURE() << txt << "\n" << failure->message;
    return {};
  }
  if (std::holds_alternative<NotDmarcRecord>(parsed)) {
    ADD_FAILURE() << txt << " is not a DMARC record";
    return {};
  }
  return std::get<DmarcRecord>(parsed);
}

Strings hosts(const std::vector<DmarcUri>& uris) {
  Strings out;
  for (const auto& uri : uris)
    out.push_back(uri.host);
  return out;
}

TEST(DmarcRecord, RealWorldRecords) {
  struct Case {
    std::string txt;
    DmarcPolicy p;
    DmarcPolicy subdomain;
    int pct;
    Strings rua_hosts;
    Strings ruf_hosts;
  };
  const Case cases[] = {
      // RFC 7489 appendix B examples.
      {"v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com",
       DmarcPolicy::none,
       DmarcPolicy::none,
       100,
       {"example.com"},
       {}},
      {"v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; "
       "ruf=mailto:auth-reports@thirdparty.example.net",
       DmarcPolicy::none,
       DmarcPolicy::none,
       100,
       {"example.com"},
       {"thirdparty.example.net"}},
      {"v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,"
       "mailto:tld-test@thirdparty.example.net!10m; pct=25",
       DmarcPolicy::quarantine,
       DmarcPolicy::quarantine,
       25,
       {"example.com", "thirdparty.example.net"},
       {}},
      // As large mailbox providers publish them.
      {"v=DMARC1; p=none; sp=quarantine; rua=mailto:mailauth-reports@google.com",
       DmarcPolicy::none,
       DmarcPolicy::quarantine,
       100,
       {"google.com"},
       {}},
      {"v=DMARC1; p=reject; pct=100; rua=mailto:d@rua.agari.com; ruf=mailto:d@ruf.agari.com; "
       "fo=1",
       DmarcPolicy::reject,
       DmarcPolicy::reject,
       100,
       {"rua.agari.com"},
       {"ruf.agari.com"}},
      {"v=DMARC1;p=reject;sp=none;adkim=s;aspf=s",
       DmarcPolicy::reject,
       DmarcPolicy::none,
       100,
       {},
       {}},
      // ABNF literals are case-insensitive; v's value is not.
      {"v=DMARC1; P=Reject; SP=QUARANTINE",
       DmarcPolicy::reject,
       DmarcPolicy::quarantine,
       100,
       {},
       {}},
      {"  v = DMARC1 ;p=none", DmarcPolicy::none, DmarcPolicy::none, 100, {}, {}},
      {"v=DMARC1; p=reject; rua=mailto:A@Example.ORG.",
       DmarcPolicy::reject,
       DmarcPolicy::reject,
       100,
       {"example.org"},
       {}},
      {"v=DMARC1; p=quarantine; rua=https://reports.example.net/dmarc",
       DmarcPolicy::quarantine,
       DmarcPolicy::quarantine,
       100,
       {"reports.example.net"},
       {}},
  };
  for (const auto& c : cases) {
    auto record = record_of(c.txt);
    EXPECT_EQ(record.policy(), c.p) << c.txt;
    EXPECT_EQ(record.subdomain_policy(), c.subdomain) << c.txt;
    EXPECT_EQ(record.pct, c.pct) << c.txt;
    EXPECT_EQ(hosts(record.rua), c.rua_hosts) << c.txt;
    EXPECT_EQ(hosts(record.ruf), c.ruf_hosts) << c.txt;
  }
}

TEST(DmarcRecord, Values) {
  auto record = record_of(
      "v=DMARC1; p=reject; adkim=s; aspf=r; fo=0:1:d:S; ri=3600; rf=afrf; np=quarantine; "
      "rua=mailto:a@example.org!10m,mailto:b@example.org!2k, mailto:c@example.org!1");
  EXPECT_TRUE(record.adkim_strict);
  EXPECT_FALSE(record.aspf_strict);
  EXPECT_EQ(record.fo, (Strings{"0", "1", "d", "s"}));
  ASSERT_EQ(record.np, DmarcPolicy::quarantine);
  ASSERT_EQ(record.rua.size(), 3U);
  EXPECT_EQ(record.rua[0].uri, "mailto:a@example.org");
  EXPECT_EQ(record.rua[0].max_bytes, 10U * 1024 * 1024);
  EXPECT_EQ(record.rua[1].max_bytes, 2048U);
  EXPECT_EQ(record.rua[2].max_bytes, 1U);
  EXPECT_EQ(record.warnings,
            (Strings{"rua lists 3 URIs: receivers need to send only to the first two (RFC 7489 "
                     "section 6.2)"}));
  EXPECT_EQ(record.notes.size(), 3U);  // each !size: DMARCbis ignores it
  EXPECT_EQ(record.notes[0],
            "rua 'mailto:a@example.org' has a size limit, which DMARCbis (RFC 9989) report "
            "senders ignore");
  // DMARCbis tags.
  auto bis = record_of("v=DMARC1; p=reject; t=y; psd=n");
  EXPECT_TRUE(bis.testing);
  EXPECT_FALSE(bis.psd);
  EXPECT_TRUE(bis.warnings.empty());
}

TEST(DmarcRecord, WarningsKeepTheRecord) {
  // Section 6.3: syntax errors past v and p give the tag's default.
  struct Case {
    std::string txt;
    Strings warnings;
  };
  const Case cases[] = {
      {"v=DMARC1; p=reject; pct=150",
       {"pct '150' is not a whole number from 0 to 100: receivers use 100"}},
      {"v=DMARC1; p=reject; pct=-1",
       {"pct '-1' is not a whole number from 0 to 100: receivers use 100"}},
      {"v=DMARC1; p=reject; adkim=strict",
       {"adkim 'strict' is not r or s: receivers use r "
        "(relaxed)"}},
      {"v=DMARC1; p=reject; fo=2", {"fo '2' is not a ':'-list of 0, 1, d and s: receivers use 0"}},
      {"v=DMARC1; p=reject; ri=daily",
       {"ri 'daily' is not a number of seconds: receivers use "
        "86400 (a day)"}},
      {"v=DMARC1; p=reject; rf=iodef", {"rf 'iodef' is not afrf: receivers use afrf"}},
      {"v=DMARC1; p=reject; np=block",
       {"np 'block' is not none, quarantine or reject: receivers "
        "use sp or p"}},
      {"v=DMARC1; p=reject; t=yes", {"t 'yes' is not y or n: receivers use n"}},
      // The most common mistake: an address without mailto:.
      {"v=DMARC1; p=reject; rua=dmarc@example.org",
       {"rua 'dmarc@example.org' is not a URI (write mailto:dmarc@example.org): no reports are "
        "sent there"}},
      {"v=DMARC1; p=reject; rua=", {"rua= is empty: no reports are sent"}},
      {"v=DMARC1; p=reject; rua=mailto:",
       {"rua 'mailto:' has no address (mailto:name@domain): "
        "no reports are sent there"}},
      {"v=DMARC1; p=reject; rua=mailto:a@example.org!10x",
       {"rua 'mailto:a@example.org!10x' has a size limit that is not !NUMBER[k|m|g|t]: no "
        "reports are sent there"}},
      {"v=DMARC1; p=reject; ruf=https://r.example.org/",
       {"ruf 'https://r.example.org/' is not mailto:, the only kind receivers must support (RFC "
        "7489 section 6.2)"}},
      // RFC 7489 section 6.4 wants p second; DMARCbis does not.
      {"v=DMARC1; rua=mailto:a@example.org; p=none",
       {"p= is not right after v=DMARC1 as RFC 7489 section 6.4 requires (DMARCbis allows any "
        "order)"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(record_of(c.txt).warnings, c.warnings) << c.txt;
  }
  auto unknown = record_of("v=DMARC1; p=reject; foo=bar");
  EXPECT_TRUE(unknown.warnings.empty());
  EXPECT_EQ(unknown.notes,
            (Strings{"tag 'foo' is not a DMARC tag: receivers ignore it (RFC 7489 section 6.3)"}));
}

TEST(DmarcRecord, InvalidPolicyRescuedByRua) {
  // Section 6.6.3 step 6.1: no valid p= (or an invalid sp=) but a valid rua=: p=none.
  for (const char* txt :
       {"v=DMARC1; rua=mailto:a@example.org", "v=DMARC1; p=rejct; rua=mailto:a@example.org",
        "v=DMARC1; p=reject; sp=quarantin; rua=mailto:a@example.org"}) {
    auto record = record_of(txt);
    EXPECT_FALSE(record.p) << txt;
    EXPECT_FALSE(record.sp) << txt;
    EXPECT_EQ(record.policy(), DmarcPolicy::none) << txt;
    ASSERT_FALSE(record.warnings.empty()) << txt;
    EXPECT_NE(record.warnings.front().find(": receivers act as if p=none, for the valid rua= "
                                           "(RFC 7489 section 6.6.3)"),
              std::string::npos)
        << record.warnings.front();
  }
}

TEST(DmarcRecord, InvalidRecords) {
  struct Case {
    std::string txt;
    std::string error;
  };
  const Case cases[] = {
      {"v=DMARC1",
       "no p= tag (RFC 7489 section 6.3 requires it; DMARCbis reads it as p=none), "
       "and no valid rua=: receivers apply no DMARC policy (RFC 7489 section 6.6.3)"},
      {"v=DMARC1; p=rejct",
       "p 'rejct' is not none, quarantine or reject, and no valid rua=: "
       "receivers apply no DMARC policy (RFC 7489 section 6.6.3)"},
      {"v=DMARC1; p=reject; sp=bogus",
       "sp 'bogus' is not none, quarantine or reject, and no valid rua=: receivers apply no "
       "DMARC policy (RFC 7489 section 6.6.3)"},
      {"v=DMARC1 p=reject",
       "v='DMARC1 p=reject' is not DMARC1 followed by ';' (RFC 7489 section "
       "6.4)"},
      {"v=DMARC1; p=none; p=reject",
       "tag 'p' appears twice, which makes the whole record invalid (RFC 6376 section 3.2)"},
      {"v=DMARC1; p=none;; rua=mailto:a@example.org", "empty tag (two ';' in a row)"},
      {"v=DMARC1; p=reject; rua=mailto:a@example.org\nruf=x",
       "line break '\\x0a' that is not folding white space"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_dmarc_record(c.txt);
    auto* failure = std::get_if<core::Failure>(&parsed);
    ASSERT_NE(failure, nullptr) << c.txt;
    EXPECT_EQ(failure->message, c.error) << c.txt;
    EXPECT_EQ(failure->phase, "dmarc");
  }
  // An invalid rua= does not rescue a missing p=.
  auto parsed = parse_dmarc_record("v=DMARC1; rua=dmarc@example.org");
  ASSERT_TRUE(std::holds_alternative<core::Failure>(parsed));
}

TEST(DmarcRecord, OtherRecordsAreDiscarded) {
  // Section 6.6.3 steps 2 and 4: records that do not start with v=DMARC1.
  struct Case {
    std::string txt;
    std::string hint;
  };
  const Case cases[] = {
      {"v=spf1 -all", ""},
      {"google-site-verification=abc", ""},
      {"", ""},
      {"v=DMARC10; p=reject", "its version 'DMARC10' is not DMARC1 exactly (RFC 7489 section 6.3)"},
      {"v=dmarc1; p=reject", "its version 'dmarc1' is not DMARC1 exactly (RFC 7489 section 6.3)"},
      {"v=DMARC2; p=reject", "its version 'DMARC2' is not DMARC1 exactly (RFC 7489 section 6.3)"},
      {"p=reject; v=DMARC1", "v=DMARC1 is not its first tag (RFC 7489 section 6.3)"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_dmarc_record(c.txt);
    auto* other = std::get_if<NotDmarcRecord>(&parsed);
    ASSERT_NE(other, nullptr) << c.txt;
    EXPECT_EQ(other->hint, c.hint) << c.txt;
  }
}

TEST(DmarcRecord, Garbage) {
  // Whatever the bytes, a clear outcome and no crash.
  std::string all;
  for (int i = 0; i < 256; ++i)
    all += static_cast<char>(i);
  for (const std::string& txt :
       {all, "v=DMARC1;" + all, "v=DMARC1; p=reject; rua=" + std::string(60000, ','),
        "v=DMARC1; p=reject; rua=" + std::string(60000, '!'), std::string(65535, 'v'),
        std::string("v=DMARC1; p=reject\0; x=y", 24)}) {
    auto parsed = parse_dmarc_record(txt);
    if (auto* failure = std::get_if<core::Failure>(&parsed)) {
      EXPECT_FALSE(failure->message.empty());
      EXPECT_LT(failure->message.size(), 400U);
    }
  }
}

TEST(DmarcRecord, ReportAuthorization) {
  // RFC 7489 section 7.1 step 5: v=DMARC1 first, other tags do not matter.
  EXPECT_TRUE(is_report_authorization("v=DMARC1"));
  EXPECT_TRUE(is_report_authorization("v=DMARC1;"));
  EXPECT_TRUE(is_report_authorization("v=DMARC1; rua=mailto:x@example.net"));
  EXPECT_FALSE(is_report_authorization("v=DMARC2"));
  EXPECT_FALSE(is_report_authorization("v=spf1 -all"));
  EXPECT_FALSE(is_report_authorization(""));
  EXPECT_FALSE(is_report_authorization("rua=mailto:x@example.net; v=DMARC1"));
}

TEST(DmarcRecord, PolicyNames) {
  EXPECT_EQ(dmarc_policy_name(DmarcPolicy::quarantine), "quarantine");
  EXPECT_EQ(parse_dmarc_policy("REJECT"), DmarcPolicy::reject);
  EXPECT_EQ(parse_dmarc_policy("discard"), std::nullopt);
  EXPECT_LT(DmarcPolicy::none, DmarcPolicy::quarantine);
  EXPECT_LT(DmarcPolicy::quarantine, DmarcPolicy::reject);
}

}  // namespace
}  // namespace mailprobe::protocol
