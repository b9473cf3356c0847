// SPF's DNS: answers reduced to records, void or error, and a domain's SPF record found
// among its TXT records (RFC 7208 sections 4.3 to 4.6).

#include <algorithm>

#include "probes/spf_parts.hpp"
#include "protocol/dns_records.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::probes::spf {

namespace {

using Status = net::DnsAnswer::Status;

// How many character-strings a TXT RDATA holds (RFC 1035 section 3.3.14).
std::size_t txt_strings(std::string_view rdata) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < rdata.size(); i += 1U + static_cast<unsigned char>(rdata[i]))
    ++count;
  return count;
}

}  // namespace

boost::asio::awaitable<Lookup> look_up(const net::DnsQuery& query, const std::string& name,
                                       std::uint16_t type, bool& all_secure) {
  Lookup lookup;
  auto answer = co_await query(name, type);
  if (!answer) {
    all_secure = false;
    lookup.failure = answer.failure();
    co_return lookup;
  }
  if (answer->security != net::DnsSecurity::secure) all_secure = false;
  if (answer->security == net::DnsSecurity::bogus) {
    lookup.failure =
        core::Failure{"spf", core::FailureKind::resolve,
                      net::dns_type_name(type) + " " + name + ": DNSSEC validation failed (" +
                          answer->why_bogus + "), validating receivers get SERVFAIL"};
    co_return lookup;
  }
  if (answer->status == Status::nxdomain) {
    lookup.kind = Lookup::Kind::void_answer;
    lookup.void_text = "NXDOMAIN";
  } else if (answer->status == Status::nodata || answer->records.empty()) {
    lookup.kind = Lookup::Kind::void_answer;
    lookup.void_text = "no " + net::dns_type_name(type) + " records";
  } else {
    lookup.kind = Lookup::Kind::data;
    lookup.records = std::move(answer->records);
  }
  co_return lookup;
}

boost::asio::awaitable<Fetched> fetch_record(const net::DnsQuery& query, const std::string& domain,
                                             bool& all_secure) {
  Fetched fetched;
  fetched.domain = domain;
  // Section 4.3: a malformed or single-label domain has no SPF policy.
  if (!protocol::is_spf_domain(domain)) {
    fetched.problem = protocol::quoted(domain) + " is not a domain name (RFC 7208 section 4.3)";
    co_return fetched;
  }
  auto lookup = co_await look_up(query, domain, net::dns_type::txt, all_secure);
  if (lookup.kind == Lookup::Kind::failed) {
    fetched.kind = Fetched::Kind::failed;
    fetched.problem = lookup.failure.message;
    fetched.failure_kind = lookup.failure.kind;
    co_return fetched;
  }
  if (lookup.kind == Lookup::Kind::void_answer) {
    fetched.problem = lookup.void_text == "NXDOMAIN"
                          ? domain + " does not exist (NXDOMAIN)"
                          : "no SPF record at " + domain + " (no TXT records)";
    co_return fetched;
  }
  // Section 3.3: a TXT record of several strings is one text, joined without separator.
  std::size_t strings = 1;
  for (const auto& rdata : lookup.records) {
    auto text = protocol::parse_txt_rdata(rdata);
    if (!text || !protocol::is_spf_record(*text)) continue;  // section 4.5: not SPF
    fetched.texts.push_back(std::move(*text));
    strings = txt_strings(rdata);
  }
  if (fetched.texts.empty()) {
    fetched.problem = "no SPF record at " + domain + " (" + std::to_string(lookup.records.size()) +
                      " TXT records, none starts with 'v=spf1')";
    co_return fetched;
  }
  if (fetched.texts.size() > 1) {
    fetched.kind = Fetched::Kind::several;
    fetched.problem = std::to_string(fetched.texts.size()) + " v=spf1 records at " + domain +
                      ", there must be one (RFC 7208 section 4.5)";
    co_return fetched;
  }
  auto parsed = protocol::parse_spf_record(fetched.texts.front());
  if (!parsed) {
    fetched.kind = Fetched::Kind::syntax;
    fetched.problem = "syntax error at " + domain + ": " + parsed.failure().message;
    if (strings > 1) {
      fetched.problem += " (its TXT record has " + std::to_string(strings) +
                         " strings, which are joined without spaces: RFC 7208 section 3.3)";
    }
    co_return fetched;
  }
  fetched.kind = Fetched::Kind::record;
  fetched.record = std::move(*parsed);
  co_return fetched;
}

WatchedRecord watched_record(const Fetched& fetched) {
  return WatchedRecord{"TXT " + fetched.domain, joined_records(fetched.texts)};
}

bool depends_on_sender(const std::string& macro_string) {
  auto letters = protocol::spf_macro_letters(macro_string);
  return std::ranges::any_of(letters, [](char c) { return c != 'd'; });
}

std::optional<std::string> target_of(const protocol::SpfTerm& term, const std::string& domain,
                                     protocol::SpfMacroValues values) {
  if (term.domain_spec.empty()) return domain;
  values.domain = domain;
  return protocol::spf_target_name(protocol::expand_spf_macros(term.domain_spec, values));
}

}  // namespace mailprobe::probes::spf
