// The DMARC, DKIM and BIMI parts of check_mail_domain on a table of DNS answers (FakeDns):
// policy discovery with the organizational domain, report authorization, the states a
// mail admin sees, and bad input (garbage, odd TXT splits, 300 TXT records).

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "probes/dkim.hpp"
#include "probes/dmarc.hpp"
#include "protocol/sasl.hpp"
#include "support/fake_dns.hpp"
#include "support/run.hpp"

namespace mailprobe::probes {
namespace {

using core::State;
using Strings = std::vector<std::string>;

// The lines of a part as "STATE text", the part's own first.
Strings lines(const DomainPart& part) {
  Strings out{std::string(core::state_name(part.subcheck.state)) + " " + part.subcheck.summary};
  for (const auto& child : part.subcheck.children)
    out.push_back(std::string(core::state_name(child.state)) + " " + child.summary);
  return out;
}

std::optional<double> metric(const DomainPart& part, const std::string& name) {
  for (const auto& m : part.metrics) {
    if (m.name == name) return m.value;
  }
  return std::nullopt;
}

std::string rsa_key(unsigned bits) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(bits), &EVP_PKEY_free);
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(key.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return protocol::base64_encode(out);
}

struct AuthPartTest : ::testing::Test {
  boost::asio::io_context io;
  test::FakeDns dns;
  protocol::PublicSuffixList suffixes = *protocol::PublicSuffixList::parse("org\nnet\nco.uk\n");

  DomainPart dmarc(const std::string& domain, const std::string& wanted = "none") {
    return test::run(io, check_dmarc(dns.query(), {domain, wanted, &suffixes}));
  }
  DomainPart dkim(const std::string& selector) {
    return test::run(io, check_dkim_selector(dns.query(), "example.org", selector));
  }
  DomainPart bimi(const std::string& domain) {
    return test::run(io, check_bimi(dns.query(), domain, &suffixes));
  }
};

// --- DMARC --------------------------------------------------------------------------------

TEST_F(AuthPartTest, DmarcOwnRecord) {
  dns.security(net::DnsSecurity::secure)
      .txt("_dmarc.example.org", "v=DMARC1; p=reject; rua=mailto:dmarc@example.org")
      .txt("_dmarc.example.org", "some other TXT record");
  auto part = dmarc("example.org", "reject");
  EXPECT_EQ(lines(part), Strings{"OK DMARC: p=reject (_dmarc.example.org)"});
  EXPECT_EQ(part.subcheck.overall(), State::ok);
  EXPECT_EQ(metric(part, "dmarc_policy"), 2);
  ASSERT_EQ(part.records.size(), 1U);
  EXPECT_EQ(part.records[0].key, "TXT _dmarc.example.org");
  EXPECT_EQ(part.records[0].value, "v=DMARC1; p=reject; rua=mailto:dmarc@example.org");
  EXPECT_TRUE(part.all_secure);
  EXPECT_EQ(dns.asked(), Strings{"TXT _dmarc.example.org"});  // rua in its own domain
}

TEST_F(AuthPartTest, DmarcMissing) {
  dns.txt("example.org", "v=spf1 -all");
  auto part = dmarc("example.org");
  EXPECT_EQ(lines(part),
            Strings{"WARNING DMARC: no record at _dmarc.example.org: receivers apply no policy"});
  EXPECT_EQ(metric(part, "dmarc_policy"), -1);
  ASSERT_EQ(part.records.size(), 1U);
  EXPECT_EQ(part.records[0].value, "");
  EXPECT_FALSE(part.all_secure);  // FakeDns answers insecure by default
  // When the admin asked for a policy, none is a failure.
  EXPECT_EQ(dmarc("example.org", "quarantine").subcheck.state, State::critical);
}

TEST_F(AuthPartTest, DmarcInheritedFromOrganizationalDomain) {
  dns.txt("_dmarc.example.org", "v=DMARC1; p=reject; sp=quarantine");
  auto part = dmarc("mail.example.org", "quarantine");
  EXPECT_EQ(lines(part),
            (Strings{"OK DMARC: sp=quarantine (_dmarc.example.org, the organizational domain's "
                     "record)",
                     "OK DMARC: no rua=, so no one receives aggregate reports"}));
  EXPECT_EQ(dns.asked(), (Strings{"TXT _dmarc.mail.example.org", "TXT _dmarc.example.org"}));
  ASSERT_EQ(part.records.size(), 2U);
  EXPECT_EQ(part.records[0].key, "TXT _dmarc.mail.example.org");
  EXPECT_EQ(part.records[0].value, "");
  EXPECT_EQ(part.records[1].value, "v=DMARC1; p=reject; sp=quarantine");
  // Without sp=, p= applies to subdomains; under co.uk the organizational domain has 3 labels.
  dns.txt("_dmarc.example.co.uk", "v=DMARC1; p=none");
  EXPECT_EQ(lines(dmarc("a.b.example.co.uk"))[0],
            "OK DMARC: p=none (_dmarc.example.co.uk, the organizational domain's record)");
  auto nowhere = dmarc("mail.example.net");
  EXPECT_EQ(lines(nowhere), Strings{"WARNING DMARC: no record at _dmarc.mail.example.net nor at "
                                    "_dmarc.example.net: receivers apply no policy"});
}

TEST_F(AuthPartTest, DmarcInvalidAndMultiple) {
  dns.txt("_dmarc.invalid.org", "v=DMARC1; p=rejct");
  EXPECT_EQ(lines(dmarc("invalid.org")),
            Strings{"CRITICAL DMARC: invalid record at _dmarc.invalid.org: p 'rejct' is not "
                    "none, quarantine or reject, and no valid rua=: receivers apply no DMARC "
                    "policy (RFC 7489 section 6.6.3)"});
  dns.txt("_dmarc.garbage.org", "v=DMARC1; \x01\x02\xff garbage");
  EXPECT_EQ(lines(dmarc("garbage.org")),
            Strings{"CRITICAL DMARC: invalid record at _dmarc.garbage.org: tag '\\x01\\x02\\xff "
                    "garbage' does not start with a tag name (a letter): receivers ignore it"});
  // Section 6.6.3 step 5: two records are none, and there is no fallback.
  dns.txt("_dmarc.sub.two.org", "v=DMARC1; p=reject").txt("_dmarc.sub.two.org", "v=DMARC1; p=none");
  dns.txt("_dmarc.two.org", "v=DMARC1; p=reject");
  auto part = dmarc("sub.two.org");
  EXPECT_EQ(lines(part), Strings{"CRITICAL DMARC: 2 records at _dmarc.sub.two.org: receivers "
                                 "apply no policy (RFC 7489 section 6.6.3)"});
  EXPECT_EQ(part.records[0].value, "v=DMARC1; p=none | v=DMARC1; p=reject");
  EXPECT_EQ(metric(part, "dmarc_policy"), -1);
}

TEST_F(AuthPartTest, DmarcThreeHundredRecords) {
  for (int i = 0; i < 300; ++i)
    dns.txt("_dmarc.junk.org", "junk record " + std::to_string(i));
  EXPECT_EQ(dmarc("junk.org").subcheck.state, State::warning);  // none of them is DMARC
  dns.txt("_dmarc.junk.org", "v=DMARC1; p=quarantine");
  EXPECT_EQ(lines(dmarc("junk.org")),
            (Strings{"OK DMARC: p=quarantine (_dmarc.junk.org)",
                     "OK DMARC: no rua=, so no one receives aggregate reports"}));
  for (int i = 0; i < 300; ++i)
    dns.txt("_dmarc.many.org", "v=DMARC1; p=reject; rua=mailto:r" + std::to_string(i) + "@x.net");
  auto part = dmarc("many.org");
  EXPECT_EQ(lines(part), Strings{"CRITICAL DMARC: 300 records at _dmarc.many.org: receivers "
                                 "apply no policy (RFC 7489 section 6.6.3)"});
  EXPECT_EQ(dns.asked().size(), 3U);  // no report authorization lookups for any of them
}

TEST_F(AuthPartTest, DmarcWeakerThanWanted) {
  dns.txt("_dmarc.example.org", "v=DMARC1; p=quarantine; pct=20; rua=mailto:d@example.org");
  auto part = dmarc("example.org", "reject");
  EXPECT_EQ(lines(part),
            (Strings{"OK DMARC: p=quarantine (_dmarc.example.org)",
                     "CRITICAL DMARC p=quarantine is weaker than --dmarc-policy reject: receivers "
                     "deliver mail that fails DMARC to spam folders",
                     "WARNING DMARC pct=20: p=quarantine applies to 20% of failing mail, the rest "
                     "gets none (RFC 7489 section 6.3)",
                     "OK DMARC: pct is historic in DMARCbis (RFC 9989): its receivers apply the "
                     "policy to all failing mail; t=y is its test mode"}));
  EXPECT_EQ(part.subcheck.overall(), State::critical);
  dns.txt("_dmarc.none.org", "v=DMARC1; p=none; t=y; rua=mailto:d@none.org");
  EXPECT_EQ(lines(dmarc("none.org", "quarantine"))[1],
            "CRITICAL DMARC p=none is weaker than --dmarc-policy quarantine: receivers deliver "
            "mail that fails DMARC");
  dns.txt("_dmarc.test.org", "v=DMARC1; p=reject; t=y; rua=mailto:d@test.org");
  EXPECT_EQ(lines(dmarc("test.org")),
            (Strings{"OK DMARC: p=reject (_dmarc.test.org)",
                     "WARNING DMARC t=y: DMARCbis receivers apply quarantine instead of reject "
                     "(test mode, RFC 9989)"}));
  auto bad = dmarc("test.org", "strict");
  EXPECT_EQ(lines(bad),
            Strings{"UNKNOWN DMARC: --dmarc-policy 'strict' is not none, quarantine or reject"});
}

TEST_F(AuthPartTest, DmarcExternalReportAddresses) {
  // RFC 7489 section 7.1: example.net authorized reports for example.org; example.com not.
  dns.txt("_dmarc.example.org",
          "v=DMARC1; p=reject; rua=mailto:agg@reports.example.net,mailto:d@sub.example.org; "
          "ruf=mailto:f@example.com");
  dns.txt("example.org._report._dmarc.reports.example.net", "v=DMARC1");
  dns.txt("example.org._report._dmarc.example.com", "v=spf1 -all");
  auto part = dmarc("example.org");
  EXPECT_EQ(lines(part),
            (Strings{"OK DMARC: p=reject (_dmarc.example.org)",
                     "OK DMARC: reports.example.net accepts reports for example.org "
                     "(example.org._report._dmarc.reports.example.net)",
                     "WARNING DMARC: reports to example.com are not sent: no v=DMARC1 record at "
                     "example.org._report._dmarc.example.com authorizes them (RFC 7489 section "
                     "7.1)"}));
  EXPECT_EQ(dns.asked(),
            (Strings{"TXT _dmarc.example.org", "TXT example.org._report._dmarc.reports.example.net",
                     "TXT example.org._report._dmarc.example.com"}));
  EXPECT_EQ(part.records.size(), 3U);
  // Inherited: the authorization names the domain the record came from.
  dns.txt("example.org._report._dmarc.example.com", "v=DMARC1;");
  auto sub = dmarc("mail.example.org");
  EXPECT_EQ(sub.subcheck.overall(), State::ok) << lines(sub).back();
}

TEST_F(AuthPartTest, DmarcDnsTrouble) {
  dns.fail(
      "_dmarc.example.org", net::dns_type::txt,
      {"dns", core::FailureKind::timeout, "timeout after 5.0 s resolving TXT _dmarc.example.org"});
  auto part = dmarc("example.org");
  EXPECT_EQ(lines(part),
            Strings{"UNKNOWN DMARC: timeout after 5.0 s resolving TXT _dmarc.example.org"});
  EXPECT_TRUE(part.records.empty());  // not read: no change to report
  EXPECT_FALSE(part.all_secure);

  test::FakeDns bogus;
  bogus.security(net::DnsSecurity::bogus).txt("_dmarc.example.org", "v=DMARC1; p=reject");
  auto judged = test::run(io, check_dmarc(bogus.query(), {"example.org", "none", &suffixes}));
  EXPECT_EQ(judged.subcheck.state, State::critical);
  EXPECT_TRUE(judged.subcheck.summary.starts_with("DMARC: TXT _dmarc.example.org is bogus ("))
      << judged.subcheck.summary;
}

TEST_F(AuthPartTest, DmarcLookalikes) {
  dns.txt("_dmarc.example.org", "v=dmarc1; p=reject");
  EXPECT_EQ(lines(dmarc("example.org")),
            (Strings{"WARNING DMARC: no record at _dmarc.example.org: receivers apply no policy",
                     "WARNING DMARC: TXT 'v=dmarc1; p=reject' at _dmarc.example.org is ignored: "
                     "its version 'dmarc1' is not DMARC1 exactly (RFC 7489 section 6.3)"}));
}

// --- DKIM ---------------------------------------------------------------------------------

TEST_F(AuthPartTest, DkimKeys) {
  dns.security(net::DnsSecurity::secure);
  dns.txt("s2048._domainkey.example.org", "v=DKIM1; k=rsa; p=" + rsa_key(2048));
  dns.txt("s1024._domainkey.example.org", "v=DKIM1; k=rsa; p=" + rsa_key(1024));
  dns.txt("s512._domainkey.example.org", "v=DKIM1; k=rsa; p=" + rsa_key(512));
  dns.txt("ed._domainkey.example.org",
          "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
  auto good = dkim("s2048");
  EXPECT_EQ(lines(good), Strings{"OK DKIM s2048: rsa 2048 bits"});
  EXPECT_EQ(metric(good, "dkim_key_bits_s2048"), 2048);
  EXPECT_TRUE(good.all_secure);
  ASSERT_EQ(good.records.size(), 1U);
  EXPECT_EQ(good.records[0].key, "TXT s2048._domainkey.example.org");
  EXPECT_EQ(lines(dkim("s1024")),
            (Strings{"OK DKIM s1024: rsa 1024 bits",
                     "WARNING DKIM s1024: RSA 1024 bits, under the 2048 that RFC 8301 section 3.2 "
                     "asks of signers"}));
  auto weak = dkim("s512");
  EXPECT_EQ(lines(weak)[1],
            "CRITICAL DKIM s512: RSA 512 bits, verifiers reject keys under 1024 "
            "bits (RFC 8301 section 3.2)");
  EXPECT_EQ(weak.subcheck.overall(), State::critical);
  EXPECT_EQ(metric(weak, "dkim_key_bits_s512"), 512);
  EXPECT_EQ(lines(dkim("ed")), Strings{"OK DKIM ed: ed25519 256 bits"});
}

TEST_F(AuthPartTest, DkimUnusable) {
  dns.txt("revoked._domainkey.example.org", "v=DKIM1; p=");
  dns.txt("testing._domainkey.example.org", "v=DKIM1; t=y; p=" + rsa_key(2048));
  dns.txt("two._domainkey.example.org", "v=DKIM1; p=").txt("two._domainkey.example.org", "x");
  dns.txt("junk._domainkey.example.org", "\xff\xfe junk");
  auto missing = dkim("missing");
  EXPECT_EQ(lines(missing), Strings{"CRITICAL DKIM missing: no key record at "
                                    "missing._domainkey.example.org: signatures with s=missing "
                                    "fail"});
  EXPECT_EQ(metric(missing, "dkim_key_bits_missing"), 0);
  EXPECT_EQ(missing.records[0].value, "");
  EXPECT_EQ(lines(dkim("revoked")),
            Strings{"CRITICAL DKIM revoked: key revoked (empty p= at "
                    "revoked._domainkey.example.org): signatures with s=revoked fail"});
  EXPECT_EQ(lines(dkim("testing")),
            (Strings{"OK DKIM testing: rsa 2048 bits",
                     "WARNING DKIM testing: t=y, the domain is testing DKIM: verifiers may treat "
                     "failed signatures as unsigned (RFC 6376 section 3.6.1)"}));
  EXPECT_EQ(lines(dkim("two")),
            Strings{"CRITICAL DKIM two: 2 TXT records at two._domainkey.example.org: verifiers' "
                    "results are undefined (RFC 6376 section 3.6.2.2)"});
  EXPECT_EQ(lines(dkim("junk")),
            Strings{"CRITICAL DKIM junk: no key record: tag '\\xff\\xfe junk' does not start "
                    "with a tag name (a letter) (junk._domainkey.example.org)"});
  dns.fail("lost._domainkey.example.org", net::dns_type::txt,
           {"dns", core::FailureKind::resolve,
            "cannot resolve TXT lost._domainkey.example.org: "
            "server failure"});
  auto lost = dkim("lost");
  EXPECT_EQ(lost.subcheck.state, State::unknown);
  EXPECT_FALSE(metric(lost, "dkim_key_bits_lost"));
  EXPECT_TRUE(lost.records.empty());
}

TEST_F(AuthPartTest, DkimOddSplits) {
  // A 2048-bit key spans two TXT strings; any split point gives the same key.
  auto key = "v=DKIM1; k=rsa; p=" + rsa_key(2048);
  dns.add("a._domainkey.example.org", net::dns_type::txt,
          test::txt_rdata({key.substr(0, 255), key.substr(255)}));
  dns.add(
      "b._domainkey.example.org", net::dns_type::txt,
      test::txt_rdata({key.substr(0, 5), key.substr(5, 1), key.substr(6, 250), key.substr(256)}));
  dns.add("c._domainkey.example.org", net::dns_type::txt,
          test::txt_rdata({"", key.substr(0, 200), "", key.substr(200)}));
  for (const char* selector : {"a", "b", "c"}) {
    EXPECT_EQ(lines(dkim(selector)),
              Strings{std::string("OK DKIM ") + selector + ": rsa 2048 bits"});
  }
  // The second string lost: base64 cut short.
  dns.add("cut._domainkey.example.org", net::dns_type::txt, test::txt_rdata({key.substr(0, 255)}));
  auto cut = dkim("cut");
  EXPECT_EQ(cut.subcheck.state, State::critical);
  EXPECT_NE(cut.subcheck.summary.find("p= is cut short"), std::string::npos);
  // RDATA that is no TXT at all (a length past the end) is left out.
  dns.add("broken._domainkey.example.org", net::dns_type::txt, std::string("\x40short", 6));
  EXPECT_EQ(dkim("broken").subcheck.state, State::critical);
}

// --- BIMI ---------------------------------------------------------------------------------

TEST_F(AuthPartTest, Bimi) {
  auto absent = bimi("example.org");
  EXPECT_EQ(lines(absent), Strings{"OK BIMI: no record"});
  EXPECT_EQ(dns.asked(), Strings{"TXT default._bimi.example.org"});

  dns.txt("default._bimi.example.org",
          "v=BIMI1; l=https://example.org/logo.svg; a=https://example.org/vmc.pem");
  dns.txt("_dmarc.example.org", "v=DMARC1; p=reject");
  auto shown = bimi("example.org");
  EXPECT_EQ(lines(shown), (Strings{"OK BIMI: logo https://example.org/logo.svg "
                                   "(default._bimi.example.org)",
                                   "OK BIMI: evidence https://example.org/vmc.pem"}));
  ASSERT_EQ(shown.records.size(), 1U);
  EXPECT_EQ(shown.records[0].key, "TXT default._bimi.example.org");

  // Inherited from the organizational domain; its DMARC p=none means no logo.
  dns.txt("default._bimi.example.net", "v=BIMI1; l=https://example.net/logo.svg");
  dns.txt("_dmarc.example.net", "v=DMARC1; p=none");
  auto weak = bimi("mail.example.net");
  EXPECT_EQ(lines(weak),
            (Strings{"OK BIMI: logo https://example.net/logo.svg (default._bimi.example.net)",
                     "OK BIMI: no a= evidence (Verified Mark Certificate): receivers that require "
                     "one show no logo",
                     "WARNING BIMI: receivers show no logo, DMARC is not at enforcement "
                     "(quarantine or reject, pct=100, sp not none)"}));

  dns.txt("default._bimi.bad.org", "v=BIMI1; l=http://bad.org/logo.png");
  EXPECT_EQ(lines(bimi("bad.org")),
            Strings{"WARNING BIMI: invalid record at default._bimi.bad.org: l "
                    "'http://bad.org/logo.png' is not an https: URI: receivers show no logo"});
  dns.txt("default._bimi.declined.org", "v=BIMI1; l=; a=;");
  EXPECT_EQ(lines(bimi("declined.org")),
            Strings{"OK BIMI: declined (empty l= and a= at default._bimi.declined.org)"});
}

}  // namespace
}  // namespace mailprobe::probes
