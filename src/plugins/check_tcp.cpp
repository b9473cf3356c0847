// The check_tcp family: check_tcp, check_pop, check_spop, check_imap, check_simap,
// check_ssmtp. monitoring-plugins' options, plus STARTTLS and real logins for POP3/IMAP.

#include <array>
#include <cctype>

#include "plugins/plugins.hpp"
#include "plugins/run_plugin.hpp"
#include "probes/tcp.hpp"

namespace mailprobe::plugins {

namespace {

struct Profile {
  const char* plugin;
  const char* service;
  int port;
  const char* expect;
  const char* quit;
  bool implicit_tls;
  probes::MailProtocol protocol;
};

// monitoring-plugins' defaults per name (check_tcp.c).
constexpr std::array<Profile, 6> profiles{{
    {"check_tcp", "TCP", 0, "", "", false, probes::MailProtocol::none},
    {"check_pop", "POP", 110, "+OK", "QUIT\r\n", false, probes::MailProtocol::pop3},
    {"check_spop", "SPOP", 995, "+OK", "QUIT\r\n", true, probes::MailProtocol::pop3},
    {"check_imap", "IMAP", 143, "* OK", "a1 LOGOUT\r\n", false, probes::MailProtocol::imap},
    {"check_simap", "SIMAP", 993, "* OK", "a1 LOGOUT\r\n", true, probes::MailProtocol::imap},
    {"check_ssmtp", "SSMTP", 465, "220", "QUIT\r\n", true, probes::MailProtocol::smtp},
}};

const Profile& profile_for(const std::string& name) {
  for (const auto& profile : profiles) {
    if (name == profile.plugin) return profile;
  }
  return profiles[0];
}

// -E: \n \r \t \\ become the characters; other backslashes stay (np_escaped_string).
std::string unescape(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      char next = text[i + 1];
      if (next == 'n' || next == 'r' || next == 't' || next == '\\') {
        out += next == 'n' ? '\n' : next == 'r' ? '\r' : next == 't' ? '\t' : '\\';
        ++i;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

}  // namespace

PluginPlan check_tcp_family(const std::string& name, int argc, const char* const* argv) {
  const auto& profile = profile_for(name);
  const std::string service = profile.service;
  OptionParser app{name,
                   "Checks a TCP service: connect, TLS, send, expect, quit; POP3 and IMAP also "
                   "STARTTLS and logins."};
  PluginOptions options;
  probes::TcpOptions tcp;
  bool escape = false;
  bool tls = false;
  bool force_starttls = false;
  std::string send;
  std::vector<std::string> expect;
  std::optional<std::string> quit;
  std::string refuse = "crit";
  std::string mismatch = "warn";
  double delay = 0;
  long max_bytes = 0;
  std::string positional_host;

  std::string port_help =
      profile.port != 0 ? "default: " + std::to_string(profile.port) : "required";
  add_connection_options(app, options, port_help);
  app.operand(positional_host, "HOST");
  add_certificate_options(app, options, true);
  add_credential_options(app, options, "--user", "-P,--password");
  app.flag("-E,--escape", escape, "Interpret \\n \\r \\t \\\\ in the send and quit strings");
  app.value("-s,--send", send, "String to send after connecting");
  app.value("-e,--expect", expect,
            "String to expect anywhere in the response (repeatable; replaces the default)");
  app.flag("-A,--all", tcp.expect_all, "All expect strings must occur (default: any)");
  app.value("-q,--quit", quit, "String to send before closing (default: the protocol's)");
  app.value("-r,--refuse", refuse, "State when the connection is refused: ok|warn|crit");
  app.value("-M,--mismatch", mismatch, "State when the expect strings do not match");
  app.flag("-j,--jail", tcp.hide_output, "Do not show the server's response");
  app.value("-m,--maxbytes", max_bytes, "Stop reading after this many bytes", {0, 16 * 1048576});
  app.value("-d,--delay", delay,
            "Seconds to keep collecting the response when it pauses (default: 2)", {0, 3600});
  app.flag("-S,--ssl", tls,
           "Use TLS: STARTTLS/STLS on the standard plain port (110, 143), implicit TLS on "
           "any other port");
  app.flag("--starttls", force_starttls, "Use STARTTLS (STLS for POP3) whatever the port");
  app.value("--auth-mechanism", tcp.login_mechanism,
            "Login: USER, PLAIN, XOAUTH2 or OAUTHBEARER for POP3; LOGIN, PLAIN, XOAUTH2 or "
            "OAUTHBEARER for IMAP (default: USER or LOGIN; with a token OAUTHBEARER when "
            "offered, else XOAUTH2)");
  if (auto done = parse_plugin_options(app, argc, argv, service)) return *done;
  if (options.host.empty()) options.host = positional_host;
  if (options.host.empty()) return option_error(service, "no host given (-H)");
  if (profile.port == 0 && options.port == 0) return option_error(service, "no port given (-p)");

  auto refuse_state = core::parse_state(refuse);
  if (!refuse_state) return option_error(service, "-r '" + refuse + "': use ok, warn or crit");
  auto mismatch_state = core::parse_state(mismatch);
  if (!mismatch_state) return option_error(service, "-M '" + mismatch + "': use ok, warn or crit");
  if (delay < 0) return option_error(service, "-d must not be negative");
  if (max_bytes < 0) return option_error(service, "-m must not be negative");

  // TLS mode: the s-names always use implicit TLS; -S, -D and --sni turn TLS on.
  bool wants_tls = tls || !options.certificate_days.empty() || !options.sni.empty();
  int port = options.port != 0 ? options.port : profile.port;
  auto mode = probes::TlsMode::none;
  if (force_starttls) {
    if (profile.protocol == probes::MailProtocol::none || profile.implicit_tls) {
      return option_error(service, "--starttls works with check_pop and check_imap only");
    }
    mode = probes::TlsMode::starttls;
  } else if (profile.implicit_tls) {
    mode = probes::TlsMode::implicit;
  } else if (wants_tls) {
    // On the protocol's standard plain port (110, 143) TLS can only mean STARTTLS; on any
    // other port -S keeps monitoring-plugins' meaning, implicit TLS, so that a working
    // `check_pop -S -p 995` stays working. --starttls forces STARTTLS on other ports.
    bool plain_port = profile.protocol != probes::MailProtocol::none && port == profile.port;
    mode = plain_port ? probes::TlsMode::starttls : probes::TlsMode::implicit;
  }

  auto target = make_target(options, profile.port);
  if (!target) return option_error(service, target.failure().message);
  auto thresholds = make_thresholds(options);
  if (!thresholds) return option_error(service, thresholds.failure().message);
  auto tls_policy = make_tls_policy(options, mode, TlsSetup::after_connect);
  if (!tls_policy) return option_error(service, tls_policy.failure().message);
  auto credentials = make_credentials(options);
  if (!credentials) return option_error(service, credentials.failure().message);
  if (options.oauth.given()) {
    auto source = make_token_source(options.oauth, options.user);
    if (!source) return option_error(service, source.failure().message);
    tcp.oauth = *source;
  }
  if (*credentials && profile.protocol != probes::MailProtocol::pop3 &&
      profile.protocol != probes::MailProtocol::imap) {
    return option_error(service, "--user logs in over POP3 or IMAP only");
  }
  auto format = make_output_format(options);
  if (!format) return option_error(service, format.failure().message);

  tcp.service = service;
  tcp.protocol = profile.protocol;
  tcp.target = *target;
  tcp.tls = *tls_policy;
  tcp.send = escape ? unescape(send) : send;
  if (!expect.empty()) {
    tcp.expect = expect;
  } else if (*profile.expect != '\0') {
    tcp.expect = {profile.expect};
    tcp.expect_prefix = true;
  }
  if (quit) {
    tcp.quit = escape ? unescape(*quit) : *quit + "\r\n";
  } else if (!*credentials) {
    tcp.quit = profile.quit;
  }
  tcp.refuse_state = *refuse_state;
  tcp.mismatch_state = *mismatch_state;
  tcp.max_bytes = static_cast<std::size_t>(max_bytes);
  tcp.delay = delay;
  tcp.response_time = *thresholds;
  tcp.credentials = *credentials;
  if (!tcp.login_mechanism.empty()) {
    std::string mechanism = tcp.login_mechanism;
    for (auto& c : mechanism)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    bool pop3 = profile.protocol == probes::MailProtocol::pop3;
    bool known = mechanism == "PLAIN" || mechanism == "XOAUTH2" || mechanism == "OAUTHBEARER" ||
                 mechanism == (pop3 ? "USER" : "LOGIN");
    if (!*credentials) return option_error(service, "--auth-mechanism needs --user");
    if (!known) {
      return option_error(service, "--auth-mechanism " + tcp.login_mechanism + ": use " +
                                       (pop3 ? "USER" : "LOGIN") +
                                       ", PLAIN, XOAUTH2 or OAUTHBEARER");
    }
    tcp.login_mechanism = mechanism;
  }
  tcp.transcript = options.verbose > 0;
  auto call = plugin_call(
      service, [tcp](core::Deadline deadline) { return probes::probe_tcp(tcp, deadline); },
      options.timeout, *format, tcp.transcript);
  call.servers = {options.host};
  return call;
}

}  // namespace mailprobe::plugins
