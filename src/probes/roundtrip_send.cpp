// The sending half of a round trip: one probe through SMTP (or Microsoft Graph's
// sendMail), recorded in the state file before it leaves, marked sent at the server's final
// 250 (Graph: its 202 Accepted).

#include <boost/asio/this_coro.hpp>

#include "core/format.hpp"
#include "probes/mail_submission.hpp"
#include "probes/roundtrip_run.hpp"

namespace mailprobe::probes::roundtrip {

namespace asio = boost::asio;

namespace {

struct Finish {
  Run& run;
  ~Finish() {
    run.send_done = true;
    run.send_finished.cancel();
  }
};

// A probe the server took: when, and how it was handed over, for the subcheck.
struct Handed {
  Clock::time_point accepted_at;
  std::string via;     // "127.0.0.1:587", "Graph sendMail as a@b (192.0.2.1:443)"
  std::string answer;  // "250 2.0.0 Ok: queued as ...", "202 Accepted"
};

using Record = std::function<core::Status()>;

// SMTP: refused, it will never arrive; lost in transit (no final reply to DATA), it may.
bool never_arrives_smtp(const core::Failure& failure) {
  return failure.kind == core::FailureKind::rejected || failure.phase != "data";
}

// Graph: an answer (an error) means it was not taken; the request sent but no answer read
// (phase "http") means it may have been.
bool never_arrives_graph(const core::Failure& failure) {
  return failure.phase != "http";
}

asio::awaitable<core::Outcome<Handed>> hand_to_smtp(Run& run, const ProbeMessage& probe,
                                                    Record record, LoginToken& login) {
  const auto& options = run.options;
  SubmissionSettings settings{options.smtp, options.smtp_tls, options.smtp_credentials,
                              options.helo};
  auto submitted = co_await submit_message(
      settings, options.from, options.to, probe.text, run.deadline,
      options.transcript ? &run.result.transcript : nullptr, record, &login);
  if (!submitted) co_return submitted.failure();
  co_return Handed{submitted->accepted_at, submitted->peer, submitted->reply.first_line()};
}

// The probe as Graph's message JSON: its subject, body and token header. Auto-Submitted
// cannot be set this way (Graph takes only "x-" headers); X-Auto-Response-Suppress is
// Exchange's own way to keep automatic replies away.
protocol::graph::OutgoingMessage graph_message(const RoundTripOptions& options,
                                               const ProbeMessage& probe) {
  protocol::graph::OutgoingMessage message;
  message.from = options.from;
  message.to = {options.to};
  message.subject = header_value(probe.text, "Subject").value_or("");
  message.body = std::string(std::string_view(probe.text).substr(header_block(probe.text).size()));
  if (message.body.rfind("\r\n", 0) == 0) message.body.erase(0, 2);
  message.headers.emplace_back(probe_header, header_value(probe.text, probe_header).value_or(""));
  message.headers.emplace_back("X-Auto-Response-Suppress", "All");
  return message;
}

asio::awaitable<core::Outcome<Handed>> hand_to_graph(Run& run, const ProbeMessage& probe,
                                                     Record record, LoginToken& login) {
  const auto& options = run.options;
  auto endpoint = graph_endpoint(options);
  if (!endpoint) co_return endpoint.failure();
  auto credentials = *options.smtp_credentials;
  auto token = co_await graph_access_token(login, credentials);
  if (!token) co_return token.failure();
  protocol::graph::Client client(co_await asio::this_coro::executor, *endpoint, *token,
                                 run.deadline);
  if (options.transcript) client.set_transcript(&run.result.transcript);
  if (auto recorded = record(); !recorded) co_return recorded.failure();
  auto message = graph_message(options, probe);
  auto sent = co_await client.send_mail(credentials.user, message);
  if (!sent) {
    // Refused with 401, the message was not taken: with a renewed token it is sent again.
    auto renewed = co_await renew_graph_token(login, credentials, client, sent.failure());
    if (!renewed) {
      sent = renewed.failure();
    } else if (*renewed) {
      sent = co_await client.send_mail(credentials.user, message);
    }
  }
  auto accepted_at = Clock::now();
  co_await client.close();
  if (client.throttled_count() > 0) {
    run.result.notes.push_back("Graph throttled sendMail " +
                               std::to_string(client.throttled_count()) + " time(s): waited " +
                               core::format_seconds(client.throttled_seconds()) +
                               " as Retry-After asked");
  }
  if (!sent) co_return sent.failure();
  co_return Handed{accepted_at,
                   "Graph sendMail as " + credentials.user + " (" + client.peer() + ")",
                   "202 Accepted"};
}

}  // namespace

boost::asio::awaitable<void> send_probe(Run& run, std::string secret) {
  Finish finish{run};
  const auto& options = run.options;
  auto started = Clock::now();
  auto probe = make_probe(options.from, options.to, secret, std::chrono::system_clock::now());
  run.probe_id = probe.id;
  // Recorded before it leaves: if this run dies mid-way, a later run still knows it.
  auto record = [&]() {
    return run.state.record_sending(probe.id, unix_ms(std::chrono::system_clock::now()));
  };
  bool graph = options.send_protocol == SendProtocol::graph;
  LoginToken login(options.smtp_oauth, run.result, "send_token", options.transcript, run.deadline);
  // Not `graph ? co_await ... : co_await ...`: GCC 12 destroys that result twice.
  core::Outcome<Handed> handed = core::Failure{"send", core::FailureKind::internal, ""};
  if (graph) {
    handed = co_await hand_to_graph(run, probe, record, login);
  } else {
    handed = co_await hand_to_smtp(run, probe, record, login);
  }
  if (!handed) {
    const auto& failure = handed.failure();
    if (graph ? never_arrives_graph(failure) : never_arrives_smtp(failure)) {
      run.state.forget(probe.id);
    }
    run.result.subchecks.push_back({core::State::critical, "send: " + failure.message, {}});
    if (!run.result.failure) run.result.failure = failure;
    co_return;
  }
  run.accepted_at = handed->accepted_at;
  run.accepted_ms =
      unix_ms(std::chrono::system_clock::now()) -
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - handed->accepted_at)
          .count();
  run.send_ok = true;
  run.state.record_sent(probe.id, run.accepted_ms, monotonic_ns(), current_boot_id());
  // The token's time is its own phase (send_token), not the mail system's.
  auto send_seconds = core::seconds(handed->accepted_at - started) - login.seconds();
  run.result.add_timing("send", send_seconds);
  run.result.subchecks.push_back({core::State::ok,
                                  "sent to " + options.to + " via " + handed->via + " in " +
                                      core::format_number(send_seconds, 3) +
                                      " s: " + handed->answer,
                                  {}});
}

}  // namespace mailprobe::probes::roundtrip
