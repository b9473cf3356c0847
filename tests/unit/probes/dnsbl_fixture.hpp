#pragma once
// The fixture of check_dnsbl's probe tests: a table of DNS answers (FakeDns) with wildcards,
// as lists that answer the same for every name have them.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <string>
#include <utility>
#include <vector>

#include "output/nagios.hpp"
#include "probes/dnsbl.hpp"
#include "support/fake_dns.hpp"
#include "support/run.hpp"

namespace mailprobe::probes::dnsbl_test {

namespace asio = boost::asio;

inline protocol::DnsblList list(const std::string& line) {
  auto parsed = protocol::parse_dnsbl_line(line);
  EXPECT_TRUE(parsed && *parsed) << line;
  return **parsed;
}

// RFC 5782 section 5's test entries, as a working list has them.
inline void working(test::FakeDns& dns, const std::string& zone) {
  dns.a("2.0.0.127." + zone, "127.0.0.2").txt("2.0.0.127." + zone, "test entry");
}

// A table with wildcards: every name under `zone` answers `addresses` (as a list that refuses
// everything, or lists everything, does).
struct Dns {
  test::FakeDns table;
  std::vector<std::pair<std::string, std::vector<std::string>>> wildcards;
  std::vector<std::string> wildcard_asked;

  net::DnsQuery query() {
    auto inner = table.query();
    return [this, inner](std::string name,
                         std::uint16_t type) -> asio::awaitable<core::Outcome<net::DnsAnswer>> {
      for (const auto& [zone, addresses] : wildcards) {
        if (name.size() > zone.size() && name.ends_with("." + zone)) {
          wildcard_asked.push_back(name);
          net::DnsAnswer answer;
          answer.name = name;
          answer.type = type;
          if (type == net::dns_type::a) {
            for (const auto& address : addresses)
              answer.records.push_back(test::a_rdata(address));
          } else {
            answer.status = net::DnsAnswer::Status::nodata;
          }
          co_return answer;
        }
      }
      co_return co_await inner(std::move(name), type);
    };
  }
};

struct DnsblProbe : ::testing::Test {
  asio::io_context io;
  Dns dns;
  DnsblOptions options;

  core::ProbeResult run() {
    auto query = dns.query();
    return test::run(io, probe_dnsbl_with(options, query));
  }
  static std::string text(const core::ProbeResult& result) {
    return output::render_nagios(result, true);
  }
  static const core::Metric* metric(const core::ProbeResult& result, const std::string& name) {
    for (const auto& m : result.metrics) {
      if (m.name == name) return &m;
    }
    return nullptr;
  }
};

}  // namespace mailprobe::probes::dnsbl_test
