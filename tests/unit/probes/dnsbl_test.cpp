// check_dnsbl's probe against a table of DNS answers (FakeDns): listings with their codes
// and reasons; lists that refuse, list everything, are gone or answer garbage (UNKNOWN for
// the list, never CRITICAL for the address); thresholds, metrics, and the bounds: parallel
// queries, the deadline. Where the addresses come from: dnsbl_targets_test.cpp.

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "unit/probes/dnsbl_fixture.hpp"

namespace mailprobe::probes {
namespace {

using core::State;
using dnsbl_test::DnsblProbe;
using dnsbl_test::list;
using dnsbl_test::working;
using namespace std::chrono_literals;
namespace asio = boost::asio;

TEST_F(DnsblProbe, ListedAddressIsCriticalWithCodeMeaningAndReason) {
  working(dns.table, "bl.example");
  dns.table.a("1.2.0.192.bl.example", "127.0.0.4")
      .txt("1.2.0.192.bl.example", "Listed for spam, see https://bl.example/192.0.2.1");
  options.hosts = {"192.0.2.1", "192.0.2.2"};
  options.lists = {list("bl.example 127.0.0.2-3=test 127.0.0.4=\"spam source\"")};
  auto result = run();
  EXPECT_EQ(result.overall(), State::critical) << text(result);
  EXPECT_TRUE(result.headline().starts_with(
      "192.0.2.1 is on bl.example: 127.0.0.4 (spam source) 'Listed for spam, see "
      "https://bl.example/192.0.2.1'"))
      << result.headline();
  auto out = text(result);
  EXPECT_NE(out.find("[CRITICAL] 192.0.2.1 is on 1 of 1 list"), std::string::npos) << out;
  EXPECT_NE(out.find("[OK] 192.0.2.2 is on none of 1 list"), std::string::npos) << out;
  EXPECT_NE(out.find("[OK] bl.example: test entries answered correctly (127.0.0.2 listed, "
                     "127.0.0.1 not)"),
            std::string::npos)
      << out;
  ASSERT_NE(metric(result, "bl.example[192.0.2.1]_listed"), nullptr);
  EXPECT_EQ(metric(result, "bl.example[192.0.2.1]_listed")->value, 1);
  EXPECT_EQ(metric(result, "bl.example[192.0.2.2]_listed")->value, 0);
  EXPECT_EQ(metric(result, "bl.example[*]_list_state")->value, 0);
  const auto* listings = metric(result, "listings");
  ASSERT_NE(listings, nullptr);
  EXPECT_EQ(listings->value, 1);
  EXPECT_EQ(output::render_perfdata_item(*listings), "listings=1;;0;0");
  // The TXT reason is asked only for the listing.
  EXPECT_EQ(
      std::count(dns.table.asked().begin(), dns.table.asked().end(), "TXT 1.2.0.192.bl.example"),
      1);
  EXPECT_EQ(
      std::count(dns.table.asked().begin(), dns.table.asked().end(), "TXT 2.2.0.192.bl.example"),
      0);
}

TEST_F(DnsblProbe, NotListedIsOk) {
  working(dns.table, "bl.example");
  working(dns.table, "bl2.example");
  options.hosts = {"192.0.2.1", "2001:db8::1"};
  options.lists = {list("bl.example"), list("bl2.example")};
  auto result = run();
  EXPECT_EQ(result.overall(), State::ok) << text(result);
  EXPECT_TRUE(result.headline().starts_with("2 addresses on 2 lists in ")) << result.headline();
  // RFC 5782 section 2.4: IPv6 as nibbles.
  auto asked = dns.table.asked();
  EXPECT_NE(
      std::find(asked.begin(), asked.end(),
                "A 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example"),
      asked.end());
  // Two test entries and two addresses per list, no TXT.
  EXPECT_EQ(asked.size(), 8U);
  EXPECT_EQ(metric(result, "bl2.example[2001:db8::1]_listed")->value, 0);
}

// Spamhaus answers 127.255.255.254 to a query through a public resolver, for every name:
// Nagios' check_rbl calls that a listing; it says nothing about the address.
TEST_F(DnsblProbe, RefusedQueryIsUnknownForTheListNeverCritical) {
  dns.wildcards.push_back({"zen.example", {"127.255.255.254"}});
  options.hosts = {"192.0.2.1"};
  options.lists = {list("zen.example")};
  auto result = run();
  EXPECT_EQ(result.overall(), State::unknown) << text(result);
  EXPECT_TRUE(result.headline().starts_with(
      "zen.example: query refused: it came through a public or open resolver (answered "
      "127.255.255.254 for its test entry 127.0.0.1); its answers do not count / not "
      "checked, no list answered correctly: 192.0.2.1"))
      << result.headline();
  EXPECT_EQ(metric(result, "zen.example[192.0.2.1]_listed"), nullptr);
  EXPECT_EQ(metric(result, "zen.example[*]_list_state")->value,
            static_cast<double>(DnsblListState::refused));
  EXPECT_EQ(metric(result, "listings")->value, 0);
}

TEST_F(DnsblProbe, ARefusedListDoesNotHideAListing) {
  working(dns.table, "bl.example");
  dns.table.a("1.2.0.192.bl.example", "127.0.0.2");
  dns.wildcards.push_back({"zen.example", {"127.255.255.255"}});
  options.hosts = {"192.0.2.1"};
  options.lists = {list("bl.example"), list("zen.example")};
  auto result = run();
  EXPECT_EQ(result.overall(), State::critical) << text(result);
  EXPECT_TRUE(result.headline().starts_with("192.0.2.1 is on bl.example: 127.0.0.2"))
      << result.headline();
  auto out = text(result);
  EXPECT_NE(out.find("[UNKNOWN] zen.example: query refused: excessive number of queries"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("192.0.2.1 is on 1 of 1 list"), std::string::npos) << out;
}

// A list that answers only for the address (over the limit mid-run) is refused all the same.
TEST_F(DnsblProbe, AnErrorCodeForAnAddressMakesTheListUnusable) {
  working(dns.table, "bl.example");
  dns.table.a("1.2.0.192.bl.example", "127.255.255.255");
  dns.table.a("2.2.0.192.bl.example", "127.0.0.2");
  options.hosts = {"192.0.2.1", "192.0.2.2"};
  options.lists = {list("bl.example")};
  auto result = run();
  EXPECT_EQ(result.overall(), State::unknown) << text(result);
  EXPECT_NE(result.headline().find("bl.example: query refused: excessive number of queries "
                                   "(answered 127.255.255.255 for 192.0.2.1)"),
            std::string::npos)
      << result.headline();
  EXPECT_EQ(metric(result, "bl.example[192.0.2.2]_listed"), nullptr);
}

TEST_F(DnsblProbe, ListThatListsEverythingIsUnknown) {
  dns.wildcards.push_back({"all.example", {"127.0.0.2"}});
  options.hosts = {"192.0.2.1"};
  options.lists = {list("all.example")};
  auto result = run();
  EXPECT_EQ(result.overall(), State::unknown) << text(result);
  EXPECT_NE(result.headline().find("all.example: lists 127.0.0.1 (answered 127.0.0.2), which "
                                   "no list may (RFC 5782 section 5): it lists everything"),
            std::string::npos)
      << result.headline();
  EXPECT_EQ(metric(result, "all.example[*]_list_state")->value,
            static_cast<double>(DnsblListState::wildcard));
}

TEST_F(DnsblProbe, ListWithoutItsTestEntryIsDeadUnlessSaid) {
  dns.table.a("1.2.0.192.gone.example", "127.0.0.2");  // only what it listed before
  options.hosts = {"192.0.2.1"};
  options.lists = {list("gone.example")};
  auto dead = run();
  EXPECT_EQ(dead.overall(), State::unknown) << text(dead);
  EXPECT_NE(dead.headline().find("gone.example: does not list its test entry 127.0.0.2 (RFC 5782 "
                                 "section 5): the list is gone or is no DNSBL"),
            std::string::npos)
      << dead.headline();
  options.lists = {list("gone.example no-test-entry")};
  auto untested = run();
  EXPECT_EQ(untested.overall(), State::critical) << text(untested);
  EXPECT_NE(text(untested).find("(127.0.0.1 not)"), std::string::npos) << text(untested);
}

TEST_F(DnsblProbe, RandomAddressesAreNoAnswerAndBounded) {
  std::vector<std::string> garbage;
  garbage.reserve(300);
  for (int i = 0; i < 300; ++i)
    garbage.push_back("10.9." + std::to_string(i / 256) + "." + std::to_string(i % 256));
  dns.wildcards.push_back({"random.example", garbage});
  options.hosts = {"192.0.2.1"};
  options.lists = {list("random.example")};
  auto result = run();
  EXPECT_EQ(result.overall(), State::unknown) << text(result);
  auto headline = result.headline();
  EXPECT_NE(headline.find("random.example: answered 10.9.0.0, 10.9.0.1, 10.9.0.2, 10.9.0.3, "
                          "10.9.0.4, 10.9.0.5, 10.9.0.6, 10.9.0.7 and 292 more for its test "
                          "entry 127.0.0.1: outside 127.0.0.0/8, not a blocklist answer"),
            std::string::npos)
      << headline;
  EXPECT_LT(headline.size(), 400U);
  EXPECT_EQ(metric(result, "random.example[*]_list_state")->value,
            static_cast<double>(DnsblListState::invalid));
}

TEST_F(DnsblProbe, ThresholdsCountLists) {
  for (const char* zone : {"a.example", "b.example", "c.example"}) {
    working(dns.table, zone);
    dns.table.a(std::string("1.2.0.192.") + zone, "127.0.0.2");
  }
  options.hosts = {"192.0.2.1"};
  options.lists = {list("a.example"), list("b.example"), list("c.example"), list("d.example")};
  working(dns.table, "d.example");
  options.warning = 2;
  options.critical = 4;
  EXPECT_EQ(run().overall(), State::warning);
  options.critical = 3;
  auto critical = run();
  EXPECT_EQ(critical.overall(), State::critical);
  EXPECT_NE(text(critical).find("192.0.2.1 is on 3 of 4 lists"), std::string::npos);
  EXPECT_EQ(output::render_perfdata_item(*metric(critical, "listings")), "listings=3;1;2;0");
  options.warning.reset();
  options.critical = 4;
  EXPECT_EQ(run().overall(), State::ok);
}

TEST_F(DnsblProbe, CodesTheListsFileDoesNotNameAreShownNotCounted) {
  working(dns.table, "zen.example");
  dns.table.a("1.2.0.192.zen.example", "127.0.0.11");
  options.hosts = {"192.0.2.1"};
  options.lists = {list("zen.example 127.0.0.2-3=SBL")};
  auto result = run();
  EXPECT_EQ(result.overall(), State::ok) << text(result);
  EXPECT_NE(text(result).find("[OK] zen.example answered 127.0.0.11, not a listing code of the "
                              "lists file"),
            std::string::npos)
      << text(result);
  EXPECT_EQ(metric(result, "zen.example[192.0.2.1]_listed")->value, 0);
}

TEST_F(DnsblProbe, AFailedQueryIsUnknownForThatAddressOnly) {
  working(dns.table, "bl.example");
  dns.table.a("1.2.0.192.bl.example", "127.0.0.2");
  dns.table.fail("2.2.0.192.bl.example", net::dns_type::a,
                 {"dns", core::FailureKind::resolve,
                  "the resolver answered SERVFAIL for A 2.2.0.192.bl.example"});
  options.hosts = {"192.0.2.1", "192.0.2.2"};
  options.lists = {list("bl.example")};
  auto result = run();
  EXPECT_EQ(result.overall(), State::critical) << text(result);
  EXPECT_NE(text(result).find("[UNKNOWN] bl.example: no answer about 192.0.2.2: the resolver "
                              "answered SERVFAIL for A 2.2.0.192.bl.example"),
            std::string::npos)
      << text(result);
  EXPECT_EQ(metric(result, "bl.example[192.0.2.2]_listed"), nullptr);
  EXPECT_EQ(metric(result, "bl.example[192.0.2.1]_listed")->value, 1);
}

TEST_F(DnsblProbe, TranscriptShowsEveryQuery) {
  working(dns.table, "bl.example");
  options.hosts = {"192.0.2.1"};
  options.lists = {list("bl.example")};
  options.transcript = true;
  auto result = run();
  ASSERT_EQ(result.transcript.size(), 3U);
  EXPECT_EQ(result.transcript[0], "A 2.0.0.127.bl.example: 127.0.0.2");
  EXPECT_EQ(result.transcript[1], "A 1.0.0.127.bl.example: NXDOMAIN");
  EXPECT_EQ(result.transcript[2], "A 1.2.0.192.bl.example: NXDOMAIN");
}

// Queries that never answer: the check ends by its deadline, at most 32 at a time.
TEST_F(DnsblProbe, SilentResolverEndsByTheDeadlineWithBoundedParallelism) {
  auto deadline = core::Deadline::after(300ms);
  std::size_t in_flight = 0;
  std::size_t most = 0;
  std::size_t asked = 0;
  net::DnsQuery silent = [&](std::string name,
                             std::uint16_t type) -> asio::awaitable<core::Outcome<net::DnsAnswer>> {
    ++asked;
    most = std::max(most, ++in_flight);
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_at(deadline.at());
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    --in_flight;
    co_return core::Failure{
        "dns", core::FailureKind::timeout,
        "timeout after 0.3 s resolving " + net::dns_type_name(type) + " " + name};
  };
  for (int i = 0; i < 10; ++i)
    options.lists.push_back(list("bl" + std::to_string(i) + ".example"));
  for (int i = 1; i <= 16; ++i)
    options.hosts.push_back("192.0.2." + std::to_string(i));
  auto started = std::chrono::steady_clock::now();
  auto result = test::run(io, probe_dnsbl_with(options, silent));
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, 1s);
  EXPECT_EQ(most, 32U);
  EXPECT_EQ(asked, 10U * 18U);
  EXPECT_EQ(result.overall(), State::unknown) << text(result);
  EXPECT_NE(result.headline().find("bl0.example: timeout after 0.3 s resolving A "
                                   "1.0.0.127.bl0.example"),
            std::string::npos)
      << result.headline();
}

}  // namespace
}  // namespace mailprobe::probes
