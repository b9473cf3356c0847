// check_mx's DNS: the MX records, each host's addresses, and TLSA where DANE can apply.

#include <algorithm>

#include "net/resolve.hpp"
#include "probes/mx_parts.hpp"
#include "protocol/dns_records.hpp"

namespace mailprobe::probes::mx {

namespace {

using Status = net::DnsAnswer::Status;

std::string security_text(const net::DnsAnswer& answer) {
  if (answer.security == net::DnsSecurity::bogus) return "bogus (" + answer.why_bogus + ")";
  return std::string(net::dns_security_name(answer.security));
}

// A and AAAA of `host` as -4/-6 allow.
boost::asio::awaitable<void> addresses_of(net::DnsResolver& dns, Host& host,
                                          const MxOptions& options, core::Deadline deadline) {
  host.addresses_secure = true;
  std::vector<std::uint16_t> types;
  if (options.family != net::AddressFamily::ipv6) types.push_back(net::dns_type::a);
  if (options.family != net::AddressFamily::ipv4) types.push_back(net::dns_type::aaaa);
  for (auto type : types) {
    auto answer = co_await dns.query(host.name, type, deadline);
    if (!answer) {
      host.problem = answer.failure().message;
      host.addresses_secure = false;
      co_return;
    }
    if (answer->security == net::DnsSecurity::bogus) {
      // Validating senders get SERVFAIL for it: the address does not exist for them.
      host.problem = net::dns_type_name(type) + " records are " + security_text(*answer);
      host.addresses_secure = false;
      co_return;
    }
    if (answer->status == Status::nxdomain) {
      host.problem = "the name does not exist (NXDOMAIN)";
      co_return;
    }
    // An empty RRset proves nothing was left out only when it is signed too.
    if (answer->security != net::DnsSecurity::secure) host.addresses_secure = false;
    if (!answer->canonical_name.empty()) host.canonical_name = answer->canonical_name;
    for (const auto& rdata : answer->records) {
      auto address = type == net::dns_type::a ? protocol::parse_a_rdata(rdata)
                                              : protocol::parse_aaaa_rdata(rdata);
      if (address) host.addresses.push_back(*address);
    }
  }
  if (host.addresses.empty() && host.problem.empty()) host.problem = "no A or AAAA records";
}

// The TLSA RRset at `owner` into `host`; false when it is a secure "no such records"
// (NODATA or NXDOMAIN), which lets an alias fall back to the MX host name.
boost::asio::awaitable<bool> tlsa_at(net::DnsResolver& dns, Host& host, std::string owner,
                                     core::Deadline deadline) {
  auto answer = co_await dns.query(owner, net::dns_type::tlsa, deadline);
  host.tlsa_owner = std::move(owner);
  if (!answer) {
    host.tlsa_problem = answer.failure().message;
    co_return true;
  }
  bool none = answer->records.empty() && answer->security == net::DnsSecurity::secure &&
              (answer->status == Status::nodata || answer->status == Status::nxdomain);
  for (const auto& rdata : answer->records) {
    auto record = protocol::parse_tlsa_rdata(std::span<const unsigned char>(
        reinterpret_cast<const unsigned char*>(rdata.data()), rdata.size()));
    if (record) {
      host.tlsa_records.push_back(std::move(*record));
    } else {
      host.tlsa_malformed.push_back(std::to_string(rdata.size()) + " bytes of RDATA");
    }
  }
  host.tlsa = std::move(*answer);
  co_return !none;
}

// RFC 7672 section 2.2: TLSA at _PORT._tcp.<host>, used by senders only when the host's
// addresses are secure; looked up in any case, so that a TLSA set senders ignore is told.
// RFC 7671 section 7: when the MX host name is an alias and its expansion is secure, the TLSA
// base domain is the canonical name, and the MX host name only when the canonical name
// has no TLSA records (Postfix does the same: the first secure answer decides).
boost::asio::awaitable<void> tlsa_of(net::DnsResolver& dns, Host& host, const MxOptions& options,
                                     core::Deadline deadline) {
  if (host.addresses.empty()) co_return;
  auto prefix = "_" + std::to_string(options.port) + "._tcp.";
  if (!host.canonical_name.empty() && host.addresses_secure) {
    if (co_await tlsa_at(dns, host, prefix + host.canonical_name, deadline)) co_return;
    host.tlsa.reset();
  }
  co_await tlsa_at(dns, host, prefix + host.name, deadline);
}

}  // namespace

boost::asio::awaitable<core::Outcome<MxSet>> look_up(net::DnsResolver& dns,
                                                     const MxOptions& options,
                                                     core::Deadline deadline) {
  auto answer = co_await dns.query(options.domain, net::dns_type::mx, deadline);
  if (!answer) co_return answer.failure();
  MxSet set;
  set.answer = *answer;
  if (answer->security == net::DnsSecurity::bogus || answer->status == Status::nxdomain) {
    co_return set;  // judged by the caller
  }
  if (answer->status == Status::nodata) {
    // RFC 5321 section 5.1: no MX, then the domain's own address records are its MX.
    set.implicit = true;
    set.hosts.push_back(Host{answer->name, 0, {}, false, {}, {}, {}, {}, {}, {}, {}});
  }
  for (const auto& rdata : answer->records) {
    auto mx = protocol::parse_mx_rdata(rdata);
    if (!mx) {
      set.violations.push_back("an MX record that cannot be read (" + std::to_string(rdata.size()) +
                               " bytes)");
      continue;
    }
    if (mx->exchange.empty()) {
      // RFC 7505 section 3: a null MX is the only MX record, with preference 0.
      set.null_mx = true;
      if (mx->preference != 0 || answer->records.size() != 1) {
        set.violations.push_back("a null MX (MX " + std::to_string(mx->preference) +
                                 " .) beside other MX records or with a preference other "
                                 "than 0 (RFC 7505 section 3)");
      }
      continue;
    }
    if (net::is_ip_literal(mx->exchange)) {
      set.violations.push_back("MX " + std::to_string(mx->preference) + " " + mx->exchange +
                               ": an address, not a host name (RFC 5321 section 5.1)");
      continue;
    }
    set.hosts.push_back(Host{mx->exchange, mx->preference, {}, false, {}, {}, {}, {}, {}, {}, {}});
  }
  std::stable_sort(set.hosts.begin(), set.hosts.end(),
                   [](const Host& a, const Host& b) { return a.preference < b.preference; });
  // Hosts in preference order until --max-addresses is reached: a domain with hundreds of
  // MX records costs a bounded number of lookups.
  std::size_t addresses = 0;
  for (std::size_t i = 0; i < set.hosts.size(); ++i) {
    if (addresses >= options.max_addresses) {
      for (std::size_t j = i; j < set.hosts.size(); ++j)
        set.not_looked_up.push_back(set.hosts[j].name);
      set.hosts.resize(i);
      break;
    }
    auto& host = set.hosts[i];
    co_await addresses_of(dns, host, options, deadline);
    co_await tlsa_of(dns, host, options, deadline);
    addresses += host.addresses.size();
  }
  co_return set;
}

}  // namespace mailprobe::probes::mx
