// mailprobe reflect: the reflector, run by the mail system for each message (.forward,
// an alias pipe, a Postfix pipe transport). It reads one message on standard input.
//
// Exit codes are those a mail system understands: 0 when the message was reflected or
// ignored (never a bounce: a bounce would be backscatter), 75 (EX_TEMPFAIL) when it could
// not be handled now, so that the mail system tries again.

#include "cli/reflect.hpp"

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <optional>

#include "net/spawn.hpp"
#include "plugins/leg_oauth.hpp"
#include "plugins/option_parser.hpp"
#include "plugins/plugin_options.hpp"
#include "plugins/plugins.hpp"
#include "probes/reflector.hpp"
#include "probes/reflector_imap.hpp"

namespace mailprobe::cli {

namespace {
constexpr int ex_tempfail = 75;

int temporary_failure(const std::string& message) {
  std::fprintf(stderr, "mailprobe reflect: %s\n", message.c_str());
  return ex_tempfail;
}
}  // namespace

namespace {

// IMAP mode: sessions of at most 20 minutes (renewed), until the process is stopped; a
// failed session is retried after 30 s. With `once`, one session without waiting.
int watch_imap(const probes::ReflectorMailbox& mailbox, const probes::ReflectorOptions& reflector,
               bool once, bool verbose) {
  for (;;) {
    boost::asio::io_context io(1);
    std::optional<core::Outcome<probes::WatchReport>> report;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          report = co_await probes::watch_mailbox(
              mailbox, reflector, core::Deadline::after(std::chrono::minutes(25)), once);
        },
        net::on_failure([&](const std::string& why) {
          report = core::Failure{"reflect", core::FailureKind::internal, "internal error: " + why};
        }));
    io.run();
    if (report && *report) {
      for (const auto& why : (*report)->ignored_why)
        std::fprintf(stderr, "mailprobe reflect: %s\n", why.c_str());
      for (const auto& warning : (*report)->warnings)
        std::fprintf(stderr, "mailprobe reflect: %s\n", warning.c_str());
      if (verbose) {
        std::fprintf(stderr, "mailprobe reflect: %d reflected, %d ignored\n", (*report)->reflected,
                     (*report)->ignored);
      }
      if (once) return 0;
      continue;
    }
    auto message = report ? report->failure().message : std::string("internal error");
    if (once) return temporary_failure(message);
    std::fprintf(stderr, "mailprobe reflect: %s (retrying in 30 s)\n", message.c_str());
    ::sleep(30);
  }
}

}  // namespace

int reflect(const std::string& name, int argc, const char* const* argv) {
  plugins::OptionParser app{
      name,
      "Answers a genuine mailprobe round-trip probe read on standard input with the "
      "time it was seen; ignores everything else."};
  probes::ReflectorOptions reflector;
  plugins::ServerOptions smtp{"127.0.0.1", 0, "none", "", "", ""};
  plugins::ServerOptions imap{"", 0, "tls", "", "", ""};
  plugins::OAuthOptions oauth, smtp_oauth, imap_oauth;
  std::string ca_file, secret_file, state_file, mailbox = "INBOX";
  bool insecure = false;
  bool once = false;
  double timeout = 30;
  int verbose = 0;
  long max_bytes = 1L << 20;
  plugins::add_server_options(app, smtp, "smtp",
                              "SMTP server for reflections (default: 127.0.0.1)");
  app.value("--ca-file", ca_file, "PEM file of trusted CAs (default: the system's)");
  app.flag("--insecure", insecure, "Do not verify the servers' certificates");
  app.value("--from", reflector.from, "Sender address of reflections");
  app.value("--secret-file", secret_file, "File with the secret shared with the prober");
  app.value("--state-file", state_file, "SQLite file of answered probes (against replays)");
  app.value("--max-age", reflector.max_age_seconds,
            "Seconds after which a probe is too old to answer (default: 3600)", {1, 30 * 86400});
  app.value("--max-size", max_bytes, "Bytes beyond which a message is no probe (default: 1 MiB)",
            {1, 64 * 1048576});
  app.value("-t,--timeout", timeout, "Seconds for handing over the reflection (default: 30)",
            plugins::ranges::timeout);
  app.counter("-v,--verbose", verbose, "Say on standard error what was done and why");
  // IMAP mode: probes read from a mailbox instead of standard input.
  plugins::add_server_options(app, imap, "imap",
                              "Read probes from this IMAP server instead of stdin");
  app.value("--mailbox", mailbox, "IMAP mode: the mailbox to read (default: INBOX)");
  app.flag("--once", once, "IMAP mode: answer what is there now and exit (for cron)");
  // OAuth 2.0 for both logins, or one's own.
  plugins::add_oauth_options(app, oauth);
  plugins::add_oauth_options(app, smtp_oauth, "smtp", "the SMTP login only");
  plugins::add_oauth_options(app, imap_oauth, "imap", "the IMAP login only");
  switch (app.parse(argc, argv)) {
    case plugins::OptionParser::Result::run:
      break;
    case plugins::OptionParser::Result::help:
      std::fputs(app.help().c_str(), stdout);
      return 0;
    case plugins::OptionParser::Result::version:
      std::puts(plugins::version);
      return 0;
    case plugins::OptionParser::Result::error:
      return temporary_failure(app.error());
  }
  if (reflector.from.empty()) return temporary_failure("--from is required");
  if (secret_file.empty()) return temporary_failure("--secret-file is required");
  auto secret = plugins::read_secret_file(secret_file);
  if (!secret) return temporary_failure(secret.failure().message);
  reflector.secret = *secret;
  if (state_file.empty()) return temporary_failure("--state-file is required");
  reflector.state_file = state_file;
  if (max_bytes <= 0) return temporary_failure("--max-size must be positive");
  reflector.max_message_bytes = static_cast<std::size_t>(max_bytes);
  if (timeout <= 0) return temporary_failure("-t must be positive");
  auto smtp_source = plugins::leg_token_source(oauth, smtp_oauth, smtp, smtp.user, "smtp",
                                               "the SMTP login", plugins::TokenAudience::mail);
  if (!smtp_source) return temporary_failure(smtp_source.failure().message);
  reflector.smtp_oauth = *smtp_source;
  auto server = plugins::make_server(smtp, "smtp", {465, 587, 25}, ca_file, insecure, false,
                                     reflector.smtp_oauth != nullptr);
  if (!server) return temporary_failure(server.failure().message);
  reflector.smtp = {server->target, server->tls, server->credentials, ""};

  if (!imap.host.empty()) {
    auto imap_source = plugins::leg_token_source(oauth, imap_oauth, imap, imap.user, "imap",
                                                 "the IMAP login", plugins::TokenAudience::mail);
    if (!imap_source) return temporary_failure(imap_source.failure().message);
    auto source = plugins::make_server(imap, "imap", {993, 143, 143}, ca_file, insecure, true,
                                       *imap_source != nullptr);
    if (!source) return temporary_failure(source.failure().message);
    probes::ReflectorMailbox watched{source->target, source->tls, *source->credentials, mailbox,
                                     *imap_source};
    return watch_imap(watched, reflector, once, verbose > 0);
  }
  if (imap_oauth.given()) return temporary_failure("--imap-oauth-* needs --imap-host");
  if (oauth.given() && !reflector.smtp_oauth) {
    return temporary_failure("--oauth-* needs a login to use it: --smtp-user or --imap-host");
  }

  // One message, read whole but bounded: anything longer is no probe.
  std::string message;
  char buffer[65536];
  ssize_t n = 0;
  while ((n = ::read(STDIN_FILENO, buffer, sizeof buffer)) > 0) {
    if (message.size() <= reflector.max_message_bytes) {
      message.append(buffer, static_cast<std::size_t>(n));
    }
  }

  boost::asio::io_context io(1);
  probes::ReflectOutcome outcome;
  auto budget = std::chrono::duration_cast<core::Deadline::clock::duration>(
      std::chrono::duration<double>(timeout));
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        outcome = co_await probes::reflect_message(std::move(message), reflector,
                                                   core::Deadline::after(budget));
      },
      net::on_failure([&](const std::string& why) {
        outcome = {probes::ReflectVerdict::failed, "internal error: " + why};
      }));
  io.run();
  if (outcome.verdict == probes::ReflectVerdict::failed) return temporary_failure(outcome.detail);
  if (verbose > 0) std::fprintf(stderr, "mailprobe reflect: %s\n", outcome.detail.c_str());
  return 0;
}

}  // namespace mailprobe::cli
