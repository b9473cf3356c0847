#pragma once
// check_dnsbl: are a mail system's addresses (or domains) on DNS blocklists (RFC 5782)?
// Addresses come from -H (an address, or a name and all its addresses), from a domain's MX
// hosts and, when asked, from the addresses its SPF record authorizes to send. Every list
// is tested with its RFC 5782 section 5 test entries first: a list that refuses the query
// (Spamhaus' 127.255.255.0/24), lists everything, is gone, or answers with addresses
// outside 127.0.0.0/8 is reported as UNKNOWN for that list, and none of its answers count
// as a listing.

#include <array>
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/deadline.hpp"
#include "core/result.hpp"
#include "net/dns.hpp"
#include "protocol/dnsbl.hpp"

namespace mailprobe::probes {

struct DnsblOptions {
  std::vector<std::string> hosts;          // -H: IP addresses, or names (A-labels)
  std::string domain;                      // --domain: its MX hosts' addresses (A-labels)
  bool spf_addresses = false;              // --spf-ip: and the addresses its SPF authorizes
  std::vector<std::string> rhsbl_domains;  // --rhsbl-domain, checked on the domain lists
  std::vector<protocol::DnsblList> lists;
  // An address or domain on at least this many lists is WARNING, CRITICAL (-w, -c).
  std::optional<int> warning;
  int critical = 1;
  // Addresses checked at most (from names, MX hosts and SPF together): every address costs a
  // query per list.
  std::size_t max_addresses = 16;
  net::DnsOptions dns;
  bool transcript = false;  // -v: every query and its answer
};

// What the test entries (and the answers) say about a list; the daemon exports it as a state
// set, by these names.
enum class DnsblListState { ok, refused, dead, wildcard, invalid, unreachable };
inline constexpr std::array<std::string_view, 6> dnsbl_list_state_names{
    "ok", "refused", "dead", "wildcard", "invalid", "unreachable"};

// Metrics, besides "time" and "listings" (the most lists one address or domain is on, with
// the -w/-c thresholds), as core::target_metric_name series:
//   LIST[ADDRESS]_listed  1 when the list lists the address (or domain), 0 when not; absent
//                         when the list could not say (its state is not ok, or no answer)
//   LIST[*]_list_state    the list's DnsblListState
inline constexpr std::string_view dnsbl_whole_list = "*";

boost::asio::awaitable<core::ProbeResult> probe_dnsbl(DnsblOptions options,
                                                      core::Deadline deadline);

// The same check asking `query` (a resolver under the deadline, or a table in tests).
boost::asio::awaitable<core::ProbeResult> probe_dnsbl_with(const DnsblOptions& options,
                                                           const net::DnsQuery& query);

}  // namespace mailprobe::probes
