// net::DnsResolver against the DNS lab: a real NSD behind a validating Unbound, forwarded
// to as a user's resolver would be. Secure, insecure and bogus answers; NXDOMAIN, NODATA and
// CNAME chains told apart; a resolver that never answers ends at the deadline and says what
// was asked.

#include "net/dns.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>

#include "protocol/dns_records.hpp"
#include "support/plugin_runner.hpp"
#include "support/run.hpp"

namespace mailprobe::test {
namespace {

using namespace std::chrono_literals;
using net::DnsAnswer;
using net::DnsSecurity;
namespace dns_type = net::dns_type;

struct DnsLab : ::testing::Test {
  boost::asio::io_context io;

  std::unique_ptr<net::DnsResolver> resolver(const std::string& address) {
    auto created =
        net::DnsResolver::create(io.get_executor(), {address, dnslab("DNSLAB_TRUST_ANCHOR_FILE")});
    EXPECT_TRUE(created) << created.failure().message;
    return created ? std::move(*created) : nullptr;
  }

  core::Outcome<DnsAnswer> ask(const std::string& name, std::uint16_t type,
                               std::chrono::milliseconds budget = 5s) {
    auto dns = resolver(dnslab("DNSLAB_RESOLVER"));
    if (!dns) return core::Failure{"dns", core::FailureKind::config, "no resolver"};
    return run(io, dns->query(name, type, core::Deadline::after(budget)));
  }

  std::string domain(const std::string& key) { return dnslab("DNSLAB_DOMAIN_" + key); }
};

TEST_F(DnsLab, SecureMxOfASignedZone) {
  auto answer = ask(domain("DANE_EE"), dns_type::mx);
  ASSERT_TRUE(answer) << answer.failure().message;
  EXPECT_EQ(answer->status, DnsAnswer::Status::data);
  EXPECT_EQ(answer->security, DnsSecurity::secure);
  ASSERT_EQ(answer->records.size(), 1u);
  auto mx = protocol::parse_mx_rdata(answer->records[0]);
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->exchange, "mx." + domain("DANE_EE"));
  auto tlsa = ask("_25._tcp." + mx->exchange, dns_type::tlsa);
  ASSERT_TRUE(tlsa) << tlsa.failure().message;
  EXPECT_EQ(tlsa->security, DnsSecurity::secure);
  EXPECT_EQ(tlsa->records.size(), 1u);
}

TEST_F(DnsLab, UnsignedZoneIsInsecure) {
  auto answer = ask(domain("DANE_UNSIGNED"), dns_type::mx);
  ASSERT_TRUE(answer) << answer.failure().message;
  EXPECT_EQ(answer->status, DnsAnswer::Status::data);
  EXPECT_EQ(answer->security, DnsSecurity::insecure);
}

// Unbound behind us answers SERVFAIL for bogus data; asked with CD, it hands the data over
// and the validation here says why it is bogus.
TEST_F(DnsLab, ExpiredSignaturesAreBogusWithTheReason) {
  auto answer = ask(domain("BOGUS"), dns_type::mx);
  ASSERT_TRUE(answer) << answer.failure().message;
  EXPECT_EQ(answer->security, DnsSecurity::bogus);
  EXPECT_NE(answer->why_bogus.find("signature expired"), std::string::npos) << answer->why_bogus;
  auto mx = ask(domain("DANE_BOGUS"), dns_type::mx);
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->security, DnsSecurity::secure);
  auto tlsa = ask("_25._tcp.mx." + domain("DANE_BOGUS"), dns_type::tlsa);
  ASSERT_TRUE(tlsa);
  EXPECT_EQ(tlsa->security, DnsSecurity::bogus);
}

TEST_F(DnsLab, NxdomainNodataAndCnameAreToldApart) {
  auto missing = ask("no-such-name." + dnslab("DNSLAB_PARENT_ZONE"), dns_type::a);
  ASSERT_TRUE(missing) << missing.failure().message;
  EXPECT_EQ(missing->status, DnsAnswer::Status::nxdomain);
  EXPECT_EQ(missing->security, DnsSecurity::secure);  // proved by NSEC

  auto no_mx = ask(domain("NOMX"), dns_type::mx);
  ASSERT_TRUE(no_mx) << no_mx.failure().message;
  EXPECT_EQ(no_mx->status, DnsAnswer::Status::nodata);
  EXPECT_TRUE(no_mx->records.empty());

  auto mx = ask(domain("MXCNAME"), dns_type::mx);
  ASSERT_TRUE(mx && mx->records.size() == 1);
  auto target = protocol::parse_mx_rdata(mx->records[0]);
  ASSERT_TRUE(target);
  auto alias = ask(target->exchange, dns_type::a);
  ASSERT_TRUE(alias) << alias.failure().message;
  EXPECT_EQ(alias->status, DnsAnswer::Status::data);
  EXPECT_FALSE(alias->canonical_name.empty());
  EXPECT_NE(alias->canonical_name, target->exchange);
}

TEST_F(DnsLab, NullMxAndAddresses) {
  auto null_mx = ask(domain("NULLMX"), dns_type::mx);
  ASSERT_TRUE(null_mx && null_mx->records.size() == 1);
  auto mx = protocol::parse_mx_rdata(null_mx->records[0]);
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->preference, 0);
  EXPECT_EQ(mx->exchange, "");

  auto v4 = ask("mx." + domain("DANE_EE"), dns_type::a);
  ASSERT_TRUE(v4 && v4->records.size() == 1);
  EXPECT_EQ(protocol::parse_a_rdata(v4->records[0]), dnslab("DNSLAB_ADDR_DANE_EE"));
}

TEST_F(DnsLab, TxtRecordsAreJoined) {
  auto sts = ask("_mta-sts." + domain("STS_ENFORCE"), dns_type::txt);
  ASSERT_TRUE(sts && sts->records.size() == 1) << (sts ? "" : sts.failure().message);
  auto text = protocol::parse_txt_rdata(sts->records[0]);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->rfind("v=STSv1;", 0), 0u) << *text;
}

// A resolver that takes the question and never answers: the deadline ends the query, and
// the failure names what was asked.
TEST_F(DnsLab, SilentResolverTimesOutNamingTheQuery) {
  boost::asio::ip::udp::socket silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  auto address = "127.0.0.1@" + std::to_string(silent.local_endpoint().port());
  auto dns = resolver(address);
  ASSERT_TRUE(dns);
  auto started = std::chrono::steady_clock::now();
  auto answer = run(io, dns->query("mx.example.org", dns_type::tlsa, core::Deadline::after(500ms)));
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.failure().kind, core::FailureKind::timeout);
  EXPECT_EQ(answer.failure().message, "timeout after 0.500 s resolving TLSA mx.example.org");
  EXPECT_LT(took, 2s);  // the deadline and a loaded machine's slack, no more
}

TEST_F(DnsLab, BadSettingsAreOneLine) {
  auto missing = net::DnsResolver::create(io.get_executor(), {"", "/nonexistent/root.key"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.failure().message, "cannot read the trust anchor file '/nonexistent/root.key'");
  auto bad = net::DnsResolver::create(io.get_executor(),
                                      {"not an address", dnslab("DNSLAB_TRUST_ANCHOR_FILE")});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.failure().message.rfind("resolver 'not an address' is not ADDR[@PORT]", 0), 0u)
      << bad.failure().message;
  auto dns = resolver(dnslab("DNSLAB_RESOLVER"));
  ASSERT_TRUE(dns);
  auto name = run(io, dns->query("exa mple.org", dns_type::mx, core::Deadline::after(1s)));
  ASSERT_FALSE(name);
  EXPECT_EQ(name.failure().kind, core::FailureKind::config);
}

// Many queries at once on one resolver: each gets its own answer.
TEST_F(DnsLab, ConcurrentQueriesOnOneResolver) {
  auto dns = resolver(dnslab("DNSLAB_RESOLVER"));
  ASSERT_TRUE(dns);
  std::vector<std::string> keys{"DANE_EE",       "DANE_TA", "DANE_STALE",
                                "DANE_ROLLOVER", "NOMX",    "NULLMX"};
  std::vector<std::optional<core::Outcome<DnsAnswer>>> answers(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    boost::asio::co_spawn(
        io,
        [&, i]() -> boost::asio::awaitable<void> {
          answers[i] =
              co_await dns->query(domain(keys[i]), dns_type::mx, core::Deadline::after(5s));
        },
        boost::asio::detached);
  }
  io.run();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(answers[i] && *answers[i]) << keys[i];
    EXPECT_EQ((*answers[i])->name, domain(keys[i]));
    EXPECT_EQ((*answers[i])->status,
              keys[i] == "NOMX" ? DnsAnswer::Status::nodata : DnsAnswer::Status::data);
  }
}

}  // namespace
}  // namespace mailprobe::test
