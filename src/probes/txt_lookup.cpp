#include "probes/txt_lookup.hpp"

#include <algorithm>

#include "protocol/dns_records.hpp"

namespace mailprobe::probes {

boost::asio::awaitable<TxtSet> lookup_txt(const net::DnsQuery& query, std::string name) {
  TxtSet set;
  set.name = std::move(name);
  auto answer = co_await query(set.name, net::dns_type::txt);
  if (!answer) {
    set.failure = answer.failure();
    co_return set;
  }
  set.status = answer->status;
  set.security = answer->security;
  set.why_bogus = answer->why_bogus;
  set.canonical_name = answer->canonical_name;
  for (const auto& rdata : answer->records) {
    // RDATA that is no TXT (a length byte past the end) is left out: no receiver reads it.
    if (auto text = protocol::parse_txt_rdata(rdata)) set.texts.push_back(std::move(*text));
  }
  co_return set;
}

}  // namespace mailprobe::probes
