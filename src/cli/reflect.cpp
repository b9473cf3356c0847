// mailprobe reflect: the reflector, run by the mail system for each message (.forward,
// an alias pipe, a Postfix pipe transport). It reads one message on standard input.
//
// Exit codes are those a mail system understands: 0 when the message was reflected or
// ignored (never a bounce: a bounce would be backscatter), 75 (EX_TEMPFAIL) when it could
// not be handled now, so that the mail system tries again.

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <optional>

#include "cli/plugins.hpp"
#include "cli/run_plugin.hpp"
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
        boost::asio::detached);
    io.run();
    if (report && *report) {
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
  OptionParser app{name,
                   "Answers a genuine mailprobe round-trip probe read on standard input with the "
                   "time it was seen; ignores everything else."};
  probes::ReflectorOptions reflector;
  std::string smtp_host = "127.0.0.1", smtp_tls = "none", smtp_user, smtp_password_file;
  std::string smtp_password_env, ca_file, secret_file, state_file;
  int smtp_port = 0;
  bool insecure = false;
  double timeout = 30;
  int verbose = 0;
  long max_bytes = 1024 * 1024;
  app.value("--smtp-host", smtp_host, "SMTP server for reflections (default: 127.0.0.1)");
  app.value("--smtp-port", smtp_port, "Its port (default: 465 for tls, 587 with --smtp-user, 25)");
  app.value("--smtp-tls", smtp_tls, "none (default), starttls or tls");
  app.value("--smtp-user", smtp_user, "SMTP AUTH user");
  app.value("--smtp-password-file", smtp_password_file, "File with the SMTP password");
  app.value("--smtp-password-env", smtp_password_env, "Environment variable with it");
  app.value("--ca-file", ca_file, "PEM file of trusted CAs (default: the system's)");
  app.flag("--insecure", insecure, "Do not verify the SMTP server's certificate");
  app.value("--from", reflector.from, "Sender address of reflections");
  app.value("--secret-file", secret_file, "File with the secret shared with the prober");
  app.value("--state-file", state_file, "SQLite file of answered probes (against replays)");
  app.value("--max-age", reflector.max_age_seconds,
            "Seconds after which a probe is too old to answer (default: 3600)");
  app.value("--max-size", max_bytes, "Bytes beyond which a message is no probe (default: 1 MiB)");
  app.value("-t,--timeout", timeout, "Seconds for handing over the reflection (default: 30)");
  app.counter("-v,--verbose", verbose, "Say on standard error what was done and why");
  // IMAP mode: read probes from a mailbox instead of standard input.
  std::string imap_host, imap_tls = "tls", imap_user, imap_password_file, imap_password_env;
  std::string imap_mailbox = "INBOX";
  int imap_port = 0;
  bool once = false;
  app.value("--imap-host", imap_host, "Read probes from this IMAP server instead of stdin");
  app.value("--imap-port", imap_port, "Its port (default: 993 for tls, 143)");
  app.value("--imap-tls", imap_tls, "none, starttls or tls (default)");
  app.value("--imap-user", imap_user, "Mailbox user");
  app.value("--imap-password-file", imap_password_file, "File with the mailbox password");
  app.value("--imap-password-env", imap_password_env, "Environment variable with it");
  app.value("--mailbox", imap_mailbox, "Mailbox to read (default: INBOX)");
  app.flag("--once", once, "IMAP mode: answer what is there now and exit (for cron)");
  switch (app.parse(argc, argv)) {
    case OptionParser::Result::run:
      break;
    case OptionParser::Result::help:
      std::fputs(app.help().c_str(), stdout);
      return 0;
    case OptionParser::Result::version:
      std::puts(version);
      return 0;
    case OptionParser::Result::error:
      return temporary_failure(app.error());
  }
  if (reflector.from.empty()) return temporary_failure("--from is required");
  if (secret_file.empty()) return temporary_failure("--secret-file is required");
  auto secret = read_secret_file(secret_file);
  if (!secret) return temporary_failure(secret.failure().message);
  reflector.secret = *secret;
  if (state_file.empty()) return temporary_failure("--state-file is required");
  reflector.state_file = state_file;
  if (max_bytes <= 0) return temporary_failure("--max-size must be positive");
  reflector.max_message_bytes = static_cast<std::size_t>(max_bytes);
  auto mode = parse_tls_mode(smtp_tls, "--smtp-tls");
  if (!mode) return temporary_failure(mode.failure().message);
  PluginOptions server;
  server.host = smtp_host;
  server.port = smtp_port != 0                       ? smtp_port
                : *mode == probes::TlsMode::implicit ? 465
                : !smtp_user.empty()                 ? 587
                                                     : 25;
  server.ca_file = ca_file;
  server.insecure = insecure;
  server.timeout = timeout;
  auto target = make_target(server, 25);
  if (!target) return temporary_failure(target.failure().message);
  auto tls = make_tls_policy(server, *mode);
  if (!tls) return temporary_failure(tls.failure().message);
  reflector.smtp.server = *target;
  reflector.smtp.tls = *tls;
  if (!smtp_user.empty()) {
    auto password = secret_from(smtp_password_file, smtp_password_env, "--smtp-user");
    if (!password) return temporary_failure(password.failure().message);
    reflector.smtp.credentials = protocol::Credentials{smtp_user, *password};
  }

  if (!imap_host.empty()) {
    auto imap_mode = parse_tls_mode(imap_tls, "--imap-tls");
    if (!imap_mode) return temporary_failure(imap_mode.failure().message);
    PluginOptions imap_options = server;
    imap_options.host = imap_host;
    imap_options.port = imap_port != 0                            ? imap_port
                        : *imap_mode == probes::TlsMode::implicit ? 993
                                                                  : 143;
    auto imap_target = make_target(imap_options, 143);
    if (!imap_target) return temporary_failure(imap_target.failure().message);
    auto imap_tls_policy = make_tls_policy(imap_options, *imap_mode);
    if (!imap_tls_policy) return temporary_failure(imap_tls_policy.failure().message);
    if (imap_user.empty()) return temporary_failure("--imap-user is required with --imap-host");
    auto password = secret_from(imap_password_file, imap_password_env, "--imap-user");
    if (!password) return temporary_failure(password.failure().message);
    probes::ReflectorMailbox mailbox{*imap_target, *imap_tls_policy,
                                     protocol::Credentials{imap_user, *password}, imap_mailbox};
    return watch_imap(mailbox, reflector, once, verbose > 0);
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
      boost::asio::detached);
  io.run();
  if (outcome.verdict == probes::ReflectVerdict::failed) return temporary_failure(outcome.detail);
  if (verbose > 0) std::fprintf(stderr, "mailprobe reflect: %s\n", outcome.detail.c_str());
  return 0;
}

}  // namespace mailprobe::cli
