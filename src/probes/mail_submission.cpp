#include "probes/mail_submission.hpp"

#include <boost/asio/this_coro.hpp>

#include "net/connection.hpp"
#include "protocol/smtp_client.hpp"

namespace mailprobe::probes {

boost::asio::awaitable<core::Outcome<Submitted>> submit_message(
    const SubmissionSettings& settings, std::string from, std::string to, std::string message,
    core::Deadline deadline, std::vector<std::string>* transcript,
    std::function<core::Status()> before_data, LoginToken* token) {
  auto credentials = settings.credentials;
  if (credentials) {
    // OAUTHBEARER names the server as the client reached it (RFC 7628 section 3.1).
    credentials->host = settings.tls.name_for(settings.server);
    credentials->port = settings.server.port;
    // The token first, so that the server does not wait for the token endpoint.
    if (token != nullptr) {
      auto filled = co_await token->fill(*credentials);
      if (!filled) co_return filled.failure();
    }
  }
  auto executor = co_await boost::asio::this_coro::executor;
  net::Connection connection(executor, deadline);
  connection.set_transcript(transcript);
  protocol::SmtpClient smtp(connection);

  auto connected = co_await connection.connect(settings.server.host, settings.server.port,
                                               settings.server.family);
  if (!connected) co_return connected.failure();
  auto name = settings.tls.name_for(settings.server);
  if (settings.tls.mode == TlsMode::implicit) {
    auto facts = co_await connection.start_tls(*settings.tls.context, name);
    if (!facts) co_return facts.failure();
  }
  auto banner = co_await smtp.read_reply({"banner", "the SMTP banner"});
  if (!banner) co_return banner.failure();
  if (banner->code != 220) {
    co_return core::Failure{"banner", core::FailureKind::rejected,
                            "SMTP banner: " + banner->first_line()};
  }
  auto helo = settings.helo.empty() ? local_host_name() : settings.helo;
  auto capabilities = co_await smtp.hello(helo);
  if (!capabilities) co_return capabilities.failure();
  if (settings.tls.mode == TlsMode::starttls) {
    if (!capabilities->has("STARTTLS")) {
      co_return core::Failure{"starttls", core::FailureKind::rejected,
                              "the SMTP server does not offer STARTTLS in its EHLO reply"};
    }
    auto facts = co_await smtp.starttls(*settings.tls.context, name);
    if (!facts) co_return facts.failure();
    capabilities = co_await smtp.hello(helo);
    if (!capabilities) co_return capabilities.failure();
  }
  if (credentials) {
    auto mechanism = protocol::choose_auth_mechanism(*capabilities, "", credentials->token);
    if (!mechanism) co_return mechanism.failure();
    auto authenticated = co_await smtp.authenticate(*mechanism, *credentials);
    if (!authenticated && token != nullptr) {
      auto renewed = co_await token->renew_after(authenticated.failure(), *credentials);
      if (!renewed) co_return renewed.failure();
      if (*renewed) authenticated = co_await smtp.authenticate(*mechanism, *credentials);
    }
    if (!authenticated) co_return authenticated.failure();
  }
  if (before_data) {
    auto ready = before_data();
    if (!ready) co_return ready.failure();
  }
  auto accepted = co_await smtp.send_mail(from, to, message);
  if (!accepted) co_return accepted.failure();
  Submitted submitted{std::move(*accepted), std::chrono::steady_clock::now(), connection.peer()};
  co_await smtp.quit();
  co_await connection.close();
  co_return submitted;
}

}  // namespace mailprobe::probes
