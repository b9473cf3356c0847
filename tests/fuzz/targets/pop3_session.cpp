// The POP3 client as the round trip's receiving half uses it: greeting, USER/PASS or
// AUTH (PLAIN, XOAUTH2 with its SASL continuation), UIDL, TOP of each listed message
// (multi-line answers, dot-unstuffing, their bounds), DELE, QUIT; and check_pop's login.
#include "fuzz_target.hpp"
#include "loopback.hpp"
#include "probes/mailbox_session.hpp"
#include "protocol/pop3_client.hpp"

namespace {

boost::asio::io_context io;
mailprobe::fuzz::LoopbackServer server(io);

boost::asio::awaitable<void> mailbox(std::uint16_t port, std::string mechanism) {
  using namespace mailprobe;
  net::Connection connection(co_await boost::asio::this_coro::executor, fuzz::session_deadline());
  protocol::Pop3Client pop3(connection);
  probes::Target target{"127.0.0.1", port, net::AddressFamily::ipv4};
  protocol::Credentials credentials{"probe@example.org", "secret"};
  probes::TlsPolicy plain;  // named: a temporary would not outlive the co_await under GCC 12
  if (mechanism.empty()) {
    auto opened = co_await probes::open_pop3(connection, pop3, target, plain, credentials);
    if (!opened) co_return;
  } else {
    auto connected = co_await connection.connect(target.host, target.port, target.family);
    if (!connected) co_return;
    auto greeting = co_await pop3.read_status({"greeting", "the POP3 greeting"});
    if (!greeting) co_return;
    auto caps = co_await pop3.capabilities();
    if (!caps) co_return;
    auto login = co_await pop3.login(credentials, mechanism);
    if (!login) co_return;
  }
  auto listed = co_await pop3.uidl();
  if (!listed) co_return;
  for (const auto& entry : *listed) {
    auto headers = co_await pop3.headers(entry.number);
    if (!headers) co_return;
    auto deleted = co_await pop3.dele(entry.number);
    if (!deleted) co_return;
  }
  co_await pop3.quit();
}

}  // namespace

MAILPROBE_FUZZ_TARGET(pop3_session) {
  auto [selector, script] = mailprobe::fuzz::select(data, size);
  static const char* mechanisms[] = {"", "PLAIN", "XOAUTH2", ""};
  if ((selector & 4) != 0) {
    server.play(std::string(script), mailprobe::fuzz::service_check(
                                         server.port(), mailprobe::probes::MailProtocol::pop3));
  } else {
    server.play(std::string(script), mailbox(server.port(), mechanisms[selector & 3]));
  }
  return 0;
}
