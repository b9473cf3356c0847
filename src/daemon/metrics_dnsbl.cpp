#include "daemon/metrics_dnsbl.hpp"

#include "probes/dnsbl.hpp"

namespace mailprobe::daemon {

void declare_dnsbl_families(output::PrometheusText& out) {
  out.family("mailprobe_dnsbl_listed", "gauge",
             "check_dnsbl: 1 when the list lists the address (or domain), 0 when not; absent "
             "when the list could not say");
  out.family("mailprobe_dnsbl_list_state", "gauge",
             "check_dnsbl: what the list's RFC 5782 test entries and answers say (ok, refused, "
             "dead, wildcard, invalid, unreachable); 1 for the current state");
}

bool add_dnsbl_sample(output::PrometheusText& out, const output::Labels& check_labels,
                      const core::TargetMetricName& target, const core::Metric& metric) {
  auto labels = check_labels;
  labels.emplace_back("list", target.host);
  if (target.series == "listed") {
    labels.emplace_back("address", target.address);
    out.sample("mailprobe_dnsbl_listed", labels, metric.value);
    return true;
  }
  if (target.series == "list_state" && target.address == probes::dnsbl_whole_list) {
    const auto& names = probes::dnsbl_list_state_names;
    for (std::size_t i = 0; i < names.size(); ++i) {
      auto with_state = labels;
      with_state.emplace_back("state", std::string(names[i]));
      out.sample("mailprobe_dnsbl_list_state", with_state,
                 static_cast<double>(i) == metric.value ? 1 : 0);
    }
    return true;
  }
  return false;
}

}  // namespace mailprobe::daemon
