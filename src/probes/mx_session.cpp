// check_mx's SMTP session with one MX address, as a sending MTA has it: banner, EHLO,
// STARTTLS when offered, the handshake (chain kept for PKIX and DANE), EHLO again, QUIT.

#include <boost/asio/this_coro.hpp>

#include "net/connection.hpp"
#include "probes/common.hpp"
#include "probes/mx_parts.hpp"
#include "protocol/smtp_client.hpp"

namespace mailprobe::probes::mx {

namespace {
using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return core::seconds(Clock::now() - start);
}

}  // namespace

boost::asio::awaitable<Session> talk_to(std::string host, std::string address,
                                        const MxOptions& options, core::Deadline deadline,
                                        std::vector<std::string>* transcript) {
  Session session;
  session.host = host;
  session.address = address;
  auto executor = co_await boost::asio::this_coro::executor;
  net::Connection connection(executor, deadline);
  if (transcript != nullptr) connection.set_transcript(transcript);
  protocol::SmtpClient smtp(connection);

  auto connected = co_await connection.connect(address, options.port, net::AddressFamily::any);
  if (!connected) {
    session.failure = connected.failure();
    co_return session;
  }
  session.connect_seconds = connected->connect_seconds;
  auto banner_started = Clock::now();
  auto banner = co_await smtp.read_reply({"banner", "the SMTP banner"});
  if (!banner) {
    session.failure = banner.failure();
    co_return session;
  }
  session.banner_seconds = since(banner_started);
  if (banner->code != 220) {
    session.failure = core::Failure{"banner", core::FailureKind::rejected,
                                    "the server refuses mail: " + banner->first_line()};
    co_await smtp.quit();
    co_await connection.close();
    co_return session;
  }
  auto helo = options.helo_name.empty() ? local_host_name() : options.helo_name;
  auto capabilities = co_await smtp.hello(helo);
  if (!capabilities) {
    session.failure = capabilities.failure();
    co_return session;
  }
  session.starttls_offered = capabilities->has("STARTTLS");
  if (session.starttls_offered) {
    auto tls_started = Clock::now();
    // SNI and the PKIX name check are the MX host name (RFC 7672 section 8.1).
    auto facts = co_await smtp.starttls(*options.smtp_tls, host);
    if (!facts) {
      session.tls_failure = facts.failure();
      co_return session;
    }
    session.tls_seconds = since(tls_started);
    session.chain = connection.peer_chain();
    session.tls = std::move(*facts);
    // RFC 3207 section 4.2: EHLO again; a server that fails it fails senders too.
    auto again = co_await smtp.hello(helo);
    if (!again) {
      session.tls_failure = again.failure();
      co_return session;
    }
  }
  co_await smtp.quit();
  co_await connection.close();
  co_return session;
}

}  // namespace mailprobe::probes::mx
