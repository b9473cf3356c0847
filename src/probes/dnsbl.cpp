#include "probes/dnsbl.hpp"

#include <algorithm>
#include <boost/asio/this_coro.hpp>
#include <chrono>
#include <optional>
#include <utility>

#include "core/format.hpp"
#include "probes/dnsbl_parts.hpp"
#include "protocol/dns_records.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::probes {

namespace {

using core::State;
using dnsbl::Answer;
using dnsbl::Question;
using dnsbl::Target;
using protocol::DnsblVerdict;

constexpr std::size_t none = static_cast<std::size_t>(-1);

// One list: what its test entries and answers say, and where its questions are.
struct ListCheck {
  const protocol::DnsblList* list = nullptr;
  DnsblListState state = DnsblListState::ok;
  std::string problem;                  // why it is not used, one line without the zone
  std::size_t listed = none;            // question of the entry that must be listed
  std::size_t unlisted = none;          // ... and of the one that must not
  std::vector<std::size_t> per_target;  // question per target, none when not asked
  std::vector<std::string> unanswered;  // targets whose query failed
  std::string first_failure;
};

// A listing of one target on one list.
struct Listing {
  std::size_t list = 0;
  protocol::DnsblAnswer answer;
  std::size_t reason_question = none;
};

bool applies(const protocol::DnsblList& list, const Target& target) {
  return (list.kind == protocol::DnsblKind::domain) == target.domain;
}

std::optional<std::string> query_name(const protocol::DnsblList& list, const std::string& value,
                                      bool domain) {
  return domain ? protocol::dnsbl_domain_query(value, list.zone)
                : protocol::dnsbl_address_query(value, list.zone);
}

std::string with_origin(const Target& target) {
  return target.origin.empty() ? target.value : target.value + " (" + target.origin + ")";
}

void set_problem(ListCheck& check, DnsblListState state, std::string problem) {
  if (check.state != DnsblListState::ok) return;  // the first problem says it
  check.state = state;
  check.problem = std::move(problem);
}

// A refused or invalid answer makes the whole list unusable, wherever it came.
bool judge_error_answer(ListCheck& check, const protocol::DnsblAnswer& answer,
                        const std::string& asked) {
  auto codes = protocol::dnsbl_codes_text(answer);
  if (answer.verdict == DnsblVerdict::refused) {
    set_problem(check, DnsblListState::refused,
                answer.meaning + " (answered " + codes + " for " + asked + ")");
    return true;
  }
  if (answer.verdict == DnsblVerdict::invalid) {
    set_problem(check, DnsblListState::invalid,
                "answered " + codes + " for " + asked +
                    ": outside 127.0.0.0/8, not a blocklist answer (a resolver that rewrites "
                    "NXDOMAIN, or a wildcard?)");
    return true;
  }
  return false;
}

// RFC 5782 section 5: a list that lists 127.0.0.1 (INVALID) lists everything; one that does
// not list 127.0.0.2 (TEST) is gone or is no DNSBL. Clients SHOULD NOT use either.
void judge_test_entries(ListCheck& check, const std::vector<Answer>& answers) {
  auto entries = protocol::dnsbl_test_entries(check.list->kind);
  for (auto [index, entry] :
       {std::pair{check.unlisted, entries.unlisted}, std::pair{check.listed, entries.listed}}) {
    if (index == none) continue;
    const auto& answer = answers[index];
    if (!answer) {
      set_problem(check, DnsblListState::unreachable, answer.failure().message);
      return;
    }
    if (answer->security == net::DnsSecurity::bogus) {
      set_problem(check, DnsblListState::unreachable,
                  "its answers are DNSSEC-bogus (" + answer->why_bogus + ")");
      return;
    }
    auto classified = protocol::classify_dnsbl_answer(*check.list, answer->records);
    if (judge_error_answer(check, classified, "its test entry " + entry)) return;
    bool listed = classified.verdict == DnsblVerdict::listed ||
                  classified.verdict == DnsblVerdict::other_code;
    if (index == check.unlisted && listed) {
      set_problem(check, DnsblListState::wildcard,
                  "lists " + entry + " (answered " + protocol::dnsbl_codes_text(classified) +
                      "), which no list may (RFC 5782 section 5): it lists everything");
      return;
    }
    if (index == check.listed && !listed) {
      set_problem(check, DnsblListState::dead,
                  "does not list its test entry " + entry +
                      " (RFC 5782 section 5): the list is gone or is no DNSBL (no-test-entry in "
                      "the lists file if it never had one)");
      return;
    }
  }
}

std::string reason_of(const Answer& answer) {
  if (!answer || answer->records.empty()) return {};
  std::string reason;
  for (const auto& rdata : answer->records) {
    if (auto txt = protocol::parse_txt_rdata(rdata)) reason += (reason.empty() ? "" : " ") + *txt;
  }
  return reason.empty() ? reason : protocol::quoted(reason, 160);
}

State threshold_state(const DnsblOptions& options, std::size_t count) {
  if (count >= static_cast<std::size_t>(options.critical)) return State::critical;
  if (options.warning && count >= static_cast<std::size_t>(*options.warning)) {
    return State::warning;
  }
  return State::ok;
}

core::Metric value_metric(std::string name, double value) {
  return core::Metric{std::move(name), value, "", {}, {}, {}, {}};
}

}  // namespace

boost::asio::awaitable<core::ProbeResult> probe_dnsbl_with(const DnsblOptions& options,
                                                           const net::DnsQuery& query) {
  core::ProbeResult result;
  result.service = "DNSBL";
  auto started = std::chrono::steady_clock::now();
  auto* transcript = options.transcript ? &result.transcript : nullptr;
  auto set = co_await dnsbl::collect_targets(options, query, transcript);
  result.notes = set.notes;
  for (const auto& problem : set.problems)
    result.subchecks.push_back({State::unknown, problem, {}});
  const auto& targets = set.targets;

  // Every test entry and every target on every list at once.
  std::vector<Question> questions;
  std::vector<ListCheck> checks(options.lists.size());
  for (std::size_t i = 0; i < options.lists.size(); ++i) {
    auto& check = checks[i];
    check.list = &options.lists[i];
    auto entries = protocol::dnsbl_test_entries(check.list->kind);
    bool domain = check.list->kind == protocol::DnsblKind::domain;
    auto listed = query_name(*check.list, entries.listed, domain);
    auto unlisted = query_name(*check.list, entries.unlisted, domain);
    check.per_target.assign(targets.size(), none);
    if (!listed || !unlisted) {  // the lists file keeps zones shorter; never trusted blindly
      set_problem(check, DnsblListState::invalid, "the zone is too long for its queries");
      continue;
    }
    if (check.list->test_entry) {
      check.listed = questions.size();
      questions.push_back({*listed, net::dns_type::a});
    }
    check.unlisted = questions.size();
    questions.push_back({*unlisted, net::dns_type::a});
    for (std::size_t t = 0; t < targets.size(); ++t) {
      if (!applies(*check.list, targets[t])) continue;
      auto name = query_name(*check.list, targets[t].value, targets[t].domain);
      if (!name) {
        check.unanswered.push_back(targets[t].value);
        check.first_failure = "the query name is over 253 characters";
        continue;
      }
      check.per_target[t] = questions.size();
      questions.push_back({*name, net::dns_type::a});
    }
  }
  auto answers = co_await dnsbl::ask_all(questions, query, transcript);

  // The lists, then what each says of each target; TXT reasons for the listings.
  std::vector<std::vector<Listing>> listings(targets.size());
  std::vector<std::vector<std::string>> other_codes(targets.size());
  std::vector<std::vector<bool>> answered(targets.size(), std::vector<bool>(checks.size()));
  std::vector<Question> reasons;
  for (std::size_t i = 0; i < checks.size(); ++i) {
    auto& check = checks[i];
    judge_test_entries(check, answers);
    std::vector<std::pair<std::size_t, protocol::DnsblAnswer>> found;
    std::vector<std::pair<std::size_t, std::string>> others;
    for (std::size_t t = 0; t < targets.size(); ++t) {
      auto index = check.per_target[t];
      if (index == none) continue;
      const auto& answer = answers[index];
      if (!answer || answer->security == net::DnsSecurity::bogus) {
        if (check.first_failure.empty()) {
          check.first_failure =
              answer ? "DNSSEC-bogus (" + answer->why_bogus + ")" : answer.failure().message;
        }
        check.unanswered.push_back(targets[t].value);
        continue;
      }
      auto classified = protocol::classify_dnsbl_answer(*check.list, answer->records);
      if (judge_error_answer(check, classified, targets[t].value)) continue;
      answered[t][i] = true;
      if (classified.verdict == DnsblVerdict::listed) {
        found.emplace_back(t, std::move(classified));
      } else if (classified.verdict == DnsblVerdict::other_code) {
        others.emplace_back(t, check.list->zone + " answered " +
                                   protocol::dnsbl_codes_text(classified) +
                                   ", not a listing code of the lists file");
      }
    }
    if (check.state != DnsblListState::ok) continue;
    for (auto& [t, text] : others)
      other_codes[t].push_back(std::move(text));
    for (auto& [t, classified] : found) {
      listings[t].push_back({i, std::move(classified), reasons.size()});
      // RFC 5782 section 2.1: a TXT record at the same name says why.
      reasons.push_back({questions[check.per_target[t]].name, net::dns_type::txt});
    }
  }
  auto reason_answers = co_await dnsbl::ask_all(reasons, query, transcript);

  // One line per target: on how many lists, and each listing with its reason.
  std::size_t most = 0;
  std::size_t addresses = 0;
  std::vector<std::string> unchecked;
  for (std::size_t t = 0; t < targets.size(); ++t) {
    const auto& target = targets[t];
    if (!target.domain) ++addresses;
    std::size_t lists_asked = 0;
    for (std::size_t i = 0; i < checks.size(); ++i) {
      if (answered[t][i] && checks[i].state == DnsblListState::ok) ++lists_asked;
    }
    if (lists_asked == 0) {
      unchecked.push_back(target.value);
      continue;
    }
    auto count = listings[t].size();
    most = std::max(most, count);
    core::Subcheck line;
    line.state = threshold_state(options, count);
    line.summary = with_origin(target) + " is on " +
                   (count == 0 ? std::string("none") : std::to_string(count)) + " of " +
                   std::to_string(lists_asked) + (lists_asked == 1 ? " list" : " lists");
    for (const auto& listing : listings[t]) {
      auto text = target.value + " is on " + checks[listing.list].list->zone + ": " +
                  protocol::dnsbl_codes_text(listing.answer);
      if (!listing.answer.meaning.empty()) text += " (" + listing.answer.meaning + ")";
      auto reason = reason_of(reason_answers[listing.reason_question]);
      if (!reason.empty()) text += " " + reason;
      line.children.push_back({line.state, std::move(text), {}});
    }
    for (auto& other : other_codes[t])
      line.children.push_back({State::ok, std::move(other), {}});
    result.subchecks.push_back(std::move(line));
  }

  // One line per list, then the metrics.
  for (const auto& check : checks) {
    const auto& zone = check.list->zone;
    core::Subcheck line;
    if (check.state == DnsblListState::ok) {
      auto entries = protocol::dnsbl_test_entries(check.list->kind);
      line.summary = zone + ": test entries answered correctly (" +
                     (check.list->test_entry ? entries.listed + " listed, " : std::string()) +
                     entries.unlisted + " not)";
    } else {
      line.state = State::unknown;
      line.summary = zone + ": " + check.problem + "; its answers do not count";
    }
    // A list that is not used says why once; its queries about the targets do not matter.
    if (!check.unanswered.empty() && check.state == DnsblListState::ok) {
      line.children.push_back(
          {State::unknown,
           zone + ": no answer about " + check.unanswered.front() +
               (check.unanswered.size() > 1
                    ? " and " + std::to_string(check.unanswered.size() - 1) + " more"
                    : std::string()) +
               ": " + check.first_failure,
           {}});
    }
    result.subchecks.push_back(std::move(line));
  }
  // After the lists: why they could not be checked comes first.
  if (!unchecked.empty()) {
    result.subchecks.push_back(
        {State::unknown,
         "not checked, no list answered correctly: " + unchecked.front() +
             (unchecked.size() > 1 ? " and " + std::to_string(unchecked.size() - 1) + " more"
                                   : std::string()),
         {}});
  }
  core::Metric listings_metric = value_metric("listings", static_cast<double>(most));
  listings_metric.critical = core::Range::upper(options.critical - 1);
  if (options.warning) listings_metric.warning = core::Range::upper(*options.warning - 1);
  listings_metric.min = 0;
  result.metrics.push_back(std::move(listings_metric));
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const auto& zone = checks[i].list->zone;
    result.metrics.push_back(
        value_metric(core::target_metric_name(zone, dnsbl_whole_list, "list_state"),
                     static_cast<double>(checks[i].state)));
    if (checks[i].state != DnsblListState::ok) continue;
    for (std::size_t t = 0; t < targets.size(); ++t) {
      if (!answered[t][i]) continue;
      bool listed = std::any_of(listings[t].begin(), listings[t].end(),
                                [&](const Listing& listing) { return listing.list == i; });
      result.metrics.push_back(
          value_metric(core::target_metric_name(zone, targets[t].value, "listed"), listed ? 1 : 0));
    }
  }

  auto seconds = core::seconds(std::chrono::steady_clock::now() - started);
  auto domains = targets.size() - addresses;
  if (targets.empty()) {
    result.state = State::unknown;
    result.summary = "nothing to check" +
                     (set.notes.empty() ? std::string(": no address") : ": " + set.notes.front());
  } else {
    auto counted = [](std::size_t n, const char* one, const char* many) {
      return std::to_string(n) + " " + (n == 1 ? one : many);
    };
    std::string what = addresses > 0 ? counted(addresses, "address", "addresses") : "";
    if (domains > 0) what += (what.empty() ? "" : " and ") + counted(domains, "domain", "domains");
    result.summary = what + " on " + counted(checks.size(), "list", "lists") + " in " +
                     core::format_number(seconds, 3) + " s";
  }
  result.metrics.push_back({"time", seconds, "s", {}, {}, 0, {}});
  co_return result;
}

boost::asio::awaitable<core::ProbeResult> probe_dnsbl(DnsblOptions options,
                                                      core::Deadline deadline) {
  auto executor = co_await boost::asio::this_coro::executor;
  auto created = net::DnsResolver::create(executor, options.dns);
  if (!created) {
    core::ProbeResult result;
    result.service = "DNSBL";
    result.fail(created.failure(), State::unknown);
    co_return result;
  }
  co_return co_await probe_dnsbl_with(options, net::query_under(**created, deadline));
}

}  // namespace mailprobe::probes
