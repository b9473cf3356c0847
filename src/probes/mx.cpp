#include "probes/mx.hpp"

#include <boost/asio/this_coro.hpp>

#include "core/format.hpp"
#include "net/parallel.hpp"
#include "probes/mx_parts.hpp"

namespace mailprobe::probes {

namespace {

using core::State;
using mx::Host;
using mx::Session;
using Target = std::pair<std::string, std::string>;  // host, address

// Every address's session at once, each under the check's deadline.
boost::asio::awaitable<std::vector<Session>> talk_to_all(const std::vector<Target>& targets,
                                                         const MxOptions& options,
                                                         core::Deadline deadline,
                                                         std::vector<std::string>* transcript) {
  std::vector<net::Task<Session>> tasks;
  tasks.reserve(targets.size());
  for (const auto& target : targets) {
    tasks.emplace_back([&, target]() -> boost::asio::awaitable<Session> {
      // One transcript would interleave the sessions: only a lone one is recorded.
      co_return co_await mx::talk_to(target.first, target.second, options, deadline,
                                     targets.size() == 1 ? transcript : nullptr);
    });
  }
  co_return co_await net::run_all<Session>(
      std::move(tasks), [&](std::size_t i, const std::string& why) {
        Session failed;  // a fault of ours: said, never silent
        failed.host = targets[i].first;
        failed.address = targets[i].second;
        failed.failure = core::Failure{"mx", core::FailureKind::internal, why};
        return failed;
      });
}

}  // namespace

boost::asio::awaitable<core::ProbeResult> probe_mx(MxOptions options, core::Deadline deadline) {
  core::ProbeResult result;
  result.service = "MX";
  auto executor = co_await boost::asio::this_coro::executor;
  auto started = std::chrono::steady_clock::now();
  auto created = net::DnsResolver::create(executor, options.dns);
  if (!created) {
    result.fail(created.failure(), State::unknown);
    co_return result;
  }
  auto& dns = **created;
  auto set = co_await mx::look_up(dns, options, deadline);
  if (!set) {
    // Our resolver could not say: UNKNOWN when it was our own limit, CRITICAL when the
    // domain's DNS answered with an error that senders get too.
    bool ours = set.failure().kind == core::FailureKind::timeout ||
                set.failure().kind == core::FailureKind::config;
    result.fail(set.failure(), ours ? State::unknown : State::critical);
    co_return result;
  }
  if (!mx::judge_mx_records(*set, options, result)) co_return result;  // nothing to probe
  auto sts = co_await mx::mta_sts(dns, options, deadline);
  auto rpt = co_await mx::tls_rpt(dns, options, deadline);

  std::vector<Target> targets;
  std::size_t total = 0;
  for (const auto& host : set->hosts) {
    mx::judge_host(host, options, sts, result);
    for (const auto& address : host.addresses) {
      ++total;
      if (targets.size() < options.max_addresses) targets.emplace_back(host.name, address);
    }
  }
  if (total > targets.size()) {
    result.notes.push_back("probed " + std::to_string(targets.size()) + " of " +
                           std::to_string(total) + " addresses (--max-addresses)");
  }
  if (!set->not_looked_up.empty()) {
    auto hosts = set->hosts.size() + set->not_looked_up.size();
    result.notes.push_back(
        "looked up the first " + std::to_string(set->hosts.size()) + " of " +
        std::to_string(hosts) + " MX hosts, up to " + std::to_string(options.max_addresses) +
        " addresses (--max-addresses); not looked up: " + set->not_looked_up.front() +
        (set->not_looked_up.size() > 1
             ? " and " + std::to_string(set->not_looked_up.size() - 1) + " more"
             : std::string()));
  }
  auto sessions = co_await talk_to_all(targets, options, deadline,
                                       options.transcript ? &result.transcript : nullptr);
  for (const auto& session : sessions) {
    const Host* host = nullptr;
    for (const auto& candidate : set->hosts) {
      if (candidate.name == session.host) host = &candidate;
    }
    if (host == nullptr) continue;
    std::optional<DaneState> dane_verdict;
    auto line = mx::judge_session(session, *host, options, sts, result, dane_verdict);
    auto dane = mx::dane_from_dns(*host);
    if (!dane) dane = dane_verdict;
    auto mta_sts = mx::sts_state(sts, *host);
    // Senders refuse an address also for what DNS says of its host.
    bool refused = line.overall() == State::critical || dane == DaneState::unavailable ||
                   dane == DaneState::bogus || mta_sts == MxStsState::enforce_unlisted;
    auto add = [&](std::string_view series, double value) {
      result.metrics.push_back({core::target_metric_name(session.host, session.address, series),
                                value,
                                "",
                                {},
                                {},
                                {},
                                {}});
    };
    add("up", refused ? 0 : 1);
    // No handshake where DANE applies: neither matched nor mismatch, so no value.
    if (dane) add("dane", static_cast<double>(*dane));
    add("mta_sts", static_cast<double>(mta_sts));
    result.subchecks.push_back(std::move(line));
  }
  mx::judge_policies(sts, rpt, options, result);
  if (result.summary.empty()) {
    result.summary =
        std::to_string(set->hosts.size()) + (set->hosts.size() == 1 ? " MX, " : " MXes, ") +
        std::to_string(targets.size()) + (targets.size() == 1 ? " address" : " addresses") +
        " in " + core::format_number(core::seconds(std::chrono::steady_clock::now() - started), 3) +
        " s";
  }
  result.metrics.push_back(
      {"time", core::seconds(std::chrono::steady_clock::now() - started), "s", {}, {}, 0, {}});
  co_return result;
}

}  // namespace mailprobe::probes
