// check_mail_domain DOMAIN: what receivers read in a domain's DNS before they accept its
// mail (probes/mail_domain.hpp).

#include "core/duration_text.hpp"
#include "net/resolve.hpp"
#include "plugins/plugin_options.hpp"
#include "plugins/plugins.hpp"
#include "plugins/run_plugin.hpp"
#include "probes/mail_domain.hpp"

namespace mailprobe::plugins {

namespace {
constexpr const char* service = "DOMAIN";
constexpr const char* default_suffix_list = "/usr/share/publicsuffix/public_suffix_list.dat";
}  // namespace

PluginPlan check_mail_domain(const std::string& name, int argc, const char* const* argv) {
  OptionParser app{name,
                   "Checks what receivers read in a domain's DNS before they accept its mail: "
                   "SPF (with its whole lookup tree), DMARC, DKIM keys, BIMI, null MX, DNSSEC, "
                   "and what changed since the last run."};
  PluginOptions options;
  probes::MailDomainOptions domain;
  std::string domain_name;
  std::string suffix_file = default_suffix_list;
  std::string changed_warn = "1d";
  app.operand(domain_name, "DOMAIN");
  // --host: the daemon's /probe gives a module's target as --host.
  app.value("-H,--domain,--host", domain_name, "The domain to check (or as the operand)");
  app.value("--spf-ip", domain.spf_ips,
            "ADDR: evaluate SPF for this sending address; anything but pass is CRITICAL "
            "(repeatable)");
  app.value("--dkim-selector", domain.dkim_selectors,
            "SELECTOR: check the DKIM key at SELECTOR._domainkey.DOMAIN (repeatable)");
  app.value("--dmarc-policy", domain.dmarc_policy,
            "none|quarantine|reject: the weakest DMARC policy that is OK (default: none)");
  app.value("--public-suffix-list", suffix_file,
            "Public Suffix List for DMARC's organizational domain (default: " +
                std::string(default_suffix_list) + ")");
  app.value("--state-file", domain.state_file,
            "SQLite file keeping each record's last value: a change is a WARNING");
  app.value("--changed-warn", changed_warn,
            "DURATION a change stays a WARNING (default: 1d; needs --state-file)");
  app.value("-t,--timeout", options.timeout, "Seconds for the whole check (default: 10)",
            ranges::timeout);
  app.value("--resolver", domain.dns.resolver,
            "ADDR[@PORT] of the resolver to ask (default: those of /etc/resolv.conf)");
  app.value("--trust-anchor", domain.dns.trust_anchor_file,
            "DNSSEC trust anchor file (default: /usr/share/dns/root.key)");
  app.value("--output-format", options.output_format, "nagios (default) or json");
  if (auto done = parse_plugin_options(app, argc, argv, service)) return *done;

  if (domain_name.empty()) return option_error(service, "no domain given (DOMAIN or -H)");
  auto ascii = net::domain_name_to_ascii(domain_name);
  if (!ascii) return option_error(service, ascii.failure().message);
  domain.domain = *ascii;
  if (domain.dmarc_policy != "none" && domain.dmarc_policy != "quarantine" &&
      domain.dmarc_policy != "reject") {
    return option_error(service, "--dmarc-policy '" + domain.dmarc_policy +
                                     "' is none of none, quarantine, reject");
  }
  for (const auto& ip : domain.spf_ips) {
    if (!net::is_ip_literal(ip)) {
      return option_error(service, "--spf-ip '" + ip + "' is not an IPv4 or IPv6 address");
    }
  }
  for (const auto& selector : domain.dkim_selectors) {
    auto key_name = net::domain_name_to_ascii(selector + "._domainkey." + domain.domain);
    if (selector.empty() || !key_name) {
      return option_error(service, "--dkim-selector '" + selector + "' is no selector: " +
                                       (key_name ? "it is empty" : key_name.failure().message));
    }
  }
  auto window = core::parse_duration(changed_warn);
  if (!window || window->count() == 0) {
    return option_error(
        service, "--changed-warn '" + changed_warn + "' is not a duration such as 12h or 1d");
  }
  domain.changed_warn = *window;
  auto suffixes = protocol::load_public_suffix_list(suffix_file);
  if (!suffixes) return option_error(service, suffixes.failure().message);
  domain.suffixes = std::make_shared<const protocol::PublicSuffixList>(std::move(*suffixes));
  auto format = make_output_format(options);
  if (!format) return option_error(service, format.failure().message);
  auto call = plugin_call(
      service,
      [domain](core::Deadline deadline) { return probes::probe_mail_domain(domain, deadline); },
      options.timeout, *format, false);
  // The daemon keys the record history it shows by the domain.
  call.servers = {domain.domain};
  return call;
}

}  // namespace mailprobe::plugins
