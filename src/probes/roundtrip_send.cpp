// The sending half of a round trip: one probe through SMTP, recorded in the state file
// before it leaves, marked sent at the server's final 250.

#include "core/format.hpp"
#include "probes/mail_submission.hpp"
#include "probes/roundtrip_run.hpp"

namespace mailprobe::probes::roundtrip {

namespace {

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
  auto probe = make_probe(options.from, options.to, secret, std::chrono::system_clock::now());
  run.probe_id = probe.id;
  SubmissionSettings settings{options.smtp, options.smtp_tls, options.smtp_credentials,
                              options.helo};
  // Recorded before it leaves: if this run dies mid-way, a later run still knows it.
  auto record = [&]() {
    return run.state.record_sending(probe.id, unix_ms(std::chrono::system_clock::now()));
  };
  auto submitted =
      co_await submit_message(settings, options.from, options.to, probe.text, run.deadline,
                              options.transcript ? &run.result.transcript : nullptr, record);
  if (!submitted) {
    const auto& failure = submitted.failure();
    // Refused: it will never arrive. Lost in transit (no final reply): it may.
    if (failure.kind == core::FailureKind::rejected || failure.phase != "data") {
      run.state.forget(probe.id);
    }
    run.result.subchecks.push_back({core::State::critical, "send: " + failure.message, {}});
    if (!run.result.failure) run.result.failure = failure;
    co_return;
  }
  run.accepted_at = submitted->accepted_at;
  run.accepted_ms =
      unix_ms(std::chrono::system_clock::now()) -
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - submitted->accepted_at)
          .count();
  run.send_ok = true;
  run.state.record_sent(probe.id, run.accepted_ms, monotonic_ns(), current_boot_id());
  auto send_seconds = core::seconds(submitted->accepted_at - started);
  run.result.add_timing("send", send_seconds);
  run.result.subchecks.push_back({core::State::ok,
                                  "sent to " + options.to + " via " + submitted->peer + " in " +
                                      core::format_number(send_seconds, 3) +
                                      " s: " + submitted->reply.first_line(),
                                  {}});
}

}  // namespace mailprobe::probes::roundtrip
