#pragma once
// /metrics: the daemon's checks in Prometheus terms, following exporter conventions
// (base units, _total counters, a histogram for round-trip times, blackbox_exporter's
// probe_success and probe_duration_seconds).

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "daemon/histogram.hpp"
#include "daemon/scheduler.hpp"
#include "output/prometheus.hpp"

namespace mailprobe::daemon {

// The families and samples of one result (its state, duration and measured values), shared
// by /metrics (with the check's labels) and /probe (without). `measured_at` is when the
// result was taken: certificate days left count from then.
void declare_result_families(output::PrometheusText& out);
void add_result_samples(output::PrometheusText& out, const output::Labels& labels,
                        core::State state, double duration_seconds,
                        const std::vector<core::Metric>& metrics,
                        std::chrono::system_clock::time_point measured_at);

// check_mail_domain's families (metrics_domain.cpp), and its samples: false when `metric`
// is none of them.
void declare_domain_families(output::PrometheusText& out);
bool add_domain_sample(output::PrometheusText& out, const output::Labels& labels,
                       const core::Metric& metric);

class Metrics {
 public:
  // Accumulates what a result adds to counters and histograms.
  void observe(const CheckRuntime& check);
  // The exposition of every check's current state and accumulated metrics, and of the
  // daemon itself (the scheduler's lag, history write errors, notifications). Written
  // `checks_per_slice` checks at a time on the caller's executor, which runs whatever came
  // due in between: 10,000 checks are 6 MB of text and a tenth of a second of work, and
  // every run planned meanwhile would start that much late. The arguments are copies: a
  // reload may replace the checks between two slices.
  asio::awaitable<std::string> exposition(
      std::vector<std::shared_ptr<CheckRuntime>> checks, std::string location,
      Histogram scheduler_lag, std::uint64_t history_write_errors,
      std::map<std::pair<std::string, std::string>, std::uint64_t> notifications) const;
  static constexpr std::size_t checks_per_slice = 500;

  // Upper bounds of the round-trip histogram, seconds: Email Scout's 2 min "slow" and
  // 10 min timeout among them.
  static const std::vector<double>& roundtrip_buckets();

 private:
  struct Totals {
    Histogram rtt{roundtrip_buckets()};
    double lost = 0;
    double late = 0;
    std::uint64_t runs = 0;
    std::uint64_t failures = 0;
  };
  void add_check(output::PrometheusText& out, const CheckRuntime& check,
                 const std::string& location) const;
  std::map<std::string, Totals> totals_;
};

}  // namespace mailprobe::daemon
