#include "plugins/mailstore_options.hpp"

#include <cstdlib>

#include "core/format.hpp"

namespace mailprobe::plugins {

namespace {
core::Failure option_failure(std::string message) {
  return {"options", core::FailureKind::config, std::move(message)};
}
}  // namespace

void add_mailstore_api_options(OptionParser& app, MailstoreApiOptions& options) {
  app.value("-H,--host,--hostname", options.host,
            "MailStore Server host name or address (default: localhost)");
  app.value("--port", options.port, "Administration API port (default: 8463)", ranges::port);
  app.flag("-4,--use-ipv4", options.ipv4, "Use IPv4 only");
  app.flag("-6,--use-ipv6", options.ipv6, "Use IPv6 only");
  app.value("-U,--username,--user,--userName", options.user,
            "MailStore administrator to log in as (default: admin)");
  app.value("--password,--pass", options.password,
            "Password (compatibility only: visible to every local user; prefer "
            "--password-file)");
  app.value("--password-file", options.password_file, "File whose first line is the password");
  app.value("--password-env", options.password_env, "Environment variable that holds the password");
  app.value("--ca-file", options.ca_file,
            "PEM file of trusted certificates; may hold MailStore's self-signed one "
            "(default: the system's CAs)");
  app.value("--fingerprint", options.fingerprint,
            "Accept only the server certificate with this SHA-256 fingerprint "
            "(SHA256:AB:CD:..., as openssl x509 -fingerprint -sha256 prints it)");
  app.flag("--insecure", options.insecure,
           "Do not verify the certificate at all (reported in the output)");
  app.value("-t,--timeout", options.timeout,
            "Seconds before the whole check times out (default: 30)", ranges::timeout);
  app.counter("-v,--verbose", options.verbose,
              "Show the HTTP requests and answers (never the password)");
  app.value("--output-format", options.output_format, "nagios (default) or json");
}

core::Outcome<protocol::mailstore::ApiEndpoint> make_api_endpoint(
    const MailstoreApiOptions& options) {
  protocol::mailstore::ApiEndpoint endpoint;
  if (options.host.empty()) return option_failure("--host is empty");
  endpoint.host = options.host;
  if (options.port <= 0 || options.port > 65535) {
    return option_failure("--port " + std::to_string(options.port) + " is not between 1 and 65535");
  }
  endpoint.port = static_cast<std::uint16_t>(options.port);
  if (options.ipv4 && options.ipv6) return option_failure("-4 and -6 exclude each other");
  endpoint.family = options.ipv4   ? net::AddressFamily::ipv4
                    : options.ipv6 ? net::AddressFamily::ipv6
                                   : net::AddressFamily::any;
  if (options.timeout <= 0) {
    return option_failure("timeout " + core::format_number(options.timeout) + " is not positive");
  }
  if (options.user.empty()) return option_failure("--username is empty");
  endpoint.user = options.user;

  int sources = (options.password.empty() ? 0 : 1) + (options.password_file.empty() ? 0 : 1) +
                (options.password_env.empty() ? 0 : 1);
  if (sources == 0) {
    return option_failure("no password for '" + options.user +
                          "': give --password-file, --password-env or --password");
  }
  if (sources > 1) {
    return option_failure("give only one of --password, --password-file, --password-env");
  }
  endpoint.password = options.password;
  if (!options.password_file.empty()) {
    auto secret = read_secret_file(options.password_file);
    if (!secret) return secret.failure();
    endpoint.password = *secret;
  } else if (!options.password_env.empty()) {
    const char* value = std::getenv(options.password_env.c_str());
    if (value == nullptr || *value == '\0') {
      return option_failure("environment variable " + options.password_env + " is not set");
    }
    endpoint.password = value;
  }

  int trust = (options.ca_file.empty() ? 0 : 1) + (options.fingerprint.empty() ? 0 : 1) +
              (options.insecure ? 1 : 0);
  if (trust > 1) return option_failure("give only one of --ca-file, --fingerprint, --insecure");
  if (!options.fingerprint.empty()) {
    auto normalized = protocol::mailstore::normalize_fingerprint(options.fingerprint);
    if (!normalized) {
      return option_failure(
          "--fingerprint '" + options.fingerprint +
          "' is not a SHA-256 fingerprint (64 hex digits, e.g. SHA256:AB:CD:...)");
    }
    endpoint.fingerprint = *normalized;
  }
  net::TlsClientOptions tls;
  tls.verify = !options.insecure && options.fingerprint.empty();
  tls.ca_file = options.ca_file;
  auto context = net::TlsClientContext::create(tls);
  if (!context) return option_failure(context.failure().message);
  endpoint.tls = *context;
  return endpoint;
}

}  // namespace mailprobe::plugins
