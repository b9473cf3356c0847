#pragma once
// The parts of check_dnsbl (internal to probes/dnsbl*.cpp): queries in parallel, and what
// is checked (addresses of names, MX hosts and SPF records; domains).

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "core/outcome.hpp"
#include "net/dns.hpp"
#include "probes/dnsbl.hpp"

namespace mailprobe::probes::dnsbl {

using Answer = core::Outcome<net::DnsAnswer>;

struct Question {
  std::string name;
  std::uint16_t type = 0;
};

// At most this many queries are on their way at once: a check of 16 addresses on 20 lists
// asks 360 questions, which a resolver should not get in one burst.
inline constexpr std::size_t max_parallel_queries = 32;

// Asks every question, max_parallel_queries at a time; the answers in the questions' order.
// Each query runs under the check's deadline (the query function's), so this ends by it.
// With `transcript`, a line per question and answer, in order.
boost::asio::awaitable<std::vector<Answer>> ask_all(const std::vector<Question>& questions,
                                                    const net::DnsQuery& query,
                                                    std::vector<std::string>* transcript);

// One thing to look up on the lists.
struct Target {
  std::string value;   // "192.0.2.1", "2001:db8::1", or a domain name (on domain lists)
  std::string origin;  // where it came from: "" (as given), "mail.example.org",
                       // "MX mx1.example.org", "SPF of example.org"
  bool domain = false;
};

struct TargetSet {
  std::vector<Target> targets;
  // What could not be looked up although it was asked for (a -H name without addresses,
  // the domain's MX lookup failing): UNKNOWN each.
  std::vector<std::string> problems;
  std::vector<std::string> notes;  // what was left out, and why
};

// The addresses and domains of the options: IP literals as given (in canonical text),
// names resolved, the domain's MX hosts (or the domain itself: the implicit MX) and, with
// spf_addresses, the single addresses its SPF record authorizes, at most max_addresses
// addresses in all.
boost::asio::awaitable<TargetSet> collect_targets(const DnsblOptions& options,
                                                  const net::DnsQuery& query,
                                                  std::vector<std::string>* transcript);

// The addresses (as text) of A or AAAA answers; other records are skipped.
std::vector<std::string> addresses_in(const net::DnsAnswer& answer);

}  // namespace mailprobe::probes::dnsbl
