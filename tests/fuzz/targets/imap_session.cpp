// The IMAP client as the round trip and the reflector use it: greeting (with or without
// CAPABILITY), login (LOGIN, AUTHENTICATE PLAIN or XOAUTH2, with or without SASL-IR),
// SELECT, UID SEARCH, UID FETCH of header fields with literals, IDLE (EXISTS while idle,
// DONE), UID STORE/EXPUNGE, LOGOUT: untagged data, response codes, literals and the
// client's bounds on all of them. The selector picks the path.
#include "fuzz_target.hpp"
#include "loopback.hpp"
#include "probes/mailbox_session.hpp"
#include "protocol/imap_client.hpp"
#include "protocol/imap_mailbox.hpp"

namespace {

boost::asio::io_context io;
mailprobe::fuzz::LoopbackServer server(io);

boost::asio::awaitable<void> mailbox(std::uint16_t port, std::uint8_t selector) {
  using namespace mailprobe;
  net::Connection connection(co_await boost::asio::this_coro::executor, fuzz::session_deadline());
  protocol::ImapClient imap(connection);
  probes::Target target{"127.0.0.1", port, net::AddressFamily::ipv4};
  protocol::Credentials credentials{"probe@example.org", "secret"};
  probes::TlsPolicy plain;  // named: a temporary would not outlive the co_await under GCC 12
  static const char* mechanisms[] = {"", "LOGIN", "PLAIN", "XOAUTH2"};
  std::string mechanism = mechanisms[selector & 3];
  if (mechanism.empty()) {
    auto opened = co_await probes::open_imap(connection, imap, target, plain, credentials);
    if (!opened) co_return;
  } else {
    auto connected = co_await connection.connect(target.host, target.port, target.family);
    if (!connected) co_return;
    auto greeting = co_await imap.read_greeting();
    if (!greeting) co_return;
    auto caps = co_await imap.capabilities();
    if (!caps) co_return;
    auto login = co_await imap.login(credentials, mechanism, *caps);
    if (!login) co_return;
  }
  auto caps = co_await imap.capabilities();
  if (!caps) co_return;
  auto status = co_await protocol::select_mailbox(imap, "INBOX", (selector & 4) != 0);
  if (!status) co_return;
  auto uids = co_await protocol::search_header(imap, "X-Mailprobe-Probe", status->uid_next / 2);
  if (!uids) co_return;
  if (!uids->empty()) {
    auto fetched = co_await protocol::fetch_headers(imap, *uids, "X-Mailprobe-Probe Date");
    if (!fetched) co_return;
  }
  if ((selector & 8) != 0) {
    auto started = co_await imap.idle_start();
    if (!started) co_return;
    auto news =
        co_await imap.idle_wait(std::chrono::steady_clock::now() + std::chrono::milliseconds(20));
    if (!news) co_return;
    auto done = co_await imap.idle_done();
    if (!done) co_return;
  }
  if (!uids->empty()) {
    auto deleted =
        co_await protocol::delete_messages(imap, *uids, protocol::has_capability(*caps, "UIDPLUS"));
    if (!deleted) co_return;
  }
  co_await imap.logout();
}

}  // namespace

MAILPROBE_FUZZ_TARGET(imap_session) {
  auto [selector, script] = mailprobe::fuzz::select(data, size);
  if ((selector & 16) != 0) {
    server.play(std::string(script), mailprobe::fuzz::service_check(
                                         server.port(), mailprobe::probes::MailProtocol::imap));
  } else {
    server.play(std::string(script), mailbox(server.port(), selector));
  }
  return 0;
}
