// The values of check_mail_domain in Prometheus terms: families of their own, so that alert
// rules can say "SPF over its lookup limit" or "a DKIM key shorter than 2048 bits" without
// knowing perfdata names.

#include "daemon/metrics.hpp"

namespace mailprobe::daemon {

void declare_domain_families(output::PrometheusText& out) {
  out.family("mailprobe_spf_lookups", "gauge",
             "check_mail_domain: DNS lookups the domain's SPF policy costs (RFC 7208 4.6.4: "
             "over 10 is a permerror)");
  out.family("mailprobe_spf_void_lookups", "gauge",
             "check_mail_domain: SPF lookups that found nothing (over 2 is a permerror)");
  // Prometheus' base unit: bytes (promtool rejects a _bits name). A 2048-bit RSA key is 256.
  out.family("mailprobe_dkim_key_size_bytes", "gauge",
             "check_mail_domain: size of the DKIM key at a selector in bytes (RSA 2048 bits: "
             "256; Ed25519: 32; 0: revoked or unusable)");
  out.family("mailprobe_dmarc_policy", "gauge",
             "check_mail_domain: the DMARC policy receivers apply to the domain: 0 none, "
             "1 quarantine, 2 reject, -1 no DMARC at all");
  out.family("mailprobe_domain_dnssec_secure", "gauge",
             "check_mail_domain: 1 when every record the check read was DNSSEC-secure");
  out.family("mailprobe_domain_records_changed", "gauge",
             "check_mail_domain: records that changed within the --changed-warn window");
}

bool add_domain_sample(output::PrometheusText& out, const output::Labels& labels,
                       const core::Metric& metric) {
  static constexpr std::string_view dkim_prefix = "dkim_key_bits_";
  const auto& name = metric.name;
  if (name == "spf_lookups" || name == "spf_void_lookups" || name == "dmarc_policy") {
    out.sample("mailprobe_" + name, labels, metric.value);
  } else if (name.rfind(dkim_prefix, 0) == 0 && name.size() > dkim_prefix.size()) {
    auto with_selector = labels;
    with_selector.emplace_back("selector", name.substr(dkim_prefix.size()));
    out.sample("mailprobe_dkim_key_size_bytes", with_selector, metric.value / 8);
  } else if (name == "dnssec_secure") {
    out.sample("mailprobe_domain_dnssec_secure", labels, metric.value);
  } else if (name == "records_changed") {
    out.sample("mailprobe_domain_records_changed", labels, metric.value);
  } else {
    return false;
  }
  return true;
}

}  // namespace mailprobe::daemon
