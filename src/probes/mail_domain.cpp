#include "probes/mail_domain.hpp"

#include <algorithm>
#include <boost/asio/this_coro.hpp>

#include "core/duration_text.hpp"
#include "net/parallel.hpp"
#include "probes/dkim.hpp"
#include "probes/dmarc.hpp"
#include "probes/domain_part.hpp"
#include "probes/record_watch.hpp"
#include "probes/spf.hpp"
#include "protocol/dns_records.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::probes {

namespace {

using core::State;
using core::Subcheck;
using Status = net::DnsAnswer::Status;

// The MX records: watched for change like the others, and a null MX (RFC 7505) decides what
// the SPF record should say.
boost::asio::awaitable<DomainPart> look_up_mx(net::DnsQuery query, std::string domain,
                                              bool& null_mx) {
  DomainPart part;
  auto answer = co_await query(domain, net::dns_type::mx);
  if (!answer) {
    part.subcheck = {State::unknown, "MX: " + answer.failure().message, {}};
    part.all_secure = false;
    co_return part;
  }
  part.all_secure = answer->security == net::DnsSecurity::secure;
  if (answer->security == net::DnsSecurity::bogus) {
    part.subcheck = {State::critical, "MX: bogus (" + answer->why_bogus + ")", {}};
    co_return part;
  }
  if (answer->status == Status::nxdomain) {
    part.subcheck = {State::critical, "MX: the domain does not exist (NXDOMAIN)", {}};
    part.records.push_back({"MX " + domain, ""});
    co_return part;
  }
  std::vector<std::string> values;
  for (const auto& rdata : answer->records) {
    auto mx = protocol::parse_mx_rdata(rdata);
    if (!mx) continue;
    null_mx = null_mx || (mx->preference == 0 && mx->exchange.empty());
    values.push_back(std::to_string(mx->preference) + " " +
                     (mx->exchange.empty() ? std::string(".") : mx->exchange));
  }
  part.records.push_back({"MX " + domain, joined_records(values)});
  if (null_mx) {
    part.subcheck = {State::ok, "MX: null MX, the domain accepts no mail (RFC 7505)", {}};
  } else if (values.empty()) {
    part.subcheck = {State::ok, "MX: none, the domain's address is its implicit MX", {}};
  } else {
    part.subcheck = {State::ok, "MX: " + std::to_string(values.size()) + " records", {}};
  }
  co_return part;
}

// The SPF record read at the domain itself, from the SPF part's watched records.
std::optional<std::string> own_spf_record(const DomainPart& spf, const std::string& domain) {
  for (const auto& record : spf.records) {
    if (record.key == "TXT " + domain) return record.value;
  }
  return std::nullopt;
}

// RFC 7505 section 4.2: receivers SHOULD reject mail whose MAIL FROM domain has a null MX,
// so such a domain should say in SPF too that no host sends its mail ("v=spf1 -all").
Subcheck judge_null_mx(const DomainPart& spf, const std::string& domain) {
  auto record = own_spf_record(spf, domain);
  if (record && is_reject_all(*record)) {
    return {
        State::ok, "null MX and SPF 'v=spf1 -all': the domain neither takes nor sends mail", {}};
  }
  return {State::warning,
          "null MX, but SPF " +
              (record && !record->empty() ? "lets hosts send as the domain"
                                          : std::string("is missing")) +
              ": receivers reject its mail anyway (RFC 7505 section 4.2); publish 'v=spf1 -all'",
          {}};
}

std::string ago(std::int64_t now_ms, std::int64_t then_ms) {
  return core::format_duration(std::chrono::milliseconds(
             std::max<std::int64_t>(0, now_ms - then_ms) / 60000 * 60000)) +
         " ago";
}

// What changed within --changed-warn: a WARNING with old and new value in the long output.
void judge_changes(const MailDomainOptions& options, const std::vector<WatchedRecord>& records,
                   core::ProbeResult& result) {
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto watched = watch_records(options.state_file, options.domain, records, now_ms,
                               options.changed_warn.count());
  if (!watched) {
    result.subchecks.push_back({State::unknown, "changes: " + watched.failure().message, {}});
    return;
  }
  result.metrics.push_back(
      {"records_changed", static_cast<double>(watched->recent.size()), "", {}, {}, 0, {}});
  if (watched->first_seen == records.size() && watched->recent.empty()) {
    result.notes.push_back("first run with " + options.state_file + ": " +
                           std::to_string(records.size()) + " records kept to compare with");
    return;
  }
  if (watched->recent.empty()) return;
  Subcheck changes{State::warning,
                   std::to_string(watched->recent.size()) + " record change" +
                       (watched->recent.size() == 1 ? "" : "s") + " within " +
                       core::format_duration(options.changed_warn),
                   {}};
  for (const auto& change : watched->recent) {
    auto quote = [](const std::string& value) {
      return value.empty() ? std::string("(none)") : protocol::quoted(value, 200);
    };
    changes.children.push_back({State::warning,
                                change.key + " changed " + ago(now_ms, change.changed_ms) +
                                    ": was " + quote(change.old_value) + ", now " +
                                    quote(change.new_value),
                                {}});
  }
  result.subchecks.push_back(std::move(changes));
}

}  // namespace

boost::asio::awaitable<core::ProbeResult> probe_mail_domain(MailDomainOptions options,
                                                            core::Deadline deadline) {
  core::ProbeResult result;
  result.service = "DOMAIN";
  auto executor = co_await boost::asio::this_coro::executor;
  auto created = net::DnsResolver::create(executor, options.dns);
  if (!created) {
    result.fail(created.failure(), State::unknown);
    co_return result;
  }
  auto query = net::query_under(**created, deadline);

  // Every part at once: each is a handful of queries, all under the one deadline.
  std::vector<net::Task<DomainPart>> tasks;
  std::vector<std::string> names{"MX", "SPF", "DMARC"};
  bool null_mx = false;
  tasks.emplace_back([&]() -> boost::asio::awaitable<DomainPart> {
    co_return co_await look_up_mx(query, options.domain, null_mx);
  });
  // The parts' options are named objects moved in: GCC 12 destroys a braced temporary passed
  // by value to a coroutine twice.
  tasks.emplace_back([&]() -> boost::asio::awaitable<DomainPart> {
    SpfCheckOptions spf{options.domain, options.spf_ips, {}, {}};
    co_return co_await check_spf(query, std::move(spf));
  });
  tasks.emplace_back([&]() -> boost::asio::awaitable<DomainPart> {
    DmarcCheckOptions dmarc{options.domain, options.dmarc_policy, options.suffixes.get()};
    co_return co_await check_dmarc(query, std::move(dmarc));
  });
  for (const auto& selector : options.dkim_selectors) {
    names.push_back("DKIM " + selector);
    tasks.emplace_back([&query, &options, selector]() -> boost::asio::awaitable<DomainPart> {
      co_return co_await check_dkim_selector(query, options.domain, selector);
    });
  }
  tasks.emplace_back([&]() -> boost::asio::awaitable<DomainPart> {
    co_return co_await check_bimi(query, options.domain, options.suffixes.get());
  });
  names.emplace_back("BIMI");
  auto parts =
      co_await net::run_all<DomainPart>(std::move(tasks), [](std::size_t, const std::string& why) {
        DomainPart failed;
        failed.subcheck = {State::unknown, "internal error: " + why, {}};
        failed.all_secure = false;
        return failed;
      });

  std::vector<WatchedRecord> records;
  std::vector<std::string> unsigned_parts;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto& part = parts[i];
    if (!part.subcheck.summary.empty()) result.subchecks.push_back(part.subcheck);
    for (auto& metric : part.metrics)
      result.metrics.push_back(std::move(metric));
    records.insert(records.end(), part.records.begin(), part.records.end());
    if (!part.all_secure) unsigned_parts.push_back(names[i]);
  }
  if (null_mx) result.subchecks.push_back(judge_null_mx(parts[1], options.domain));
  // Reported, not judged: most domains are unsigned, and receivers accept them so.
  result.metrics.push_back({"dnssec_secure", unsigned_parts.empty() ? 1.0 : 0.0, "", {}, {}, 0, 1});
  std::string dnssec = "DNSSEC: every answer secure";
  if (!unsigned_parts.empty()) {
    dnssec = "DNSSEC: not secure: ";
    for (std::size_t i = 0; i < unsigned_parts.size(); ++i) {
      dnssec += (i > 0 ? ", " : "") + unsigned_parts[i];
    }
  }
  result.subchecks.push_back({State::ok, dnssec, {}});
  if (!options.state_file.empty()) judge_changes(options, records, result);
  // The first line: the domain and its policies; a part with a problem says it first.
  result.summary = options.domain;
  std::string separator = ": ";
  for (std::size_t i = 1; i < 3; ++i) {
    if (parts[i].subcheck.overall() != State::ok) continue;
    result.summary += separator + parts[i].subcheck.summary;
    separator = ", ";
  }
  if (!options.dkim_selectors.empty()) {
    auto n = options.dkim_selectors.size();
    result.summary += separator + std::to_string(n) + " DKIM selector" + (n == 1 ? "" : "s");
  }
  co_return result;
}

}  // namespace mailprobe::probes
