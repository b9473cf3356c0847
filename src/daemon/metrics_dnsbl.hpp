#pragma once
// check_dnsbl's series on /metrics and /probe: a listing per list and address, and each
// list's state, read back from the result's metric names (core::target_metric_name).

#include "core/result.hpp"
#include "output/prometheus.hpp"

namespace mailprobe::daemon {

void declare_dnsbl_families(output::PrometheusText& out);

// Adds the samples of `metric` when it is one of check_dnsbl's ("LIST[ADDRESS]_listed",
// "LIST[*]_list_state"); false for any other metric.
bool add_dnsbl_sample(output::PrometheusText& out, const output::Labels& check_labels,
                      const core::TargetMetricName& target, const core::Metric& metric);

}  // namespace mailprobe::daemon
