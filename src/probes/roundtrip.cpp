#include "probes/roundtrip.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/format.hpp"
#include "probes/roundtrip_run.hpp"

namespace mailprobe::probes {

namespace asio = boost::asio;
using roundtrip::Arrival;
using roundtrip::Clock;
using roundtrip::Run;

std::string roundtrip_check_key(const RoundTripOptions& options) {
  return options.to + "|" + options.receive_credentials.user + "@" + options.receive.host + ":" +
         std::to_string(options.receive.port) + "/" + options.mailbox +
         (options.reflector ? "|reflector" : "");
}

namespace {

std::string seconds_text(double seconds) {
  return core::format_number(seconds, 3) + " s";
}

core::Metric metric(std::string name, double value, std::string unit) {
  return {std::move(name), value, std::move(unit), std::nullopt, std::nullopt, 0.0, std::nullopt};
}

void report(Run& run, int lost, const std::vector<StoredProbe>& outstanding) {
  auto& result = run.result;
  const auto& options = run.options;
  auto now_ms = unix_ms(std::chrono::system_clock::now());
  result.metrics.push_back(
      {"send_ok", run.send_ok ? 100.0 : 0.0, "%", std::nullopt, std::nullopt, 0.0, 100.0});
  result.metrics.push_back(
      {"receive_ok", run.receive_ok ? 100.0 : 0.0, "%", std::nullopt, std::nullopt, 0.0, 100.0});
  result.metrics.push_back(metric("outstanding", static_cast<double>(outstanding.size()), ""));
  result.metrics.push_back(metric("lost", lost, ""));

  const Arrival* own = nullptr;
  int late = 0;
  for (const auto& arrival : run.arrivals) {
    if (arrival.this_run) own = &arrival;
    if (arrival.late) ++late;
  }
  if (own != nullptr) {
    result.metrics.push_back({"rtt", own->rtt_seconds, "s", options.rtt.warning,
                              options.rtt.critical, 0.0, std::nullopt});
    if (own->outbound_seconds)
      result.metrics.push_back(metric("outbound", *own->outbound_seconds, "s"));
    if (own->inbound_seconds)
      result.metrics.push_back(metric("inbound", *own->inbound_seconds, "s"));
  }
  result.metrics.push_back(metric("late", late, ""));

  // The headline.
  if (own != nullptr) {
    result.summary =
        "round trip " + seconds_text(own->rtt_seconds) + " (" + run.receive_method + ")";
    if (own->outbound_seconds && own->inbound_seconds) {
      result.summary += ", out " + seconds_text(*own->outbound_seconds) + " and in " +
                        seconds_text(*own->inbound_seconds) + " by two clocks";
    }
  } else if (run.send_ok && run.receive_ok) {
    result.summary =
        "sent; not arrived within " + seconds_text(options.wait_seconds) + " (outstanding)";
  } else if (!run.send_ok && run.receive_ok) {
    result.summary = "the test message could not be sent";
  } else if (run.send_ok) {
    result.summary = "sent, but the mailbox could not be read";
  } else {
    result.summary = "neither sending nor receiving works";
  }

  // Every arrival is judged by the thresholds, this run's and earlier ones'.
  for (const auto& arrival : run.arrivals) {
    core::Subcheck check;
    check.state = options.rtt.evaluate(arrival.rtt_seconds);
    std::string who = arrival.this_run ? "this run's probe" : "probe " + arrival.id.substr(0, 8);
    if (options.reflector) who.insert(0, "the reflection of ");
    check.summary = who + " arrived";
    if (arrival.junk) check.summary += " in " + options.junk_folder;
    check.summary += " after " + seconds_text(arrival.rtt_seconds) +
                     (arrival.precise ? "" : " (from the server's arrival date)");
    if (arrival.late) {
      check.summary += ", after it had been declared lost";
      check.state = core::worse(check.state, core::State::warning);
    }
    if (arrival.junk) {
      check.summary += ": filed as junk";
      check.state = core::worse(check.state, options.junk_state);
    }
    result.subchecks.push_back(check);
  }
  if (lost > 0) {
    result.subchecks.push_back({core::State::critical,
                                std::to_string(lost) + (lost == 1 ? " probe" : " probes") +
                                    " lost: not arrived within " +
                                    seconds_text(options.lost_after_seconds),
                                {}});
  }
  // A probe still on its way longer than the thresholds allow is slow already.
  for (const auto& probe : outstanding) {
    if (probe.id == run.probe_id) continue;
    double age = static_cast<double>(now_ms - probe.sent_ms) / 1000.0;
    auto state = options.rtt.evaluate(age);
    if (state == core::State::ok) continue;
    result.subchecks.push_back(
        {state,
         "probe " + probe.id.substr(0, 8) + " sent " + seconds_text(age) + " ago has not arrived",
         {}});
  }
  if (run.foreign > 0) {
    result.notes.push_back(std::to_string(run.foreign) +
                           " genuine probe(s) of another check or location left in the mailbox");
  }
}

}  // namespace

asio::awaitable<core::ProbeResult> probe_roundtrip(RoundTripOptions options,
                                                   core::Deadline deadline) {
  core::ProbeResult result;
  result.service = "ROUNDTRIP";
  auto busy_ms = static_cast<int>(std::min<double>(
      5000, std::chrono::duration<double, std::milli>(deadline.remaining()).count() / 4));
  auto state = RoundTripState::open(options.state_file, roundtrip_check_key(options), busy_ms);
  if (!state) {
    result.fail(state.failure(), core::State::unknown);
    co_return result;
  }
  auto now = std::chrono::system_clock::now();
  auto lost_after =
      std::chrono::milliseconds(static_cast<std::int64_t>(options.lost_after_seconds * 1000));
  // Before anything else: what has been on its way too long is lost, and stays counted
  // in this run even if this run's own probe arrives at once.
  auto lost = state->declare_lost(unix_ms(now - lost_after), unix_ms(now));
  if (!lost) {
    result.fail(lost.failure(), core::State::unknown);
    co_return result;
  }

  auto executor = co_await asio::this_coro::executor;
  Run run(options, *state, result, deadline, executor);
  if (options.protocol == ReceiveProtocol::imap) {
    // The IMAP side starts the sending half itself once it is listening.
    co_await roundtrip::receive_imap(run, options.secret);
  } else if (options.protocol == ReceiveProtocol::graph) {
    // So does Graph's, once it has counted what the mailbox held before.
    co_await roundtrip::receive_graph(run, options.secret);
  } else {
    co_await roundtrip::send_probe(run, options.secret);
    if (run.send_ok) co_await roundtrip::receive_pop3(run, options.secret);
  }
  if (!run.send_done) {
    co_await run.send_finished.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (!run.send_ok || !run.receive_ok) {
    result.state = core::State::critical;
  }
  auto outstanding = state->outstanding();
  state->prune(unix_ms(std::chrono::system_clock::now() - std::chrono::hours(24 * 30)));
  report(run, *lost, outstanding ? *outstanding : std::vector<StoredProbe>{});
  co_return result;
}

}  // namespace mailprobe::probes
