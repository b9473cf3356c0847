#include "probes/mailbox_session.hpp"

namespace mailprobe::probes {

namespace {
// Connects and, for implicit TLS, shakes hands at once.
boost::asio::awaitable<core::Status> connect(net::Connection& connection, const Target& server,
                                             const TlsPolicy& tls) {
  connection.set_read_limit(mailbox_read_limit);
  auto connected = co_await connection.connect(server.host, server.port, server.family);
  if (!connected) co_return connected.failure();
  if (tls.mode == TlsMode::implicit) {
    auto facts = co_await connection.start_tls(*tls.context, tls.name_for(server));
    if (!facts) co_return facts.failure();
  }
  co_return core::success();
}
}  // namespace

boost::asio::awaitable<core::Status> open_imap(net::Connection& connection,
                                               protocol::ImapClient& imap, const Target& server,
                                               const TlsPolicy& tls,
                                               const protocol::Credentials& credentials) {
  auto connected = co_await connect(connection, server, tls);
  if (!connected) co_return connected.failure();
  auto greeting = co_await imap.read_greeting();
  if (!greeting) co_return greeting.failure();
  if (tls.mode == TlsMode::starttls) {
    auto facts = co_await imap.starttls(*tls.context, tls.name_for(server));
    if (!facts) co_return facts.failure();
  }
  auto caps = co_await imap.capabilities();
  if (!caps) co_return caps.failure();
  co_return co_await imap.login(credentials, "", *caps);
}

boost::asio::awaitable<core::Status> open_pop3(net::Connection& connection,
                                               protocol::Pop3Client& pop3, const Target& server,
                                               const TlsPolicy& tls,
                                               const protocol::Credentials& credentials) {
  auto connected = co_await connect(connection, server, tls);
  if (!connected) co_return connected.failure();
  auto greeting = co_await pop3.read_status({"greeting", "the POP3 greeting"});
  if (!greeting) co_return greeting.failure();
  if (!greeting->ok()) {
    co_return core::Failure{"greeting", core::FailureKind::rejected,
                            "POP3 greeting: " + greeting->line};
  }
  if (tls.mode == TlsMode::starttls) {
    auto facts = co_await pop3.stls(*tls.context, tls.name_for(server));
    if (!facts) co_return facts.failure();
  }
  co_return co_await pop3.login(credentials, "");
}

}  // namespace mailprobe::probes
