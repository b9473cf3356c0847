// check_mx DOMAIN: the path the internet takes to a domain's mail (probes/mx.hpp).

#include <openssl/bio.h>
#include <openssl/pem.h>

#include <memory>

#include "plugins/plugin_options.hpp"
#include "plugins/plugins.hpp"
#include "plugins/run_plugin.hpp"
#include "probes/mx.hpp"

namespace mailprobe::plugins {

PluginPlan check_mx(const std::string& name, int argc, const char* const* argv) {
  OptionParser app{name,
                   "Checks the way senders reach a domain's mail: every MX and address "
                   "(STARTTLS, certificate), DNSSEC, DANE, MTA-STS and TLS-RPT."};
  PluginOptions options;
  probes::MxOptions mx;
  std::string domain;
  int port = 25;
  int mta_sts_port = 443;
  long max_addresses = 16;
  app.operand(domain, "DOMAIN");
  // --host: the daemon's /probe gives a module's target as --host (and --port).
  app.value("-H,--domain,--host", domain, "The domain whose mail is checked (or as the operand)");
  app.value("-p,--port", port, "Port of every MX address (default: 25; TLSA at _PORT._tcp)",
            ranges::port);
  app.flag("-4", options.ipv4, "Only IPv4 addresses (A records)");
  app.flag("-6", options.ipv6, "Only IPv6 addresses (AAAA records)");
  app.value("--max-addresses", max_addresses, "Probe at most this many addresses (default: 16)",
            {1, 1024});
  app.value("-t,--timeout", options.timeout, "Seconds for the whole check (default: 10)",
            ranges::timeout);
  app.value("-D,--certificate-days", options.certificate_days,
            "WARN[,CRIT]: days every MX certificate must still be valid");
  app.value("--ca-file", options.ca_file,
            "PEM file of the CAs WebPKI validation trusts (default: the system's)");
  app.value("--resolver", mx.dns.resolver,
            "ADDR[@PORT] of the resolver to ask (default: those of /etc/resolv.conf)");
  app.value("--trust-anchor", mx.dns.trust_anchor_file,
            "DNSSEC trust anchor file (default: /usr/share/dns/root.key)");
  app.value("-F,--fqdn", mx.helo_name, "Name to send with EHLO (default: host name)");
  app.flag("--expect-null-mx", mx.expect_null_mx,
           "The domain sends and accepts no mail: a null MX (RFC 7505) is OK, anything else not");
  app.flag("--require-dane", mx.require_dane, "A missing or ignored TLSA record is CRITICAL");
  app.flag("--require-mta-sts", mx.require_mta_sts, "A missing MTA-STS policy is CRITICAL");
  app.flag("--require-tls-rpt", mx.require_tls_rpt, "A missing TLS-RPT record is a WARNING");
  std::string next_cert;
  app.value("--next-cert", next_cert,
            "PEM certificate the MX hosts will present after the next rollover: a TLSA set "
            "that does not match it is a WARNING");
  app.value("--mta-sts-port", mta_sts_port, "Port of the MTA-STS policy host (default: 443)",
            ranges::port);
  app.counter("-v,--verbose", options.verbose, "Show the conversation (with one address)");
  app.value("--output-format", options.output_format, "nagios (default) or json");
  if (auto done = parse_plugin_options(app, argc, argv, "MX")) return *done;

  if (domain.empty()) return option_error("MX", "no domain given (DOMAIN or -H)");
  auto ascii = net::domain_name_to_ascii(domain);
  if (!ascii) return option_error("MX", ascii.failure().message);
  if (options.ipv4 && options.ipv6) return option_error("MX", "-4 and -6 exclude each other");
  auto format = make_output_format(options);
  if (!format) return option_error("MX", format.failure().message);
  auto days = parse_certificate_days(options.certificate_days);
  if (!days) return option_error("MX", days.failure().message);
  // Sessions verify nothing by themselves: PKIX and DANE are judged from the chain.
  auto smtp_tls = net::TlsClientContext::create({false, options.ca_file, false});
  if (!smtp_tls) return option_error("MX", smtp_tls.failure().message);
  auto https_tls = net::TlsClientContext::create({true, options.ca_file, false});
  if (!https_tls) return option_error("MX", https_tls.failure().message);

  if (!next_cert.empty()) {
    std::unique_ptr<BIO, decltype(&BIO_free)> file(BIO_new_file(next_cert.c_str(), "r"), BIO_free);
    X509* certificate = file ? PEM_read_bio_X509(file.get(), nullptr, nullptr, nullptr) : nullptr;
    if (certificate == nullptr) {
      return option_error("MX",
                          "--next-cert '" + next_cert + "' is not a readable PEM certificate");
    }
    mx.next_certificate.reset(certificate, X509_free);
    mx.next_certificate_file = next_cert;
  }
  mx.domain = *ascii;
  mx.port = static_cast<std::uint16_t>(port);
  mx.mta_sts_port = static_cast<std::uint16_t>(mta_sts_port);
  mx.family = options.ipv4   ? net::AddressFamily::ipv4
              : options.ipv6 ? net::AddressFamily::ipv6
                             : net::AddressFamily::any;
  mx.max_addresses = static_cast<std::size_t>(max_addresses);
  mx.smtp_tls = *smtp_tls;
  mx.https_tls = *https_tls;
  mx.warning_days = days->warning;
  mx.critical_days = days->critical;
  mx.transcript = options.verbose > 0;
  return plugin_call(
      "MX", [mx](core::Deadline deadline) { return probes::probe_mx(mx, deadline); },
      options.timeout, *format, mx.transcript);
}

}  // namespace mailprobe::plugins
