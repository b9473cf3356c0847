// check_smtp: monitoring-plugins' options, with real STARTTLS, AUTH negotiation and
// certificate verification.

#include "plugins/plugins.hpp"
#include "plugins/run_plugin.hpp"
#include "probes/smtp.hpp"

namespace mailprobe::plugins {

PluginPlan check_smtp(const std::string& name, int argc, const char* const* argv) {
  OptionParser app{name, "Checks an SMTP (or LMTP) server: banner, EHLO, TLS, AUTH, commands."};
  PluginOptions options;
  probes::SmtpOptions smtp;
  bool implicit_tls = false;
  bool starttls = false;
  std::string positional_host;
  add_connection_options(app, options, "25, or 465 with --ssl");
  app.operand(positional_host, "HOST");
  add_certificate_options(app, options, false);
  add_credential_options(app, options, "-U,--authuser,--user", "-P,--authpass,--password");
  app.value("-e,--expect", smtp.expect, "String the banner must start with (default: 220)");
  app.value("-C,--command", smtp.commands, "SMTP command to send (repeatable)");
  app.value("-R,--response", smtp.responses,
            "Extended regular expression the reply to the -C of the same position must "
            "match (repeatable)");
  app.value("-f,--from", smtp.from, "Send MAIL FROM:<address>");
  app.value("-F,--fqdn", smtp.helo_name, "Name to send with EHLO (default: host name)");
  app.flag("-L,--lmtp", smtp.lmtp, "Send LHLO instead of EHLO (LMTP)");
  app.flag("-r,--proxy", smtp.proxy_header, "Send a PROXY protocol v1 header first");
  app.flag("-q,--ignore-quit-failure", smtp.ignore_quit_failure, "Do not warn when QUIT fails");
  app.flag("-s,--ssl,--tls", implicit_tls, "Use implicit TLS (SMTPS, port 465)");
  app.flag("-S,--starttls", starttls, "Use STARTTLS; fail if the server does not offer it");
  app.value("-A,--authtype", smtp.auth_mechanism,
            "AUTH mechanism: PLAIN, LOGIN, XOAUTH2 or OAUTHBEARER (default: the best the server "
            "offers)");
  if (auto done = parse_plugin_options(app, argc, argv, "SMTP")) return *done;
  if (options.host.empty()) options.host = positional_host;
  if (options.host.empty()) return option_error("SMTP", "no host given (-H)");
  if (implicit_tls && starttls)
    return option_error("SMTP", "--ssl and --starttls exclude each other");
  if (smtp.responses.size() > smtp.commands.size()) {
    return option_error("SMTP", "more -R responses than -C commands");
  }
  auto target = make_target(options, implicit_tls ? 465 : 25);
  if (!target) return option_error("SMTP", target.failure().message);
  auto thresholds = make_thresholds(options);
  if (!thresholds) return option_error("SMTP", thresholds.failure().message);
  // -D alone means STARTTLS, as in monitoring-plugins 2.3.
  bool wants_starttls = starttls || !options.certificate_days.empty();
  auto mode = implicit_tls     ? probes::TlsMode::implicit
              : wants_starttls ? probes::TlsMode::starttls
                               : probes::TlsMode::none;
  auto tls = make_tls_policy(options, mode, TlsSetup::after_connect);
  if (!tls) return option_error("SMTP", tls.failure().message);
  auto credentials = make_credentials(options);
  if (!credentials) return option_error("SMTP", credentials.failure().message);
  if (options.oauth.given()) {
    auto source = make_token_source(options.oauth, options.user);
    if (!source) return option_error("SMTP", source.failure().message);
    smtp.oauth = *source;
  }
  if (!smtp.auth_mechanism.empty() && !*credentials) {
    return option_error("SMTP", "-A " + smtp.auth_mechanism + " needs a user (-U) and a password");
  }
  auto format = make_output_format(options);
  if (!format) return option_error("SMTP", format.failure().message);

  smtp.target = *target;
  smtp.tls = *tls;
  smtp.response_time = *thresholds;
  smtp.credentials = *credentials;
  smtp.token = *credentials && (*credentials)->token;
  smtp.transcript = options.verbose > 0;
  auto call = plugin_call(
      "SMTP", [smtp](core::Deadline deadline) { return probes::probe_smtp(smtp, deadline); },
      options.timeout, *format, smtp.transcript);
  call.servers = {options.host};
  return call;
}

}  // namespace mailprobe::plugins
