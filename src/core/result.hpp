#pragma once
// The result of one probe: what every renderer (Nagios text, JSON, Prometheus, SQLite)
// turns into output. Probes fill it; they never print.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/outcome.hpp"
#include "core/range.hpp"
#include "core/state.hpp"

namespace mailprobe::core {

// A measured value with its unit and thresholds; becomes perfdata and a metric sample.
struct Metric {
  std::string name;
  double value = 0;
  // Nagios unit of measure: "" (a number), "s", "%", "B", "KB", "MB", "GB", "TB", "c".
  std::string unit;
  std::optional<Range> warning;
  std::optional<Range> critical;
  std::optional<double> min;
  std::optional<double> max;
};

// A metric of one target of a check that has many (an MX host's address) is named
// "HOST[ADDRESS]_SERIES": perfdata shows the name as it is, and the daemon's metrics read
// the host, address and series back as labels (also from a stored result, which keeps
// names only). These two functions are the only place that format is written or read.
std::string target_metric_name(std::string_view host, std::string_view address,
                               std::string_view series);
struct TargetMetricName {
  std::string host;
  std::string address;
  std::string series;
};
std::optional<TargetMetricName> parse_target_metric_name(std::string_view name);

// A part of the check with its own state; parts roll up into the result's state.
struct Subcheck {
  State state = State::ok;
  std::string summary;
  std::vector<Subcheck> children;

  // This part's state combined with its children's.
  State overall() const;
};

// How long one phase of the conversation took (resolve, connect, tls, banner, auth, ...).
struct PhaseTiming {
  std::string phase;
  double seconds = 0;
};

struct ProbeResult {
  // The service name that prefixes the Nagios summary: "SMTP", "IMAP", "TCP".
  std::string service;
  // The probe's own verdict, before its subchecks roll up.
  State state = State::ok;
  std::string summary;
  std::vector<Subcheck> subchecks;
  std::vector<Metric> metrics;
  std::vector<PhaseTiming> timings;
  std::optional<Failure> failure;
  // Facts the user must always see, e.g. "certificate verification disabled (--insecure)".
  std::vector<std::string> notes;
  // The conversation with the server, secrets redacted; filled only when asked for.
  std::vector<std::string> transcript;

  // The state after roll-up: the worst of the probe's own state and every subcheck.
  State overall() const;
  // The summary line's text: when a subcheck made the state worse than OK, what it says
  // comes first (a monitoring system often shows only this line).
  std::string headline() const;

  // Records a failure and the state it maps to; the summary becomes the failure's message.
  void fail(Failure failure, State state = State::critical);
  void add_timing(std::string phase, double seconds);
};

}  // namespace mailprobe::core
