// The Notifier's deliveries: one queue per channel, address and check (so that a problem
// and its recovery arrive in order), retries, and the three channels themselves.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include "daemon/log.hpp"
#include "daemon/notifier.hpp"
#include "plugins/plugins.hpp"
#include "probes/login_token.hpp"
#include "probes/mail_submission.hpp"
#include "probes/run_command.hpp"
#include "protocol/http_client.hpp"

namespace mailprobe::daemon {

namespace http = boost::beast::http;

void Notifier::enqueue(Delivery delivery) {
  ++delivery.outcome->pending;
  auto key = delivery.channel + "\n" + delivery.address + "\n" + delivery.check;
  auto& queue = queues_[key];
  queue.push_back(std::move(delivery));
  ++in_flight_;
  if (queue.size() == 1) {
    asio::co_spawn(executor_, drain(key),
                   log_failure("notify: delivering to " + queue.back().channel));
  }
}

asio::awaitable<void> Notifier::drain(std::string key) {
  // Only this coroutine removes the key, so the queue stays where it is while it waits.
  auto& queue = queues_[key];
  while (!queue.empty()) {
    auto sent = co_await deliver(queue.front());
    auto outcome = queue.front().outcome;
    queue.pop_front();
    --in_flight_;
    outcome->delivered = outcome->delivered || sent;
    if (--outcome->pending == 0) outcome->done(outcome->delivered);
  }
  queues_.erase(key);
}

asio::awaitable<bool> Notifier::deliver(const Delivery& delivery) {
  asio::steady_timer pause(executor_);
  const auto& delays = retry_delays();
  bool sent = false;
  for (std::size_t i = 0; i < delays.size() && !sent; ++i) {
    if (delays[i].count() > 0) {
      pause.expires_after(delays[i]);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    auto status = co_await delivery.attempt();
    if (status) {
      sent = true;
    } else {
      std::string line = "notify: ";
      line += delivery.channel;
      line += " " + delivery.destination + ": attempt " + std::to_string(i + 1);
      line += " of " + std::to_string(delays.size());
      line += " failed: " + status.failure().message;
      log(line, Priority::warning);
    }
  }
  ++counts_[{delivery.channel, sent ? "sent" : "failed"}];
  if (sent) log("notify: " + delivery.channel + " " + delivery.destination + ": sent");
  co_return sent;
}

asio::awaitable<core::Status> Notifier::send_webhook(const WebhookConfig& webhook,
                                                     std::string body) {
  protocol::HttpRequest request(http::verb::post, webhook.target.target, 11);
  request.set(http::field::user_agent, plugins::version);
  request.set(http::field::content_type, "application/json");
  if (!webhook.bearer_token.empty()) {
    request.set(http::field::authorization, "Bearer " + webhook.bearer_token);
  }
  request.body() = std::move(body);
  request.prepare_payload();
  auto answer = co_await protocol::exchange_once(
      executor_, protocol::http_endpoint(webhook.target, webhook.tls),
      core::Deadline::after_seconds(webhook.timeout_seconds), std::move(request), "the webhook");
  if (!answer) co_return answer.failure();
  if (answer->status < 200 || answer->status > 299) {
    co_return core::Failure{"webhook", core::FailureKind::rejected,
                            protocol::status_line(answer->status, answer->reason)};
  }
  co_return core::success();
}

asio::awaitable<core::Status> Notifier::send_command(const CommandConfig& command,
                                                     std::vector<std::string> environment) {
  auto output = co_await probes::run_command(command.argv, std::move(environment),
                                             core::Deadline::after_seconds(command.timeout_seconds),
                                             4096, probes::Inherit::basic);
  if (!output) co_return output.failure();
  if (output->exit_status != 0) {
    auto tail = output->output;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r'))
      tail.pop_back();
    if (auto newline = tail.rfind('\n'); newline != std::string::npos) tail.erase(0, newline + 1);
    co_return core::Failure{
        "command", core::FailureKind::rejected,
        "exit status " + std::to_string(output->exit_status) + (tail.empty() ? "" : ": " + tail)};
  }
  co_return core::success();
}

asio::awaitable<core::Status> Notifier::send_email(const EmailConfig& email, const std::string& to,
                                                   std::string message) {
  auto deadline = core::Deadline::after_seconds(email.timeout_seconds);
  // With oauth: the token, from the daemon's cache or fetched, renewed once if refused.
  core::ProbeResult login;
  probes::LoginToken token(email.oauth, login, "token", false, deadline);
  auto submitted = co_await probes::submit_message(
      email.submission, email.from, to, std::move(message), deadline, nullptr, {}, &token);
  for (const auto& subcheck : login.subchecks) {
    if (subcheck.state != core::State::ok) {
      log("notify: email " + to + ": " + subcheck.summary, Priority::warning);
    }
  }
  if (!submitted) co_return submitted.failure();
  co_return core::success();
}

}  // namespace mailprobe::daemon
