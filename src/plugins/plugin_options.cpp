#include "plugins/plugin_options.hpp"

#include <cstdlib>
#include <fstream>

#include "core/format.hpp"

namespace mailprobe::plugins {

namespace {
core::Failure option_error(std::string message) {
  return {"options", core::FailureKind::config, std::move(message)};
}
}  // namespace

void add_connection_options(OptionParser& app, PluginOptions& options,
                            const std::string& port_help) {
  app.value("-H,--hostname,--host", options.host, "Host name or IP address to connect to");
  app.value("-p,--port", options.port, "Port number (" + port_help + ")", ranges::port);
  app.flag("-4,--use-ipv4", options.ipv4, "Use IPv4 only");
  app.flag("-6,--use-ipv6", options.ipv6, "Use IPv6 only");
  app.value("-t,--timeout", options.timeout,
            "Seconds before the whole check times out (default: 10)", ranges::timeout);
  app.value("-w,--warning", options.warning,
            "Response time in seconds for WARNING (a number or a Nagios range)");
  app.value("-c,--critical", options.critical,
            "Response time in seconds for CRITICAL (a number or a Nagios range)");
  app.counter("-v,--verbose", options.verbose, "Show the conversation (secrets redacted)");
  app.value("--output-format", options.output_format, "nagios (default) or json");
  app.value("--ca-file", options.ca_file, "PEM file of trusted CAs (default: the system's CAs)");
  app.flag("--insecure", options.insecure,
           "Do not verify the certificate chain or host name (reported in the output)");
}

void add_credential_options(OptionParser& app, PluginOptions& options, const std::string& user_flag,
                            const std::string& password_flag) {
  app.value(user_flag, options.user, "User name to log in with");
  app.value(password_flag, options.password,
            "Password (compatibility only: visible to every local user; prefer "
            "--password-file)");
  app.value("--password-file", options.password_file, "File whose first line is the password");
  app.value("--password-env", options.password_env, "Environment variable that holds the password");
  app.value("--token-file", options.token_file,
            "File whose first line is an OAuth 2.0 access token (OAUTHBEARER or XOAUTH2)");
  add_oauth_options(app, options.oauth);
}

void add_certificate_options(OptionParser& app, PluginOptions& options, bool sni_takes_value) {
  app.value("-D,--certificate", options.certificate_days,
            "Minimum days the certificates must stay valid: WARN[,CRIT]");
  if (sni_takes_value) {
    app.value("--sni", options.sni, "Server name to send and verify (default: -H)");
  } else {
    // check_smtp's --sni is a flag in monitoring-plugins; SNI is always sent here.
    app.flag("--sni", options.sni_flag, "Send SNI (always done; kept for compatibility)");
    app.value("--tls-server-name", options.sni, "Server name to send and verify (default: -H)");
  }
  app.flag("--ignore-certificate-expiration", options.ignore_expiration,
           "Report but do not judge certificate expiry");
}

core::Outcome<probes::Target> make_target(const PluginOptions& options, int default_port) {
  probes::Target target;
  target.host = options.host;
  int port = options.port != 0 ? options.port : default_port;
  if (port <= 0 || port > 65535) {
    return option_error("port " + std::to_string(port) + " is not between 1 and 65535");
  }
  target.port = static_cast<std::uint16_t>(port);
  if (options.ipv4 && options.ipv6) return option_error("-4 and -6 exclude each other");
  target.family = options.ipv4   ? net::AddressFamily::ipv4
                  : options.ipv6 ? net::AddressFamily::ipv6
                                 : net::AddressFamily::any;
  if (options.timeout <= 0) {
    return option_error("timeout " + core::format_number(options.timeout) + " is not positive");
  }
  return target;
}

core::Outcome<core::Thresholds> make_thresholds(const PluginOptions& options) {
  auto parsed = core::Thresholds::parse(options.warning, options.critical);
  if (auto* error = std::get_if<std::string>(&parsed)) return option_error(*error);
  return std::get<core::Thresholds>(parsed);
}

core::Outcome<CertificateDays> parse_certificate_days(const std::string& text) {
  CertificateDays days;
  if (text.empty()) return days;
  auto comma = text.find(',');
  auto warn = core::parse_number(text.substr(0, comma));
  std::optional<double> crit;
  if (comma != std::string::npos) crit = core::parse_number(text.substr(comma + 1));
  if (!warn || (comma != std::string::npos && !crit)) {
    return option_error("-D '" + text + "': expected WARN[,CRIT] in days, e.g. 30,14");
  }
  if (crit && *crit > *warn) {
    return option_error("-D '" + text + "': critical days must not exceed warning days");
  }
  days.warning = warn;
  days.critical = crit;
  return days;
}

core::Outcome<probes::TlsPolicy> make_tls_policy(const PluginOptions& options, probes::TlsMode mode,
                                                 TlsSetup setup) {
  probes::TlsPolicy policy;
  policy.mode = mode;
  policy.server_name = options.sni;
  policy.ignore_expiration = options.ignore_expiration;
  auto days = parse_certificate_days(options.certificate_days);
  if (!days) return days.failure();
  policy.warning_days = days->warning;
  policy.critical_days = days->critical;
  if (mode == probes::TlsMode::none) {
    if (!options.certificate_days.empty()) {
      return option_error("-D needs TLS (STARTTLS or implicit TLS) to see a certificate");
    }
    return policy;
  }
  net::TlsClientOptions trust{!options.insecure, options.ca_file, options.ignore_expiration};
  // A one-shot check leaves OpenSSL's error texts for when it has an error to tell; not
  // with OAuth, whose key decoding may fail in a library without a late loader (and
  // whose token endpoint is OpenSSL's first user).
  auto context = setup == TlsSetup::after_connect
                     ? net::TlsClientContext::deferred(trust, !options.oauth.given())
                     : net::TlsClientContext::create(trust);
  if (!context) return option_error(context.failure().message);
  policy.context = *context;
  return policy;
}

core::Outcome<std::string> read_secret_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) return option_error("cannot read secret file '" + path + "'");
  std::string line;
  std::getline(file, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return option_error("secret file '" + path + "' is empty");
  return line;
}

core::Outcome<std::optional<protocol::Credentials>> make_credentials(const PluginOptions& options) {
  int sources = (options.password.empty() ? 0 : 1) + (options.password_file.empty() ? 0 : 1) +
                (options.password_env.empty() ? 0 : 1) + (options.token_file.empty() ? 0 : 1);
  if (options.oauth.given()) {
    if (sources > 0) {
      return option_error(
          "--oauth-* gets the token itself: not with -P, --password-file, "
          "--password-env or --token-file");
    }
    if (options.user.empty()) {
      return option_error("--oauth-* needs --user: the mailbox to log in as");
    }
    return std::optional<protocol::Credentials>{protocol::Credentials{options.user, "", true}};
  }
  if (options.user.empty()) {
    if (sources > 0) return option_error("a password or token was given without a user (--user)");
    return std::optional<protocol::Credentials>{};
  }
  if (sources == 0) {
    return option_error("user '" + options.user +
                        "' needs a password: --password-file, --password-env or -P");
  }
  if (sources > 1)
    return option_error("give only one of -P, --password-file, --password-env, --token-file");
  protocol::Credentials credentials{options.user, options.password, !options.token_file.empty()};
  if (!options.password_file.empty() || !options.token_file.empty()) {
    auto secret = read_secret_file(options.password_file.empty() ? options.token_file
                                                                 : options.password_file);
    if (!secret) return secret.failure();
    credentials.secret = *secret;
  } else if (!options.password_env.empty()) {
    const char* value = std::getenv(options.password_env.c_str());
    if (value == nullptr || *value == '\0') {
      return option_error("environment variable " + options.password_env + " is not set");
    }
    credentials.secret = value;
  }
  return std::optional<protocol::Credentials>{credentials};
}

core::Outcome<OutputFormat> make_output_format(const PluginOptions& options) {
  if (options.output_format == "nagios") return OutputFormat::nagios;
  if (options.output_format == "json") return OutputFormat::json;
  return option_error("--output-format '" + options.output_format + "': use nagios or json");
}

core::Outcome<probes::TlsMode> parse_tls_mode(const std::string& text, const std::string& option) {
  if (text == "none") return probes::TlsMode::none;
  if (text == "starttls") return probes::TlsMode::starttls;
  if (text == "tls") return probes::TlsMode::implicit;
  return core::Failure{"options", core::FailureKind::config,
                       option + " '" + text + "': use none, starttls or tls"};
}

core::Outcome<std::string> secret_from(const std::string& file, const std::string& env,
                                       const std::string& who) {
  if (!file.empty()) return read_secret_file(file);
  if (!env.empty()) {
    const char* value = std::getenv(env.c_str());
    if (value == nullptr || *value == '\0') {
      return core::Failure{"options", core::FailureKind::config,
                           "environment variable " + env + " is not set"};
    }
    return std::string(value);
  }
  return core::Failure{"options", core::FailureKind::config,
                       who + " needs a password file or environment variable"};
}

void add_server_options(OptionParser& app, ServerOptions& options, const std::string& prefix,
                        const std::string& what, const std::string& short_host) {
  auto option = [&](const std::string& name) { return "--" + prefix + "-" + name; };
  app.value(short_host.empty() ? option("host") : short_host + "," + option("host"), options.host,
            what);
  app.value(option("port"), options.port, "Its port (default: by TLS mode and login)",
            ranges::port);
  app.value(option("tls"), options.tls, "none, starttls or tls (default: " + options.tls + ")");
  app.value(option("user"), options.user, "User to log in as");
  app.value(option("password-file"), options.password_file, "File with the password");
  app.value(option("password-env"), options.password_env, "Environment variable with it");
}

core::Outcome<Server> make_server(const ServerOptions& options, const std::string& prefix,
                                  DefaultPorts ports, const std::string& ca_file, bool insecure,
                                  bool user_required, bool token_login) {
  auto fail = [](std::string message) -> core::Outcome<Server> {
    return core::Failure{"options", core::FailureKind::config, std::move(message)};
  };
  if (options.host.empty()) return fail("--" + prefix + "-host is required");
  auto mode = parse_tls_mode(options.tls, "--" + prefix + "-tls");
  if (!mode) return mode.failure();
  PluginOptions plugin;
  plugin.host = options.host;
  plugin.port = options.port != 0                    ? options.port
                : *mode == probes::TlsMode::implicit ? ports.implicit_tls
                : !options.user.empty()              ? ports.with_user
                                                     : ports.plain;
  plugin.ca_file = ca_file;
  plugin.insecure = insecure;
  Server server;
  auto target = make_target(plugin, ports.plain);
  if (!target) return target.failure();
  server.target = *target;
  auto tls = make_tls_policy(plugin, *mode);
  if (!tls) return tls.failure();
  server.tls = *tls;
  if (options.user.empty()) {
    if (user_required) return fail("--" + prefix + "-user is required");
    return server;
  }
  if (token_login) {
    server.credentials = protocol::Credentials{options.user, "", true};
    return server;
  }
  auto secret = secret_from(options.password_file, options.password_env, "--" + prefix + "-user");
  if (!secret) return secret.failure();
  server.credentials = protocol::Credentials{options.user, *secret};
  return server;
}

}  // namespace mailprobe::plugins
