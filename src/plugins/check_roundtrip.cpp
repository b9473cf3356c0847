// check_mail_roundtrip: the round-trip mail test as a plugin.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "plugins/leg_oauth.hpp"
#include "plugins/oauth_options.hpp"
#include "plugins/plugins.hpp"
#include "plugins/run_plugin.hpp"
#include "probes/roundtrip.hpp"
#include "probes/roundtrip_message.hpp"
#include "protocol/http_client.hpp"

namespace mailprobe::plugins {

namespace {

constexpr const char* service = "ROUNDTRIP";

// The secret from `path`; when the default file does not exist yet it is created with a
// random secret, readable by its owner only.
core::Outcome<std::string> load_or_create_secret(const std::string& path, bool may_create) {
  std::error_code ec;
  // A directory that cannot be read (a scheduler that keeps root's HOME after dropping to
  // its user) is "not there": the read below then says what is wrong.
  if (may_create && !std::filesystem::exists(path, ec) && !ec) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    auto old_mask = ::umask(077);
    { std::ofstream(path) << probes::new_probe_id() << probes::new_probe_id() << "\n"; }
    ::umask(old_mask);
  }
  return read_secret_file(path);
}

// A Graph leg's mailbox (--<prefix>-user, by default `mailbox`) and its OAuth 2.0 access
// token: fetched at each run with --oauth-* (`source`), else what the leg's password file
// or variable holds.
core::Outcome<protocol::Credentials> graph_credentials(const ServerOptions& server,
                                                       const std::string& mailbox,
                                                       const std::string& prefix,
                                                       bool from_source) {
  auto user = server.user.empty() ? mailbox : server.user;
  if (from_source) return protocol::Credentials{user, "", true};
  if (server.password_file.empty() && server.password_env.empty()) {
    return core::Failure{"options", core::FailureKind::config,
                         "--" + prefix + "-protocol graph needs an access token: --oauth-* (or --" +
                             prefix + "-oauth-*), --" + prefix + "-password-file or --" + prefix +
                             "-password-env"};
  }
  auto token = secret_from(server.password_file, server.password_env, "--" + prefix + "-user");
  if (!token) return token.failure();
  return protocol::Credentials{user, *token, true};
}

}  // namespace

PluginPlan check_roundtrip(const std::string& name, int argc, const char* const* argv) {
  OptionParser app{name,
                   "Sends a test message through SMTP (or Microsoft Graph) and times its arrival "
                   "over IMAP, POP3 or Graph; remembers earlier messages to count late and lost "
                   "ones."};
  probes::RoundTripOptions rt;
  ServerOptions smtp{"", 0, "starttls", "", "", ""};
  ServerOptions receive{"", 0, "tls", "", "", ""};
  std::string receive_protocol = "imap";
  std::string smtp_protocol = "smtp";
  OAuthOptions oauth, smtp_oauth, receive_oauth;
  std::string graph_url = rt.graph_url;
  std::string ca_file, state_file, secret_file, junk_state = "warn", output_format = "nagios";
  std::string warning = "120", critical = "600";
  bool insecure = false;
  double timeout = 0;
  std::optional<std::string> lost_after;
  std::optional<std::string> junk_folder;
  int verbose = 0;
  // The sending server is the check's host: -H as in every plugin (a scheduler's command
  // passes $HOSTADDRESS$ that way).
  add_server_options(app, smtp, "smtp", "SMTP server to send through", "-H");
  app.value("--from", rt.from, "Sender address of the test message");
  app.value("--to", rt.to, "Recipient address (the mailbox read below, or a reflector)");
  app.value("--helo", rt.helo, "Name for EHLO (default: this machine's)");
  app.value("--smtp-protocol", smtp_protocol,
            "smtp (default) or graph: Microsoft Graph's sendMail as --smtp-user (default: "
            "--from), its access token from --oauth-* or --smtp-password-file");
  app.value("--receive-protocol", receive_protocol,
            "imap (default), pop3 or graph: Microsoft Graph as --receive-user (default: --to), "
            "its access token from --oauth-* or --receive-password-file");
  app.value("--graph-url", graph_url,
            "Microsoft Graph's base URL (default: https://graph.microsoft.com)");
  add_server_options(app, receive, "receive",
                     "Server to read the mailbox on (default: --smtp-host)");
  // OAuth 2.0 for both legs' logins (and Graph's), or one leg's own.
  add_oauth_options(app, oauth);
  add_oauth_options(app, smtp_oauth, "smtp", "the sending leg only");
  add_oauth_options(app, receive_oauth, "receive", "the receiving leg only");
  app.value("--mailbox", rt.mailbox, "IMAP mailbox to watch (default: INBOX)");
  app.value("--junk-folder", junk_folder,
            "IMAP folder searched for junked probes (default: Junk; empty: none)");
  app.value("--junk-state", junk_state, "State when a probe was filed as junk (default: warn)");
  app.value("--ca-file", ca_file, "PEM file of trusted CAs (default: the system's)");
  app.flag("--insecure", insecure, "Do not verify certificates (reported in the output)");
  app.value("--state-file", state_file, "SQLite file remembering probes between runs");
  app.value("--secret-file", secret_file,
            "File with the secret that signs probes (shared with a reflector)");
  app.value("--wait", rt.wait_seconds, "Seconds this run waits for its own message (default: 30)",
            ranges::wait);
  app.value("--poll-interval", rt.poll_seconds,
            "Seconds between looks with POP3 or IMAP without IDLE (default: 1)", {0.01, 3600});
  app.value("--lost-after", lost_after,
            "Seconds after which a probe that never arrived is lost (default: -c, and at "
            "least twice --wait)");
  app.flag("--keep", rt.keep, "Leave arrived test messages in the mailbox");
  app.flag("--reflector", rt.reflector,
           "--to reflects probes (mailprobe reflect): time its answer");
  app.value("-w,--warning", warning, "Round-trip seconds for WARNING (default: 120)");
  app.value("-c,--critical", critical, "Round-trip seconds for CRITICAL (default: 600)");
  app.value("-t,--timeout", timeout, "Seconds for the whole check (default: --wait + 30)",
            ranges::timeout);
  app.counter("-v,--verbose", verbose, "Show the conversations (secrets redacted)");
  app.value("--output-format", output_format, "nagios (default) or json");
  if (auto done = parse_plugin_options(app, argc, argv, service)) return *done;

  auto error = [](const std::string& message) { return option_error(service, message); };
  if (rt.from.empty() || rt.to.empty()) return error("--from and --to are required");
  if (rt.wait_seconds <= 0 || rt.poll_seconds <= 0) {
    return error("--wait and --poll-interval must be positive");
  }
  auto thresholds = core::Thresholds::parse(warning, critical);
  if (auto* message = std::get_if<std::string>(&thresholds)) return error(*message);
  rt.rtt = std::get<core::Thresholds>(thresholds);
  // The state file forgets probes after 30 days: none can be declared lost later than that.
  constexpr double longest_lost_after = 30.0 * 86400;
  if (lost_after) {
    auto seconds = core::parse_number(*lost_after);
    if (!seconds || *seconds <= 0) {
      return error("--lost-after '" + *lost_after + "' is not a positive number");
    }
    if (*seconds > longest_lost_after) {
      return error("--lost-after '" + *lost_after + "' is out of range (from 0 to 2592000)");
    }
    rt.lost_after_seconds = *seconds;
    if (rt.lost_after_seconds <= rt.wait_seconds) {
      return error("--lost-after must be longer than --wait");
    }
  } else {
    // The critical round trip (when -c is a number), but never so short that the default
    // refuses a valid command line ("--wait 10 -c 10"): a probe this run stopped waiting
    // for stays outstanding for as long again, for the next run to collect.
    if (auto seconds = core::parse_number(critical)) rt.lost_after_seconds = *seconds;
    rt.lost_after_seconds =
        std::min(std::max(rt.lost_after_seconds, 2 * rt.wait_seconds), longest_lost_after);
  }
  auto junk = core::parse_state(junk_state);
  if (!junk) return error("--junk-state '" + junk_state + "': use ok, warn or crit");
  rt.junk_state = *junk;
  if (junk_folder) rt.junk_folder = *junk_folder;
  if (timeout == 0) timeout = rt.wait_seconds + 30;
  if (timeout <= rt.wait_seconds) return error("-t must be longer than --wait");
  if (receive_protocol == "imap") {
    rt.protocol = probes::ReceiveProtocol::imap;
  } else if (receive_protocol == "pop3") {
    rt.protocol = probes::ReceiveProtocol::pop3;
  } else if (receive_protocol == "graph") {
    rt.protocol = probes::ReceiveProtocol::graph;
  } else {
    return error("--receive-protocol '" + receive_protocol + "': use imap, pop3 or graph");
  }
  if (smtp_protocol == "graph") {
    rt.send_protocol = probes::SendProtocol::graph;
  } else if (smtp_protocol != "smtp") {
    return error("--smtp-protocol '" + smtp_protocol + "': use smtp or graph");
  }
  bool graph_send = rt.send_protocol == probes::SendProtocol::graph;
  bool graph_receive = rt.protocol == probes::ReceiveProtocol::graph;
  probes::Target graph_target;
  if (graph_send || graph_receive) {
    auto url = protocol::parse_http_url(graph_url);
    if (!url) return error("--graph-url " + url.failure().message);
    if (!url->tls) {
      return error("--graph-url '" + protocol::url_for_logs(graph_url) +
                   "': use https:// (an access token must not travel in clear text)");
    }
    PluginOptions trust;
    trust.ca_file = ca_file;
    trust.insecure = insecure;
    auto tls = make_tls_policy(trust, probes::TlsMode::implicit);
    if (!tls) return error(tls.failure().message);
    rt.graph_url = graph_url;
    rt.graph_tls = tls->context;
    graph_target = {url->host, url->port, net::AddressFamily::any};
  }
  // Each leg's token source, if it logs in with OAuth: a Graph leg as its mailbox.
  auto smtp_user = graph_send && smtp.user.empty() ? rt.from : smtp.user;
  auto smtp_source = leg_token_source(oauth, smtp_oauth, smtp, smtp_user, "smtp", "the sending leg",
                                      graph_send ? TokenAudience::graph : TokenAudience::mail);
  if (!smtp_source) return error(smtp_source.failure().message);
  rt.smtp_oauth = *smtp_source;
  auto receive_user = graph_receive && receive.user.empty() ? rt.to : receive.user;
  auto receive_source =
      leg_token_source(oauth, receive_oauth, receive, receive_user, "receive", "the receiving leg",
                       graph_receive ? TokenAudience::graph : TokenAudience::mail);
  if (!receive_source) return error(receive_source.failure().message);
  rt.receive_oauth = *receive_source;
  if (graph_send) {
    auto credentials = graph_credentials(smtp, rt.from, "smtp", rt.smtp_oauth != nullptr);
    if (!credentials) return error(credentials.failure().message);
    rt.smtp = graph_target;
    rt.smtp_credentials = *credentials;
  } else {
    auto smtp_server = make_server(smtp, "smtp", {465, 587, 25}, ca_file, insecure, false,
                                   rt.smtp_oauth != nullptr);
    if (!smtp_server) return error(smtp_server.failure().message);
    rt.smtp = smtp_server->target;
    rt.smtp_tls = smtp_server->tls;
    rt.smtp_credentials = smtp_server->credentials;
  }
  if (graph_receive) {
    auto credentials = graph_credentials(receive, rt.to, "receive", rt.receive_oauth != nullptr);
    if (!credentials) return error(credentials.failure().message);
    rt.receive = graph_target;
    rt.receive_credentials = *credentials;
  } else {
    bool pop3 = rt.protocol == probes::ReceiveProtocol::pop3;
    if (receive.host.empty()) receive.host = graph_send ? "" : smtp.host;
    auto receive_server = make_server(
        receive, "receive", pop3 ? DefaultPorts{995, 110, 110} : DefaultPorts{993, 143, 143},
        ca_file, insecure, true, rt.receive_oauth != nullptr);
    if (!receive_server) return error(receive_server.failure().message);
    rt.receive = receive_server->target;
    rt.receive_tls = receive_server->tls;
    rt.receive_credentials = *receive_server->credentials;
  }

  auto state_dir = default_state_directory();
  rt.state_file = state_file.empty() ? state_dir + "/roundtrip.sqlite" : state_file;
  bool default_secret = secret_file.empty();
  if (default_secret) {
    secret_file = std::filesystem::path(rt.state_file).parent_path() / "roundtrip.secret";
  }
  auto secret = load_or_create_secret(secret_file, default_secret);
  if (!secret) return error(secret.failure().message);
  rt.secret = *secret;
  rt.transcript = verbose > 0;

  PluginOptions format_holder;
  format_holder.output_format = output_format;
  auto format = make_output_format(format_holder);
  if (!format) return error(format.failure().message);
  auto call = plugin_call(
      service, [rt](core::Deadline deadline) { return probes::probe_roundtrip(rt, deadline); },
      timeout, *format, rt.transcript);
  call.servers = {rt.smtp.host, rt.receive.host};
  return call;
}

}  // namespace mailprobe::plugins
