// check_host() of RFC 7208 sections 4 and 5 for one address: what a receiver concludes
// about mail from that address in the domain's name.

#include <algorithm>
#include <cctype>

#include "probes/spf.hpp"
#include "probes/spf_parts.hpp"
#include "protocol/dns_records.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::probes {

namespace {

using protocol::quoted;
using protocol::SpfQualifier;
using protocol::SpfTerm;
using protocol::SpfTermKind;
using spf::Lookup;

struct Verdict {
  SpfResult result = SpfResult::neutral;
  std::string reason;  // what decided, in the record where it was decided
  std::optional<core::FailureKind> failure_kind;
  // The includes and redirects that led there, outermost first.
  std::vector<std::string> via = {};
};

// "include:a > include:b > REASON"; a long chain (a loop) keeps its ends.
std::string reason_text(const Verdict& verdict) {
  std::string text;
  const auto& via = verdict.via;
  for (std::size_t i = 0; i < via.size(); ++i) {
    if (via.size() > 4 && i >= 2 && i + 1 < via.size()) {
      if (i == 2) text += "... > ";
      continue;
    }
    text += via[i] + " > ";
  }
  return text + verdict.reason;
}

Verdict permerror(std::string reason) {
  return Verdict{SpfResult::permerror, std::move(reason), std::nullopt};
}

Verdict temperror(const core::Failure& failure) {
  return Verdict{SpfResult::temperror, failure.message, failure.kind};
}

SpfResult result_of(SpfQualifier qualifier) {
  switch (qualifier) {
    case SpfQualifier::pass:
      return SpfResult::pass;
    case SpfQualifier::fail:
      return SpfResult::fail;
    case SpfQualifier::softfail:
      return SpfResult::softfail;
    case SpfQualifier::neutral:
      return SpfResult::neutral;
  }
  return SpfResult::neutral;
}

// A mechanism matched, did not, or ended the evaluation (temperror, permerror: section 4.6.2
// calls these exceptions).
struct Match {
  bool matched = false;
  std::optional<Verdict> exception;
  std::optional<Verdict> inner;  // for an include that matched: what matched inside it
  bool void_answer = false;      // the query found nothing (section 4.6.4)
};

struct Validated {
  std::vector<std::string> names;
  bool void_answer = false;  // the PTR query found nothing
};

std::string at(const SpfTerm& term, const std::string& domain) {
  return quoted(term.text) + " at " + domain;
}

class Evaluator {
 public:
  Evaluator(const net::DnsQuery& query, protocol::SpfAddress ip, protocol::SpfMacroValues values)
      : query_(query), ip_(ip), values_(std::move(values)) {}

  boost::asio::awaitable<Verdict> check_host(std::string domain, int depth);

  int lookups() const { return lookups_; }
  int void_lookups() const { return voids_; }
  bool all_secure() const { return all_secure_; }

 private:
  boost::asio::awaitable<Match> match(const SpfTerm& term, const std::string& domain, int depth);
  boost::asio::awaitable<Match> match_addresses(const std::string& name, int cidr4, int cidr6);
  boost::asio::awaitable<Match> match_mx(const SpfTerm& term, const std::string& domain,
                                         const std::string& target);
  boost::asio::awaitable<Validated> validated_names(const std::string& target, bool any);
  boost::asio::awaitable<std::optional<std::string>> target(const SpfTerm& term,
                                                            const std::string& domain);

  // Section 4.6.4: each DNS-querying term counts; the 11th is a permerror.
  std::optional<Verdict> count(const SpfTerm& term, const std::string& domain) {
    if (++lookups_ <= spf_max_lookups) return std::nullopt;
    return permerror("over " + std::to_string(spf_max_lookups) + " DNS lookups at " +
                     at(term, domain) + " (RFC 7208 section 4.6.4)");
  }
  std::optional<Verdict> count_void(const SpfTerm& term, const std::string& domain) {
    if (++voids_ <= spf_max_void_lookups) return std::nullopt;
    return permerror("over " + std::to_string(spf_max_void_lookups) + " void DNS lookups at " +
                     at(term, domain) + " (RFC 7208 section 4.6.4)");
  }
  std::uint16_t address_type() const { return ip_.v6 ? net::dns_type::aaaa : net::dns_type::a; }

  const net::DnsQuery& query_;
  protocol::SpfAddress ip_;
  protocol::SpfMacroValues values_;
  bool p_done_ = false;
  int lookups_ = 0;
  int voids_ = 0;
  bool all_secure_ = true;
};

boost::asio::awaitable<Verdict> Evaluator::check_host(std::string domain, int depth) {
  // Each level is an include or a redirect, which counts against the limit of 10, so this
  // never triggers before the limit does; it keeps the recursion bounded on its own.
  if (depth > 2 * spf_max_lookups) co_return permerror("includes nested too deep at " + domain);
  auto fetched = co_await spf::fetch_record(query_, domain, all_secure_);
  switch (fetched.kind) {
    case spf::Fetched::Kind::failed:
      co_return Verdict{SpfResult::temperror, fetched.problem, fetched.failure_kind};
    case spf::Fetched::Kind::none:
      co_return Verdict{SpfResult::none, fetched.problem, std::nullopt};
    case spf::Fetched::Kind::several:
    case spf::Fetched::Kind::syntax:
      co_return permerror(fetched.problem);
    case spf::Fetched::Kind::record:
      break;
  }
  // Section 4.6.2: mechanisms in order, the first match decides.
  for (const auto& term : fetched.record.terms) {
    if (!term.is_mechanism()) continue;
    auto m = co_await match(term, domain, depth);
    if (m.exception) co_return std::move(*m.exception);
    if (m.matched) {
      if (m.inner) {
        m.inner->result = result_of(term.qualifier);
        m.inner->via.insert(m.inner->via.begin(), term.text);
        co_return std::move(*m.inner);
      }
      co_return Verdict{result_of(term.qualifier), at(term, domain) + " matched", std::nullopt};
    }
  }
  // Section 6.1: redirect applies when nothing matched, and never beside "all".
  const auto* redirect = fetched.record.redirect();
  if (redirect == nullptr || fetched.record.has_all()) {
    co_return Verdict{SpfResult::neutral,
                      "nothing matched at " + domain +
                          ", which has no 'all': the default is neutral (RFC 7208 section 4.7)",
                      std::nullopt};
  }
  if (auto over = count(*redirect, domain)) co_return std::move(*over);
  auto name = co_await target(*redirect, domain);
  if (!name) co_return permerror(at(*redirect, domain) + " expands to no domain name");
  auto verdict = co_await check_host(*name, depth + 1);
  if (verdict.result == SpfResult::none) {
    co_return permerror(at(*redirect, domain) + ": " + reason_text(verdict) +
                        ", a redirect to no policy is a permerror (RFC 7208 section 6.1)");
  }
  verdict.via.insert(verdict.via.begin(), redirect->text);
  co_return verdict;
}

boost::asio::awaitable<std::optional<std::string>> Evaluator::target(const SpfTerm& term,
                                                                     const std::string& domain) {
  // %{p} is the validated name of the address (section 7.3); its PTR query belongs to the
  // term that uses it, which has been counted already (section 4.6.4).
  if (!p_done_ && protocol::spf_macro_letters(term.domain_spec).find('p') != std::string::npos) {
    p_done_ = true;
    auto validated = co_await validated_names(domain, true);
    if (!validated.names.empty()) values_.validated = validated.names.front();
  }
  co_return spf::target_of(term, domain, values_);
}

boost::asio::awaitable<Match> Evaluator::match(const SpfTerm& term, const std::string& domain,
                                               int depth) {
  Match m;
  switch (term.kind) {
    case SpfTermKind::all:
      m.matched = true;
      co_return m;
    case SpfTermKind::ip4:
    case SpfTermKind::ip6:
      m.matched = protocol::spf_address_in(ip_, term.network, ip_.v6 ? term.cidr6 : term.cidr4);
      co_return m;
    default:
      break;
  }
  if (auto over = count(term, domain)) {
    m.exception = std::move(over);
    co_return m;
  }
  auto name = co_await target(term, domain);
  if (!name) {
    // RFC 7208 leaves this undefined (its test suite dropped such cases). An include cannot
    // be evaluated, so it is a permerror; other mechanisms simply cannot match.
    if (term.kind == SpfTermKind::include) {
      m.exception = permerror(at(term, domain) + " expands to no domain name");
    }
    co_return m;
  }
  if (term.kind == SpfTermKind::include) {
    // Section 5.2: pass matches; fail, softfail and neutral do not; none is a permerror.
    auto inner = co_await check_host(*name, depth + 1);
    switch (inner.result) {
      case SpfResult::pass:
        m.matched = true;
        m.inner = std::move(inner);
        break;
      case SpfResult::fail:
      case SpfResult::softfail:
      case SpfResult::neutral:
        break;
      case SpfResult::none:
        m.exception = permerror(at(term, domain) + ": " + reason_text(inner) +
                                ", an include of no policy is a permerror (RFC 7208 section 5.2)");
        break;
      case SpfResult::temperror:
      case SpfResult::permerror:
        inner.via.insert(inner.via.begin(), term.text);
        m.exception = std::move(inner);
        break;
    }
    co_return m;
  }
  if (term.kind == SpfTermKind::a) {
    m = co_await match_addresses(*name, term.cidr4, term.cidr6);
    if (m.void_answer) m.exception = count_void(term, domain);
    co_return m;
  }
  if (term.kind == SpfTermKind::mx) co_return co_await match_mx(term, domain, *name);
  if (term.kind == SpfTermKind::ptr) {
    // Section 5.5: a validated name that is the target or below it.
    auto validated = co_await validated_names(*name, false);
    m.matched = !validated.names.empty();
    if (validated.void_answer) m.exception = count_void(term, domain);
    co_return m;
  }
  // exists (section 5.7): an A query whatever the address's family; any record matches.
  auto lookup = co_await spf::look_up(query_, *name, net::dns_type::a, all_secure_);
  if (lookup.kind == Lookup::Kind::failed) {
    m.exception = temperror(lookup.failure);
  } else if (lookup.kind == Lookup::Kind::void_answer) {
    m.exception = count_void(term, domain);
  } else {
    m.matched = true;
  }
  co_return m;
}

// a (section 5.3): the target's addresses of the sender's family against the prefix.
boost::asio::awaitable<Match> Evaluator::match_addresses(const std::string& name, int cidr4,
                                                         int cidr6) {
  Match m;
  auto lookup = co_await spf::look_up(query_, name, address_type(), all_secure_);
  if (lookup.kind == Lookup::Kind::failed) {
    m.exception = temperror(lookup.failure);
    co_return m;
  }
  if (lookup.kind == Lookup::Kind::void_answer) {
    m.void_answer = true;
    co_return m;
  }
  for (const auto& rdata : lookup.records) {
    auto text = ip_.v6 ? protocol::parse_aaaa_rdata(rdata) : protocol::parse_a_rdata(rdata);
    auto address = text ? protocol::parse_spf_address(*text) : std::nullopt;
    if (address && protocol::spf_address_in(ip_, *address, ip_.v6 ? cidr6 : cidr4)) {
      m.matched = true;
    }
  }
  co_return m;
}

// mx (section 5.4): each MX host's addresses; at most 10 hosts may be looked up (section
// 4.6.4), an 11th needed is a permerror. No implicit MX (the domain's own address).
boost::asio::awaitable<Match> Evaluator::match_mx(const SpfTerm& term, const std::string& domain,
                                                  const std::string& target) {
  Match m;
  auto lookup = co_await spf::look_up(query_, target, net::dns_type::mx, all_secure_);
  if (lookup.kind == Lookup::Kind::failed) {
    m.exception = temperror(lookup.failure);
    co_return m;
  }
  if (lookup.kind == Lookup::Kind::void_answer) {
    m.exception = count_void(term, domain);
    co_return m;
  }
  std::vector<protocol::MxRecord> hosts;
  for (const auto& rdata : lookup.records) {
    auto mx = protocol::parse_mx_rdata(rdata);
    if (mx && !mx->exchange.empty()) hosts.push_back(std::move(*mx));  // not a null MX
  }
  std::stable_sort(hosts.begin(), hosts.end(),
                   [](const auto& a, const auto& b) { return a.preference < b.preference; });
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    if (i == spf_max_names_per_lookup) {
      m.exception =
          permerror(at(term, domain) + ": " + target + " has " + std::to_string(hosts.size()) +
                    " MX hosts, more than the 10 a receiver may look up (RFC 7208 "
                    "section 4.6.4)");
      co_return m;
    }
    auto inner = co_await match_addresses(hosts[i].exchange, term.cidr4, term.cidr6);
    if (inner.exception || inner.matched) co_return inner;
  }
  co_return m;
}

// Section 5.5: the names of the address's PTR records (at most 10, section 4.6.4) whose
// addresses include it. With `any` false only names at or below `target` are validated; a
// failing PTR query means no names, a failing address query skips that name.
boost::asio::awaitable<Validated> Evaluator::validated_names(const std::string& target, bool any) {
  Validated validated;
  auto& names = validated.names;
  auto lookup = co_await spf::look_up(query_, protocol::spf_reverse_name(ip_), net::dns_type::ptr,
                                      all_secure_);
  validated.void_answer = lookup.kind == Lookup::Kind::void_answer;
  if (lookup.kind != Lookup::Kind::data) co_return validated;
  std::size_t tried = 0;
  for (const auto& rdata : lookup.records) {
    if (tried == spf_max_names_per_lookup) break;
    std::size_t offset = 0;
    auto name = protocol::wire_name(rdata, offset);
    if (!name || name->empty()) continue;
    ++tried;
    if (!any && *name != target && !name->ends_with("." + target)) continue;
    auto m = co_await match_addresses(*name, ip_.v6 ? 128 : 32, 128);
    if (m.matched) names.push_back(*name);
  }
  // %{p} prefers a name at or below the domain (section 7.3).
  std::stable_partition(names.begin(), names.end(), [&](const std::string& n) {
    return n == target || n.ends_with("." + target);
  });
  co_return validated;
}

}  // namespace

boost::asio::awaitable<SpfEvaluation> evaluate_spf(net::DnsQuery query, std::string ip,
                                                   SpfCheckOptions options) {
  SpfEvaluation evaluation;
  evaluation.ip = ip;
  auto& domain = options.domain;
  domain = spf::normal_domain(std::move(domain));
  auto address = protocol::parse_spf_address(ip);
  if (!address) {
    evaluation.reason = quoted(ip) + " is not an IPv4 or IPv6 address";
    evaluation.failure_kind = core::FailureKind::config;
    co_return evaluation;
  }
  protocol::SpfMacroValues values;
  values.domain = options.domain;
  values.sender = options.sender.empty() ? "postmaster@" + options.domain : options.sender;
  values.helo = options.helo.empty() ? options.domain : options.helo;
  values.ip = address;
  Evaluator evaluator(query, *address, values);
  auto verdict = co_await evaluator.check_host(options.domain, 0);
  evaluation.result = verdict.result;
  evaluation.reason = reason_text(verdict);
  evaluation.failure_kind = verdict.failure_kind;
  evaluation.lookups = std::min(evaluator.lookups(), spf_max_lookups + 1);
  evaluation.void_lookups = evaluator.void_lookups();
  evaluation.all_secure = evaluator.all_secure();
  co_return evaluation;
}

}  // namespace mailprobe::probes
