#include "probes/common.hpp"

#include <unistd.h>

#include <cmath>

#include "core/format.hpp"

namespace mailprobe::probes {

namespace {
using Clock = std::chrono::system_clock;

// Days are cut, not rounded: 364.999 days is "364 days" in the text and 364.99 in perfdata.
double floor_to(double value, double step) {
  return std::floor(value / step) * step;
}

double round_to(double value, double step) {
  return std::round(value / step) * step;
}

std::optional<core::Range> at_least(std::optional<double> days) {
  if (!days) return std::nullopt;
  auto parsed = core::Range::parse(core::format_number(*days) + ":");
  if (auto* range = std::get_if<core::Range>(&parsed)) return *range;
  return std::nullopt;
}

std::string whole_days(double days) {
  auto n = static_cast<long>(std::floor(days));
  return std::to_string(n) + (n == 1 ? " day" : " days");
}
}  // namespace

std::string local_host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

core::State default_state(core::FailureKind kind) {
  switch (kind) {
    case core::FailureKind::config:
    case core::FailureKind::internal:
      return core::State::unknown;
    case core::FailureKind::mismatch:
      return core::State::warning;
    default:
      return core::State::critical;
  }
}

void assess_tls(const net::TlsFacts& facts, const TlsPolicy& policy, core::ProbeResult& result) {
  if (!facts.verified) {
    std::string note = "certificate verification disabled (--insecure)";
    if (!facts.verify_problem.empty()) note += "; verification would fail: " + facts.verify_problem;
    result.notes.push_back(note);
  }
  if (facts.discarded_bytes > 0) {
    result.subchecks.push_back(
        {core::State::warning,
         "server sent " + std::to_string(facts.discarded_bytes) +
             " bytes before the TLS handshake; discarded (RFC 3207 section 4.2)",
         {}});
  }
  const auto* leaf = facts.leaf();
  const auto* earliest = facts.earliest_expiry();
  if (leaf == nullptr || earliest == nullptr) return;
  auto now = Clock::now();
  double leaf_days = leaf->days_left(now);
  double earliest_days = earliest->days_left(now);

  core::Metric leaf_metric{"cert_days",
                           floor_to(leaf_days, 0.01),
                           "",
                           at_least(policy.warning_days),
                           at_least(policy.critical_days),
                           std::nullopt,
                           std::nullopt};
  result.metrics.push_back(leaf_metric);
  if (earliest != leaf) {
    auto chain_metric = leaf_metric;
    chain_metric.name = "chain_days";
    chain_metric.value = floor_to(earliest_days, 0.01);
    result.metrics.push_back(chain_metric);
  }

  std::string who =
      earliest == leaf ? "certificate " + leaf->subject : "chain certificate " + earliest->subject;
  core::Subcheck check;
  check.summary = who + (earliest_days < 0 ? " expired " : " expires ") +
                  net::format_utc(earliest->not_after) + " (" +
                  (earliest_days < 0 ? whole_days(-earliest_days) + " ago"
                                     : "in " + whole_days(earliest_days)) +
                  ")";
  if (policy.ignore_expiration) {
    check.summary += ", expiry ignored";
  } else if (earliest_days < 0 || (policy.critical_days && earliest_days < *policy.critical_days)) {
    // Expired is critical whatever the thresholds say (unlike monitoring-plugins, which
    // lets an expired certificate pass when -D is not given).
    check.state = core::State::critical;
  } else if (policy.warning_days && earliest_days < *policy.warning_days) {
    check.state = core::State::warning;
  }
  check.children.push_back(
      {core::State::ok,
       facts.version + " " + facts.cipher + (facts.verified ? ", verified" : ""),
       {}});
  result.subchecks.push_back(std::move(check));
}

void assess_response_time(double seconds, const core::Thresholds& thresholds,
                          double timeout_seconds, core::ProbeResult& result) {
  result.metrics.insert(result.metrics.begin(),
                        core::Metric{"time", round_to(seconds, 0.000001), "s", thresholds.warning,
                                     thresholds.critical, 0.0, timeout_seconds});
  auto state = thresholds.evaluate(seconds);
  if (state != core::State::ok) {
    const auto& range = state == core::State::critical ? *thresholds.critical : *thresholds.warning;
    result.subchecks.push_back({state,
                                "response time " + core::format_number(seconds) + "s is " +
                                    range.violation(seconds) + " (" +
                                    (state == core::State::critical ? "-c" : "-w") + ")",
                                {}});
  }
}

core::Outcome<double> build_tls_context(const TlsPolicy& policy) {
  if (policy.mode == TlsMode::none || !policy.context) return 0.0;
  auto started = std::chrono::steady_clock::now();
  if (auto built = policy.context->build(); !built) return built.failure();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

void add_phase_metric(core::ProbeResult& result, const std::string& phase, double seconds) {
  result.add_timing(phase, seconds);
  result.metrics.push_back(
      {phase, round_to(seconds, 0.000001), "s", std::nullopt, std::nullopt, 0.0, std::nullopt});
}

}  // namespace mailprobe::probes
