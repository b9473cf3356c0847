#pragma once
// Options every service plugin shares (host, port, address family, timeout, thresholds,
// TLS trust, credentials, output), registered on an OptionParser and turned into probe
// inputs.

#include <optional>
#include <string>
#include <vector>

#include "core/outcome.hpp"
#include "core/range.hpp"
#include "plugins/oauth_options.hpp"
#include "plugins/option_parser.hpp"
#include "probes/common.hpp"
#include "protocol/sasl.hpp"

namespace mailprobe::plugins {

enum class OutputFormat { nagios, json };

struct PluginOptions {
  std::string host;
  int port = 0;
  bool ipv4 = false;
  bool ipv6 = false;
  double timeout = 10;
  std::string warning;
  std::string critical;
  std::string output_format = "nagios";
  int verbose = 0;
  // TLS
  std::string ca_file;
  bool insecure = false;
  std::string sni;
  bool sni_flag = false;         // check_smtp's --sni takes no value; SNI is sent anyway
  std::string certificate_days;  // -D warn[,crit]
  bool ignore_expiration = false;
  // Credentials
  std::string user;
  std::string password;  // -P, compatibility only: visible in the process list
  std::string password_file;
  std::string password_env;
  std::string token_file;  // OAuth 2.0 bearer token for OAUTHBEARER/XOAUTH2
  OAuthOptions oauth;      // --oauth-*: mailprobe gets the token itself
};

// Registers -H -p -4 -6 -t -w -c -v --output-format and the TLS trust options.
// `port_help` describes the default port.
void add_connection_options(OptionParser& app, PluginOptions& options,
                            const std::string& port_help);
// Registers --user/-U, -P/--password, --password-file, --password-env, --token-file and
// the --oauth-* options.
// `user_flag` is "-U,--user,--authuser" for check_smtp, "--user" elsewhere.
void add_credential_options(OptionParser& app, PluginOptions& options, const std::string& user_flag,
                            const std::string& password_flag);
// Registers -D, --sni, --ignore-certificate-expiration.
void add_certificate_options(OptionParser& app, PluginOptions& options, bool sni_takes_value);

// Turns the parsed options into probe inputs; failures are option errors (UNKNOWN).
core::Outcome<probes::Target> make_target(const PluginOptions& options, int default_port);
core::Outcome<core::Thresholds> make_thresholds(const PluginOptions& options);
// -D warn[,crit]: days a certificate must still be valid (both empty without -D).
struct CertificateDays {
  std::optional<double> warning;
  std::optional<double> critical;
};
core::Outcome<CertificateDays> parse_certificate_days(const std::string& text);
// When the TLS context is built: at once (shared by the legs of a round trip, checked before
// anything is sent), or by a one-shot check once its connection is up
// (probes::build_tls_context), where the set-up overlaps the server's accept; such a check
// also leaves OpenSSL's error texts for when it has an error to tell (net/openssl_texts.hpp).
enum class TlsSetup { at_once, after_connect };
core::Outcome<probes::TlsPolicy> make_tls_policy(const PluginOptions& options, probes::TlsMode mode,
                                                 TlsSetup setup = TlsSetup::at_once);
// nullopt when no user was given; fails when a user has no password source. With --oauth-*
// the secret is left empty: the token source fills it in at each run.
core::Outcome<std::optional<protocol::Credentials>> make_credentials(const PluginOptions& options);
core::Outcome<OutputFormat> make_output_format(const PluginOptions& options);

// One server as --<prefix>-host, -port, -tls, -user, -password-file, -password-env (the
// round trip's SMTP and mailbox servers, the reflector's).
struct ServerOptions {
  std::string host;
  int port = 0;
  std::string tls;
  std::string user;
  std::string password_file;
  std::string password_env;
};

struct DefaultPorts {
  int implicit_tls;  // 465, 993, 995
  int with_user;     // 587 for SMTP submission; the plain port elsewhere
  int plain;         // 25, 143, 110
};

// `what` names the server in the help ("SMTP server"); `tls` holds the default mode.
void add_server_options(OptionParser& app, ServerOptions& options, const std::string& prefix,
                        const std::string& what, const std::string& short_host = "");

struct Server {
  probes::Target target;
  probes::TlsPolicy tls;
  std::optional<protocol::Credentials> credentials;
};

// Target, TLS and credentials of a server; the port defaults by TLS mode and login.
// `user_required`: a missing user is an error. `token_login`: the user logs in with an
// OAuth token fetched at each run (plugins/leg_oauth.hpp), the credentials hold no secret.
core::Outcome<Server> make_server(const ServerOptions& options, const std::string& prefix,
                                  DefaultPorts ports, const std::string& ca_file, bool insecure,
                                  bool user_required, bool token_login = false);

// "none", "starttls", "tls" (the round trip's and the reflector's --*-tls options).
core::Outcome<probes::TlsMode> parse_tls_mode(const std::string& text, const std::string& option);

// A secret from a file or else an environment variable; `who` names the option that
// needs it in the error.
core::Outcome<std::string> secret_from(const std::string& file, const std::string& env,
                                       const std::string& who);

// Reads a secret from a file: the first line, without its line ending.
core::Outcome<std::string> read_secret_file(const std::string& path);

}  // namespace mailprobe::plugins
