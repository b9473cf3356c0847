// BIMI of check_mail_domain (declared in dmarc.hpp: a logo is shown only under a DMARC
// policy at enforcement, so BIMI is judged with DMARC's discovery).

#include "probes/dmarc.hpp"
#include "protocol/bimi_record.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::probes {

namespace {

using core::State;

struct Candidates {
  std::vector<std::string> texts;  // starting with v=BIMI1
  std::vector<std::string> hints;
};

Candidates classify(const TxtSet& set) {
  Candidates found;
  for (const auto& text : set.texts) {
    auto parsed = protocol::parse_bimi_record(text);
    if (const auto* other = std::get_if<protocol::NotBimiRecord>(&parsed)) {
      if (!other->hint.empty()) {
        found.hints.push_back("BIMI: TXT " + protocol::quoted(text, 60) + " at " + set.name +
                              " is ignored: " + other->hint);
      }
    } else {
      found.texts.push_back(text);
    }
  }
  return found;
}

void judge(const protocol::BimiRecord& record, const std::string& where, DomainPart& part) {
  if (record.declined()) {
    part.subcheck.summary = "BIMI: declined (empty l= and a= at " + where + ")";
    return;
  }
  part.subcheck.summary = "BIMI: " +
                          (record.location.empty() ? std::string("logo from the evidence document")
                                                   : "logo " + record.location) +
                          " (" + where + ")";
  auto& lines = part.subcheck.children;
  if (record.authority.empty()) {
    lines.push_back({State::ok,
                     "BIMI: no a= evidence (Verified Mark Certificate): receivers that require "
                     "one show no logo",
                     {}});
  } else {
    lines.push_back({State::ok, "BIMI: evidence " + record.authority, {}});
  }
  for (const auto& warning : record.warnings)
    lines.push_back({State::warning, "BIMI: " + warning, {}});
}

}  // namespace

boost::asio::awaitable<DomainPart> check_bimi(net::DnsQuery query, std::string domain,
                                              const protocol::PublicSuffixList* suffixes) {
  DomainPart part;
  // The draft's "Assertion Record Discovery": the default selector at the domain, else at
  // its organizational domain (as defined by DMARC).
  std::vector<std::string> where = {domain};
  if (suffixes != nullptr) {
    auto top = suffixes->organizational_domain(domain);
    if (top != domain) where.push_back(top);
  }
  TxtSet set;
  Candidates found;
  for (const auto& name : where) {
    set = co_await lookup_txt(query, "default._bimi." + name);
    if (set.failure) {
      part.all_secure = false;
      part.subcheck = {State::unknown, "BIMI: " + set.failure->message, {}};
      co_return part;
    }
    part.all_secure = part.all_secure && set.security == net::DnsSecurity::secure;
    if (name == domain) part.records.push_back({"TXT " + set.name, joined_records(set.texts)});
    if (set.security == net::DnsSecurity::bogus) {
      part.subcheck = {State::warning,
                       "BIMI: TXT " + set.name + " is bogus (" + set.why_bogus +
                           "): validating receivers show no logo",
                       {}};
      co_return part;
    }
    auto here = classify(set);
    found.hints.insert(found.hints.end(), here.hints.begin(), here.hints.end());
    found.texts = std::move(here.texts);
    if (!found.texts.empty()) break;
  }
  for (const auto& hint : found.hints)
    part.subcheck.children.push_back({State::warning, hint, {}});
  if (found.texts.empty()) {
    part.subcheck.summary = "BIMI: no record";
    co_return part;
  }
  if (found.texts.size() > 1) {
    part.subcheck.state = State::warning;
    part.subcheck.summary = "BIMI: " + std::to_string(found.texts.size()) + " records at " +
                            set.name + ": receivers show no logo";
    co_return part;
  }
  auto parsed = protocol::parse_bimi_record(found.texts.front());
  if (const auto* failure = std::get_if<core::Failure>(&parsed)) {
    part.subcheck.state = State::warning;
    part.subcheck.summary = "BIMI: invalid record at " + set.name + ": " + failure->message +
                            ": receivers show no logo";
    co_return part;
  }
  const auto& record = std::get<protocol::BimiRecord>(parsed);
  judge(record, set.name, part);
  if (record.declined()) co_return part;
  // The draft's "Authentication Requirements" steps 7 to 9.
  auto dmarc = co_await discover_dmarc(query, domain, suffixes);
  if (!dmarc_enforced(dmarc)) {
    part.subcheck.children.push_back(
        {State::warning,
         "BIMI: receivers show no logo, DMARC is not at enforcement (quarantine or reject, "
         "pct=100, sp not none)",
         {}});
  }
  co_return part;
}

}  // namespace mailprobe::probes
