#include "probes/dmarc.hpp"

#include <algorithm>

#include "protocol/txt_fields.hpp"

namespace mailprobe::probes {

namespace {

using core::State;
using protocol::DmarcPolicy;

// Bounded work: report destinations whose authorization is looked up (one query each).
constexpr std::size_t max_report_hosts = 8;

std::string policy_name(DmarcPolicy policy) {
  return std::string(protocol::dmarc_policy_name(policy));
}

// The next weaker policy, which pct sampling (RFC 7489 section 6.3, pct) and DMARCbis t=y
// apply instead.
DmarcPolicy weaker(DmarcPolicy policy) {
  return policy == DmarcPolicy::reject ? DmarcPolicy::quarantine : DmarcPolicy::none;
}

std::string organizational(const protocol::PublicSuffixList* suffixes, const std::string& name) {
  return suffixes != nullptr ? suffixes->organizational_domain(name) : name;
}

// The records of `set` that start with v=DMARC1: what receivers count (section 6.6.3
// steps 2 and 4), and the hints of those that look like DMARC but are discarded.
void classify(const TxtSet& set, std::vector<std::string>& candidates,
              std::vector<std::string>& hints) {
  for (const auto& text : set.texts) {
    auto parsed = protocol::parse_dmarc_record(text);
    if (const auto* other = std::get_if<protocol::NotDmarcRecord>(&parsed)) {
      if (!other->hint.empty()) {
        hints.push_back("DMARC: TXT " + protocol::quoted(text, 60) + " at " + set.name +
                        " is ignored: " + other->hint);
      }
    } else {
      candidates.push_back(text);
    }
  }
}

void add_watched(const TxtSet& set, DomainPart& part) {
  if (set.failure) return;  // not read: no value to compare
  std::vector<std::string> candidates;
  std::vector<std::string> hints;
  classify(set, candidates, hints);
  part.records.push_back({"TXT " + set.name, joined_records(std::move(candidates))});
}

// Section 7.1: a report address outside the record's organizational domain gets reports
// only when its domain publishes <record-domain>._report._dmarc.<host> with v=DMARC1.
boost::asio::awaitable<void> check_report_hosts(const net::DnsQuery& query,
                                                const protocol::DmarcRecord& record,
                                                const std::string& record_domain,
                                                const protocol::PublicSuffixList* suffixes,
                                                DomainPart& part) {
  std::vector<std::string> hosts;
  for (const auto* list : {&record.rua, &record.ruf}) {
    for (const auto& uri : *list) {
      if (organizational(suffixes, uri.host) == organizational(suffixes, record_domain)) continue;
      if (std::ranges::find(hosts, uri.host) == hosts.end()) hosts.push_back(uri.host);
    }
  }
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const auto& host = hosts[i];
    if (i == max_report_hosts) {
      part.subcheck.children.push_back({State::ok,
                                        "DMARC: " + std::to_string(hosts.size() - i) +
                                            " more external report domains not checked (at most " +
                                            std::to_string(max_report_hosts) + ")",
                                        {}});
      break;
    }
    auto name = record_domain;
    name += "._report._dmarc.";
    name += host;
    auto set = co_await lookup_txt(query, std::move(name));
    if (set.failure) {
      part.all_secure = false;
      part.subcheck.children.push_back(
          {State::unknown,
           "DMARC: cannot tell whether " + host + " accepts reports: " + set.failure->message,
           {}});
      continue;
    }
    part.all_secure = part.all_secure && set.security == net::DnsSecurity::secure;
    part.records.push_back({"TXT " + set.name, joined_records(set.texts)});
    if (set.security == net::DnsSecurity::bogus) {
      part.subcheck.children.push_back({State::warning,
                                        "DMARC: TXT " + set.name + " is bogus (" + set.why_bogus +
                                            "): validating receivers send no reports to " + host,
                                        {}});
      continue;
    }
    bool authorized = std::ranges::any_of(set.texts, protocol::is_report_authorization);
    if (authorized) {
      std::string line = "DMARC: ";
      line += host;
      line += " accepts reports for ";
      line += record_domain;
      line += " (" + set.name + ")";
      part.subcheck.children.push_back({State::ok, std::move(line), {}});
    } else {
      part.subcheck.children.push_back({State::warning,
                                        "DMARC: reports to " + host +
                                            " are not sent: no v=DMARC1 record at " + set.name +
                                            " authorizes them (RFC 7489 section 7.1)",
                                        {}});
    }
  }
}

// The verdict on the one valid record that applies.
boost::asio::awaitable<void> judge_record(const net::DnsQuery& query, const DmarcDiscovery& found,
                                          DmarcPolicy wanted,
                                          const protocol::PublicSuffixList* suffixes,
                                          DomainPart& part) {
  const auto& record = *found.record;
  // A subdomain without a record of its own gets sp=, else p= (section 6.3, sp).
  auto policy = found.inherited ? record.subdomain_policy() : record.policy();
  std::string tag = found.inherited && record.sp ? "sp" : "p";
  auto shown = tag + "=" + policy_name(policy);
  part.subcheck.summary = "DMARC: " + shown + " (_dmarc." + found.record_domain +
                          (found.inherited ? ", the organizational domain's record)" : ")");
  part.metrics.push_back(
      {"dmarc_policy", static_cast<double>(static_cast<int>(policy)), "", {}, {}, -1, 2});
  auto& lines = part.subcheck.children;
  if (policy < wanted) {
    lines.push_back({State::critical,
                     "DMARC " + shown + " is weaker than --dmarc-policy " + policy_name(wanted) +
                         (policy == DmarcPolicy::none
                              ? ": receivers deliver mail that fails DMARC"
                              : ": receivers deliver mail that fails DMARC to spam folders"),
                     {}});
  }
  if (policy != DmarcPolicy::none && record.pct < 100) {
    lines.push_back({State::warning,
                     "DMARC pct=" + std::to_string(record.pct) + ": " + shown + " applies to " +
                         std::to_string(record.pct) + "% of failing mail, the rest gets " +
                         policy_name(weaker(policy)) + " (RFC 7489 section 6.3)",
                     {}});
  }
  if (policy != DmarcPolicy::none && record.testing) {
    lines.push_back({State::warning,
                     "DMARC t=y: DMARCbis receivers apply " + policy_name(weaker(policy)) +
                         " instead of " + policy_name(policy) + " (test mode, RFC 9989)",
                     {}});
  }
  for (const auto& warning : record.warnings)
    lines.push_back({State::warning, "DMARC: " + warning, {}});
  for (const auto& note : record.notes)
    lines.push_back({State::ok, "DMARC: " + note, {}});
  if (record.rua.empty()) {
    lines.push_back({State::ok, "DMARC: no rua=, so no one receives aggregate reports", {}});
  }
  co_await check_report_hosts(query, record, found.record_domain, suffixes, part);
}

}  // namespace

boost::asio::awaitable<DmarcDiscovery> discover_dmarc(const net::DnsQuery& query,
                                                      std::string domain,
                                                      const protocol::PublicSuffixList* suffixes) {
  DmarcDiscovery found;
  std::vector<std::string> where = {domain};
  // Section 6.6.3 step 3: the organizational domain, when the domain has no record.
  auto top = organizational(suffixes, domain);
  if (top != domain) where.push_back(top);
  for (const auto& name : where) {
    found.lookups.push_back(co_await lookup_txt(query, "_dmarc." + name));
    const auto& set = found.lookups.back();
    // A failed or bogus lookup ends discovery: receivers treat it as a temporary error and
    // do not go on to the organizational domain.
    if (set.failure || set.security == net::DnsSecurity::bogus) co_return found;
    found.candidates.clear();
    classify(set, found.candidates, found.hints);
    if (found.candidates.empty()) continue;
    found.record_domain = name;
    found.inherited = name != domain;
    // Step 5: several records are as good as none (no fallback either).
    if (found.candidates.size() == 1) {
      auto parsed = protocol::parse_dmarc_record(found.candidates.front());
      if (auto* record = std::get_if<protocol::DmarcRecord>(&parsed)) {
        found.record = std::move(*record);
      } else if (auto* failure = std::get_if<core::Failure>(&parsed)) {
        found.invalid = std::move(*failure);
      }
    }
    co_return found;
  }
  co_return found;
}

bool dmarc_enforced(const DmarcDiscovery& discovery) {
  if (!discovery.record) return false;
  const auto& record = *discovery.record;
  auto policy = discovery.inherited ? record.subdomain_policy() : record.policy();
  return policy != DmarcPolicy::none && record.subdomain_policy() != DmarcPolicy::none &&
         record.pct == 100 && !record.testing;
}

boost::asio::awaitable<DomainPart> check_dmarc(net::DnsQuery query, DmarcCheckOptions options) {
  DomainPart part;
  auto wanted = protocol::parse_dmarc_policy(options.weakest_policy);
  if (!wanted) {
    part.subcheck = {State::unknown,
                     "DMARC: --dmarc-policy " + protocol::quoted(options.weakest_policy) +
                         " is not none, quarantine or reject",
                     {}};
    part.all_secure = false;
    co_return part;
  }
  auto found = co_await discover_dmarc(query, options.domain, options.suffixes);
  for (const auto& set : found.lookups) {
    add_watched(set, part);
    part.all_secure = part.all_secure && !set.failure && set.security == net::DnsSecurity::secure;
  }
  const auto& last = found.lookups.back();
  auto no_policy = [&](State state, std::string summary) {
    part.subcheck.state = state;
    part.subcheck.summary = std::move(summary);
    part.metrics.push_back({"dmarc_policy", -1, "", {}, {}, -1, 2});
  };
  if (last.failure) {
    part.subcheck = {State::unknown, "DMARC: " + last.failure->message, {}};
    co_return part;
  }
  if (last.security == net::DnsSecurity::bogus) {
    no_policy(State::critical, "DMARC: TXT " + last.name + " is bogus (" + last.why_bogus +
                                   "): validating receivers cannot read the policy");
    co_return part;
  }
  for (const auto& hint : found.hints)
    part.subcheck.children.push_back({State::warning, hint, {}});
  if (found.candidates.size() > 1) {
    no_policy(State::critical, "DMARC: " + std::to_string(found.candidates.size()) +
                                   " records at " + last.name +
                                   ": receivers apply no policy (RFC 7489 section 6.6.3)");
  } else if (found.candidates.empty()) {
    auto where = "_dmarc." + options.domain;
    if (found.lookups.size() > 1) where += " nor at " + last.name;
    no_policy(*wanted == DmarcPolicy::none ? State::warning : State::critical,
              "DMARC: no record at " + where + ": receivers apply no policy");
  } else if (found.invalid) {
    auto message = found.invalid->message;
    if (message.find("receivers") == std::string::npos) message += ": receivers ignore it";
    no_policy(State::critical, "DMARC: invalid record at " + last.name + ": " + message);
  } else {
    co_await judge_record(query, found, *wanted, options.suffixes, part);
  }
  co_return part;
}

}  // namespace mailprobe::probes
