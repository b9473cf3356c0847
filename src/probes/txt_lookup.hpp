#pragma once
// The TXT records at one name as the DMARC, DKIM and BIMI parts of check_mail_domain read
// them: each record's character-strings joined (RFC 7208 section 3.3, which DKIM, DMARC and
// BIMI follow), with the answer's DNSSEC state, and the watched value of the name.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/outcome.hpp"
#include "net/dns.hpp"

namespace mailprobe::probes {

struct TxtSet {
  std::string name;
  std::optional<core::Failure> failure;  // the lookup failed: nothing else is set
  net::DnsAnswer::Status status = net::DnsAnswer::Status::nodata;
  net::DnsSecurity security = net::DnsSecurity::insecure;
  std::string why_bogus;
  std::string canonical_name;      // where a CNAME chain led, when `name` is an alias
  std::vector<std::string> texts;  // one per record, in the order served
};

// Never fails: a failed lookup is in TxtSet::failure.
boost::asio::awaitable<TxtSet> lookup_txt(const net::DnsQuery& query, std::string name);

}  // namespace mailprobe::probes
