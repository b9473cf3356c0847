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

// The token first, so that the server does not wait for the token endpoint; OAUTHBEARER
// names the server as the client reached it (RFC 7628 section 3.1).
boost::asio::awaitable<core::Status> prepare(protocol::Credentials& credentials,
                                             const Target& server, const TlsPolicy& tls,
                                             LoginToken* token) {
  credentials.host = tls.name_for(server);
  credentials.port = server.port;
  if (token == nullptr) co_return core::success();
  co_return co_await token->fill(credentials);
}

// A token goes by OAUTHBEARER when offered, else XOAUTH2; a password by LOGIN or USER ("").
std::string mechanism_for(const protocol::Credentials& credentials,
                          const std::vector<std::string>& offered) {
  if (!credentials.token) return "";
  return protocol::choose_bearer_mechanism(offered).value_or("XOAUTH2");
}
}  // namespace

boost::asio::awaitable<core::Status> open_imap(net::Connection& connection,
                                               protocol::ImapClient& imap, const Target& server,
                                               const TlsPolicy& tls,
                                               protocol::Credentials credentials,
                                               LoginToken* token) {
  auto prepared = co_await prepare(credentials, server, tls, token);
  if (!prepared) co_return prepared.failure();
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
  auto mechanism = mechanism_for(credentials, protocol::sasl_mechanisms(*caps));
  auto login = co_await imap.login(credentials, mechanism, *caps);
  if (login || token == nullptr) co_return login;
  auto renewed = co_await token->renew_after(login.failure(), credentials);
  if (!renewed) co_return renewed.failure();
  if (!*renewed) co_return login;
  co_return co_await imap.login(credentials, mechanism, *caps);
}

boost::asio::awaitable<core::Status> open_pop3(net::Connection& connection,
                                               protocol::Pop3Client& pop3, const Target& server,
                                               const TlsPolicy& tls,
                                               protocol::Credentials credentials,
                                               LoginToken* token) {
  auto prepared = co_await prepare(credentials, server, tls, token);
  if (!prepared) co_return prepared.failure();
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
  std::string mechanism;
  if (credentials.token) {
    // The mechanisms are in CAPA's SASL line (RFC 5034 section 5).
    auto caps = co_await pop3.capabilities();
    if (!caps) co_return caps.failure();
    mechanism = mechanism_for(credentials, protocol::sasl_mechanisms_of_capa(*caps));
  }
  auto login = co_await pop3.login(credentials, mechanism);
  if (login || token == nullptr) co_return login;
  auto renewed = co_await token->renew_after(login.failure(), credentials);
  if (!renewed) co_return renewed.failure();
  if (!*renewed) co_return login;
  co_return co_await pop3.login(credentials, mechanism);
}

}  // namespace mailprobe::probes
