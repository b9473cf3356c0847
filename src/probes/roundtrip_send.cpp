// The sending half of a round trip: one probe through SMTP, recorded in the state file
// before it leaves, marked sent at the server's final 250.

#include <unistd.h>

#include <boost/asio/this_coro.hpp>

#include "core/format.hpp"
#include "net/connection.hpp"
#include "probes/roundtrip_run.hpp"
#include "protocol/smtp_client.hpp"

namespace mailprobe::probes::roundtrip {

namespace {

std::string local_host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

struct Finish {
  Run& run;
  ~Finish() {
    run.send_done = true;
    run.send_finished.cancel();
  }
};

}  // namespace

boost::asio::awaitable<void> send_probe(Run& run, std::string secret) {
  Finish finish{run};
  const auto& options = run.options;
  auto started = Clock::now();
  auto executor = co_await boost::asio::this_coro::executor;
  net::Connection connection(executor, run.deadline);
  if (options.transcript) connection.set_transcript(&run.result.transcript);
  protocol::SmtpClient smtp(connection);
  auto fail = [&](const core::Failure& failure) {
    run.result.subchecks.push_back({core::State::critical, "send: " + failure.message, {}});
    if (!run.result.failure) run.result.failure = failure;
  };

  auto connected =
      co_await connection.connect(options.smtp.host, options.smtp.port, options.smtp.family);
  if (!connected) {
    fail(connected.failure());
    co_return;
  }
  auto name = options.smtp_tls.name_for(options.smtp);
  if (options.smtp_tls.mode == TlsMode::implicit) {
    auto facts = co_await connection.start_tls(*options.smtp_tls.context, name);
    if (!facts) {
      fail(facts.failure());
      co_return;
    }
  }
  auto banner = co_await smtp.read_reply({"banner", "the SMTP banner"});
  if (!banner) {
    fail(banner.failure());
    co_return;
  }
  if (banner->code != 220) {
    fail({"banner", core::FailureKind::rejected, "SMTP banner: " + banner->first_line()});
    co_return;
  }
  auto helo = options.helo.empty() ? local_host_name() : options.helo;
  auto capabilities = co_await smtp.hello(helo);
  if (!capabilities) {
    fail(capabilities.failure());
    co_return;
  }
  if (options.smtp_tls.mode == TlsMode::starttls) {
    if (!capabilities->has("STARTTLS")) {
      fail({"starttls", core::FailureKind::rejected,
            "the SMTP server does not offer STARTTLS in its EHLO reply"});
      co_return;
    }
    auto facts = co_await smtp.starttls(*options.smtp_tls.context, name);
    if (!facts) {
      fail(facts.failure());
      co_return;
    }
    capabilities = co_await smtp.hello(helo);
    if (!capabilities) {
      fail(capabilities.failure());
      co_return;
    }
  }
  if (options.smtp_credentials) {
    auto mechanism = protocol::choose_auth_mechanism(*capabilities, "", false);
    if (!mechanism) {
      fail(mechanism.failure());
      co_return;
    }
    auto authenticated = co_await smtp.authenticate(*mechanism, *options.smtp_credentials);
    if (!authenticated) {
      fail(authenticated.failure());
      co_return;
    }
  }

  auto probe = make_probe(options.from, options.to, secret, std::chrono::system_clock::now());
  run.probe_id = probe.id;
  // Recorded before it leaves: if this run dies mid-way, a later run still knows it.
  auto recorded = run.state.record_sending(probe.id, unix_ms(std::chrono::system_clock::now()));
  if (!recorded) {
    fail(recorded.failure());
    co_return;
  }
  auto accepted = co_await smtp.send_mail(options.from, options.to, probe.text);
  if (!accepted) {
    // Refused: it will never arrive. Lost in transit (no final reply): it may.
    if (accepted.failure().kind == core::FailureKind::rejected ||
        accepted.failure().phase != "data") {
      run.state.forget(probe.id);
    }
    fail(accepted.failure());
    co_return;
  }
  run.accepted_at = Clock::now();
  run.accepted_ms = unix_ms(std::chrono::system_clock::now());
  run.send_ok = true;
  run.state.record_sent(probe.id, run.accepted_ms, monotonic_ns(), current_boot_id());
  auto send_seconds = core::seconds(*run.accepted_at - started);
  run.result.add_timing("send", send_seconds);
  run.result.subchecks.push_back(
      {core::State::ok,
       "sent to " + options.to + " via " + connection.peer() + " in " +
           core::format_number(send_seconds, 3) + " s: " + accepted->first_line(),
       {}});
  co_await smtp.quit();
  co_await connection.close();
}

}  // namespace mailprobe::probes::roundtrip
