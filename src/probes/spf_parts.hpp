#pragma once
// What SPF evaluation (spf_eval.cpp), the walk (spf_walk.cpp) and the check (spf.cpp) share:
// a DNS answer reduced to what SPF tells apart, and finding a domain's SPF record.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ascii.hpp"
#include "core/outcome.hpp"
#include "net/dns.hpp"
#include "probes/domain_part.hpp"
#include "protocol/spf_record.hpp"

namespace mailprobe::probes::spf {

// One query as section 5 sees it: records, a "void" answer (section 4.6.4: NODATA or
// NXDOMAIN), or an error, which is a temperror (section 2.6.6). A bogus answer is an error:
// a validating receiver gets SERVFAIL for it.
struct Lookup {
  enum class Kind { data, void_answer, failed };
  Kind kind = Kind::failed;
  std::vector<std::string> records;  // RDATA, wire format
  std::string void_text;             // "NXDOMAIN", "no A records"
  core::Failure failure{"spf", core::FailureKind::resolve, ""};
};

// A domain as given (options, --spf-ip evaluation): lower case, without a trailing dot.
inline std::string normal_domain(std::string domain) {
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  return core::ascii_lower(domain);
}

// Asks `name` `type`; clears `all_secure` when the answer is not DNSSEC-secure.
boost::asio::awaitable<Lookup> look_up(const net::DnsQuery& query, const std::string& name,
                                       std::uint16_t type, bool& all_secure);

// The SPF record of a domain (sections 4.3 to 4.6).
struct Fetched {
  enum class Kind {
    record,   // exactly one, and it parses
    none,     // no SPF record (section 4.5), NXDOMAIN or no valid domain name (section 4.3)
    several,  // more than one: permerror (section 4.5)
    syntax,   // one that does not parse: permerror (section 4.6)
    failed,   // DNS error or timeout: temperror (section 4.4)
  };
  Kind kind = Kind::none;
  std::string domain;
  std::vector<std::string> texts;  // every v=spf1 record found, as served
  protocol::SpfRecord record;      // kind record
  // Kinds other than record: one line, "no SPF record at example.org", "2 v=spf1 records at
  // example.org", "syntax error at example.org: term ...".
  std::string problem;
  core::FailureKind failure_kind = core::FailureKind::resolve;  // kind failed
};

boost::asio::awaitable<Fetched> fetch_record(const net::DnsQuery& query, const std::string& domain,
                                             bool& all_secure);

// The watched record of a fetched domain: "TXT DOMAIN" and its SPF records, sorted, joined
// by " | " ("" when there are none).
WatchedRecord watched_record(const Fetched& fetched);

// The SPF terms of macro letters that need the sender's address, name or HELO: a walk
// without an address cannot expand them.
bool depends_on_sender(const std::string& macro_string);

// `term`'s target at `domain`: its domain-spec expanded (or `domain` when it has none) and
// made a name to look up. nullopt when it expands to no domain name.
std::optional<std::string> target_of(const protocol::SpfTerm& term, const std::string& domain,
                                     protocol::SpfMacroValues values);

}  // namespace mailprobe::probes::spf
