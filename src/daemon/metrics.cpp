#include "daemon/metrics.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "daemon/metrics_dnsbl.hpp"
#include "output/prometheus.hpp"
#include "probes/mx.hpp"

namespace mailprobe::daemon {

namespace {

const core::Metric* find(const std::vector<core::Metric>& metrics, const std::string& name) {
  for (const auto& metric : metrics) {
    if (metric.name == name) return &metric;
  }
  return nullptr;
}

bool is_phase(const std::string& name) {
  return name == "time" || name == "connect" || name == "tls" || name == "banner" ||
         name == "auth" || name == "token";
}

// A state set (OpenMetrics): one sample per state, 1 for the current one.
template <std::size_t N>
void add_state_set(output::PrometheusText& out, const std::string& family,
                   const output::Labels& labels, const std::array<std::string_view, N>& names,
                   double index) {
  for (std::size_t i = 0; i < N; ++i) {
    auto with_state = labels;
    with_state.emplace_back("state", std::string(names[i]));
    out.sample(family, with_state, static_cast<double>(i) == index ? 1 : 0);
  }
}

// A value of one MX address (check_mx): series of their own with mx and address labels.
void add_target_sample(output::PrometheusText& out, const output::Labels& check_labels,
                       const core::TargetMetricName& target, const core::Metric& metric,
                       std::chrono::system_clock::time_point measured_at) {
  if (add_dnsbl_sample(out, check_labels, target, metric)) return;  // check_dnsbl's
  auto labels = check_labels;
  labels.emplace_back("mx", target.host);
  labels.emplace_back("address", target.address);
  const auto& series = target.series;
  if (series == "up") {
    out.sample("mailprobe_mx_success", labels, metric.value);
  } else if (series == "dane") {
    add_state_set(out, "mailprobe_mx_dane_state", labels, probes::dane_state_names, metric.value);
  } else if (series == "mta_sts") {
    add_state_set(out, "mailprobe_mx_mta_sts_mode", labels, probes::sts_state_names, metric.value);
  } else if (series == "cert_days") {
    out.sample("mailprobe_mx_cert_expiry_timestamp_seconds", labels,
               std::chrono::duration<double>(measured_at.time_since_epoch()).count() +
                   metric.value * 86400);
  } else if (is_phase(series) && metric.unit == "s") {
    labels.emplace_back("phase", series);
    out.sample("mailprobe_mx_phase_duration_seconds", labels, metric.value);
  } else {
    labels.emplace_back("name", series);
    labels.emplace_back("unit", metric.unit);
    out.sample("mailprobe_result_value", labels, metric.value);
  }
}

}  // namespace

const std::vector<double>& Metrics::roundtrip_buckets() {
  static const std::vector<double> buckets{0.05, 0.1, 0.25, 0.5, 1,   2.5, 5,
                                           10,   30,  60,   120, 300, 600};
  return buckets;
}

void Metrics::observe(const CheckRuntime& check) {
  auto& totals = totals_[check.config.name];
  ++totals.runs;
  if (check.status.state == core::State::critical || check.status.state == core::State::unknown) {
    ++totals.failures;
  }
  const auto& metrics = check.last_result.metrics;
  if (const auto* rtt = find(metrics, "rtt")) totals.rtt.observe(rtt->value);
  if (const auto* lost = find(metrics, "lost")) totals.lost += lost->value;
  if (const auto* late = find(metrics, "late")) totals.late += late->value;
}

void declare_result_families(output::PrometheusText& out) {
  out.family("probe_success", "gauge",
             "Whether the check's last run found the service working (OK or WARNING)");
  out.family("probe_duration_seconds", "gauge", "How long the check's last run took");
  out.family("mailprobe_check_state", "gauge",
             "The check's state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN");
  out.family("mailprobe_phase_duration_seconds", "gauge",
             "Duration of one phase of the check's last run (connect, tls, banner, auth)");
  out.family("probe_ssl_earliest_cert_expiry", "gauge",
             "When the first certificate of the server's chain expires (Unix time)");
  out.family("mailprobe_roundtrip_send_ok_ratio", "gauge",
             "Ability to send: 1 when the last test message was accepted by SMTP");
  out.family("mailprobe_roundtrip_receive_ok_ratio", "gauge",
             "Ability to receive: 1 when the last run could read the mailbox");
  out.family("mailprobe_roundtrip_outstanding_messages", "gauge",
             "Test messages sent and not arrived yet");
  out.family("mailprobe_roundtrip_leg_seconds", "gauge",
             "Reflector legs of the last round trip (two clocks each)");
  out.family("mailprobe_mail_queue_messages", "gauge", "Messages in the mail queue (check_mailq)");
  out.family("mailprobe_mx_success", "gauge",
             "check_mx: 1 when senders can deliver to this MX address (its state is not "
             "CRITICAL)");
  out.family("mailprobe_mx_dane_state", "gauge",
             "check_mx: DANE at this MX address (none, insecure, unusable, matched, mismatch, "
             "bogus, unavailable); 1 for the current state");
  out.family("mailprobe_mx_mta_sts_mode", "gauge",
             "check_mx: the MTA-STS mode senders apply to this MX (none, testing, enforce; "
             "_unlisted when the policy does not list it); 1 for the current state");
  out.family("mailprobe_mx_cert_expiry_timestamp_seconds", "gauge",
             "check_mx: when the certificate of this MX address expires (Unix time)");
  out.family("mailprobe_mx_phase_duration_seconds", "gauge",
             "check_mx: duration of one phase (connect, banner, tls) at this MX address");
  declare_dnsbl_families(out);
  declare_domain_families(out);
  out.family("mailprobe_result_value", "gauge",
             "Any other value a check measured, by name and unit");
}

void add_result_samples(output::PrometheusText& out, const output::Labels& labels,
                        core::State state, double duration_seconds,
                        const std::vector<core::Metric>& metrics,
                        std::chrono::system_clock::time_point measured_at) {
  out.sample("probe_success", labels,
             state == core::State::ok || state == core::State::warning ? 1 : 0);
  out.sample("probe_duration_seconds", labels, duration_seconds);
  out.sample("mailprobe_check_state", labels, static_cast<double>(static_cast<int>(state)));
  double earliest_days = 1e18;
  bool have_days = false;
  bool roundtrip = find(metrics, "send_ok") != nullptr;
  for (const auto& metric : metrics) {
    if (auto target = core::parse_target_metric_name(metric.name)) {
      add_target_sample(out, labels, *target, metric, measured_at);
      if (target->series == "cert_days") {  // the check's earliest expiry covers every MX
        earliest_days = std::min(earliest_days, metric.value);
        have_days = true;
      }
    } else if (is_phase(metric.name) && metric.unit == "s") {
      auto with_phase = labels;
      with_phase.emplace_back("phase", metric.name);
      out.sample("mailprobe_phase_duration_seconds", with_phase, metric.value);
    } else if (metric.name == "cert_days" || metric.name == "chain_days") {
      earliest_days = std::min(earliest_days, metric.value);
      have_days = true;
    } else if (roundtrip && (metric.name == "send_ok" || metric.name == "receive_ok")) {
      out.sample("mailprobe_roundtrip_" + metric.name + "_ratio", labels, metric.value / 100);
    } else if (roundtrip && metric.name == "outstanding") {
      out.sample("mailprobe_roundtrip_outstanding_messages", labels, metric.value);
    } else if (roundtrip && (metric.name == "outbound" || metric.name == "inbound")) {
      auto with_leg = labels;
      with_leg.emplace_back("leg", metric.name);
      out.sample("mailprobe_roundtrip_leg_seconds", with_leg, metric.value);
    } else if (roundtrip &&
               (metric.name == "rtt" || metric.name == "lost" || metric.name == "late")) {
      // accumulated by Metrics::observe: a histogram and counters
    } else if (metric.name == "unsent") {
      out.sample("mailprobe_mail_queue_messages", labels, metric.value);
    } else if (!add_domain_sample(out, labels, metric)) {  // else check_mail_domain's own
      auto with_name = labels;
      with_name.emplace_back("name", metric.name);
      with_name.emplace_back("unit", metric.unit);
      out.sample("mailprobe_result_value", with_name, metric.value);
    }
  }
  if (have_days) {
    // From the run, not from the scrape: the expiry must not move on between runs.
    auto expiry = std::chrono::duration<double>(measured_at.time_since_epoch()).count() +
                  earliest_days * 86400;
    out.sample("probe_ssl_earliest_cert_expiry", labels, expiry);
  }
}

asio::awaitable<std::string> Metrics::exposition(
    std::vector<std::shared_ptr<CheckRuntime>> checks, std::string location,
    Histogram scheduler_lag, std::uint64_t history_write_errors,
    std::map<std::pair<std::string, std::string>, std::uint64_t> notifications) const {
  output::PrometheusText out;
  out.family("mailprobe_build_info", "gauge", "mailprobe's version, as a label; always 1");
  out.sample("mailprobe_build_info", {{"version", MAILPROBE_VERSION}}, 1);
  out.family("mailprobe_scheduler_lag_seconds", "histogram",
             "How late scheduled runs began against their planned time (a wait for one of "
             "the max_concurrent slots included)");
  out.histogram("mailprobe_scheduler_lag_seconds", {}, scheduler_lag.cumulative(),
                scheduler_lag.sum(), scheduler_lag.count());
  out.family("mailprobe_scheduler_lag_max_seconds", "gauge",
             "The latest a scheduled run began against its planned time since the daemon "
             "started");
  out.sample("mailprobe_scheduler_lag_max_seconds", {}, scheduler_lag.max());
  out.family("mailprobe_history_write_errors_total", "counter",
             "Results or state changes that could not be stored in the history database");
  out.sample("mailprobe_history_write_errors_total", {}, static_cast<double>(history_write_errors));
  out.family("mailprobe_notifications_total", "counter",
             "Notifications by channel (webhook, command, email) and result (sent, or failed "
             "after every retry)");
  for (const char* channel : {"webhook", "command", "email"}) {
    for (const char* result : {"sent", "failed"}) {
      auto found = notifications.find({channel, result});
      out.sample("mailprobe_notifications_total", {{"channel", channel}, {"result", result}},
                 found != notifications.end() ? static_cast<double>(found->second) : 0.0);
    }
  }
  declare_result_families(out);
  out.family("mailprobe_check_hard", "gauge", "1 when the check's state is hard, 0 when soft");
  out.family("mailprobe_check_passive", "gauge",
             "1 when the check is passive (measured, never notified); alert rules skip it");
  out.family("mailprobe_check_last_run_timestamp_seconds", "gauge",
             "When the check last ran (Unix time)");
  out.family("mailprobe_check_runs_total", "counter", "Runs of the check since the daemon started");
  out.family("mailprobe_check_failures_total", "counter",
             "Runs that ended CRITICAL or UNKNOWN since the daemon started");
  out.family("mailprobe_roundtrip_lost_total", "counter", "Test messages declared lost");
  out.family("mailprobe_roundtrip_late_total", "counter",
             "Test messages that arrived after being declared lost");
  out.family("mailprobe_roundtrip_duration_seconds", "histogram",
             "Round-trip time of test messages, from the SMTP 250 to visible in the mailbox");

  std::size_t written = 0;
  for (const auto& check : checks) {
    if (++written % checks_per_slice == 0) {
      co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    }
    add_check(out, *check, location);
  }
  co_return out.text();
}

void Metrics::add_check(output::PrometheusText& out, const CheckRuntime& check,
                        const std::string& location) const {
  output::Labels labels{
      {"check", check.config.name}, {"plugin", check.config.plugin}, {"location", location}};
  for (const auto& [name, value] : check.config.labels)
    labels.emplace_back(name, value);
  auto totals_at = totals_.find(check.config.name);
  if (totals_at != totals_.end()) {
    out.sample("mailprobe_check_runs_total", labels, static_cast<double>(totals_at->second.runs));
    out.sample("mailprobe_check_failures_total", labels,
               static_cast<double>(totals_at->second.failures));
  }
  if (check.status.pending) return;
  const auto& status = check.status;
  add_result_samples(out, labels, status.state, status.duration_seconds, status.metrics,
                     status.last_run);
  out.sample("mailprobe_check_hard", labels, status.type == StateType::hard ? 1 : 0);
  out.sample("mailprobe_check_passive", labels, check.config.passive ? 1 : 0);
  out.sample("mailprobe_check_last_run_timestamp_seconds", labels,
             std::chrono::duration<double>(status.last_run.time_since_epoch()).count());
  if (find(status.metrics, "send_ok") != nullptr && totals_at != totals_.end()) {
    const auto& totals = totals_at->second;
    out.sample("mailprobe_roundtrip_lost_total", labels, totals.lost);
    out.sample("mailprobe_roundtrip_late_total", labels, totals.late);
    out.histogram("mailprobe_roundtrip_duration_seconds", labels, totals.rtt.cumulative(),
                  totals.rtt.sum(), totals.rtt.count());
  }
}

}  // namespace mailprobe::daemon
