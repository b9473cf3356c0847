#include "support/servers.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace mailprobe::test {

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

template <class Stream>
asio::awaitable<void> send_on(Stream& stream, std::string_view data) {
  co_await asio::async_write(stream, asio::buffer(data.data(), data.size()), use_tuple);
}

template <class Stream>
asio::awaitable<std::string> receive_line_on(Stream& stream) {
  std::string line;
  char c = 0;
  // Byte at a time is fine for test servers and never reads past the line, so a
  // following TLS handshake starts at the right byte.
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(&c, 1), use_tuple);
    if (ec || n == 0) co_return line;
    if (c == '\n') break;
    line += c;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  co_return line;
}

template <class Stream>
asio::awaitable<void> drain_on(Stream& stream) {
  char buffer[4096];
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(buffer), use_tuple);
    if (ec) co_return;
  }
}
}  // namespace

ScriptedServer::ScriptedServer(asio::io_context& io, Script script, int connections,
                               const std::string& address) {
  auto acceptor =
      std::make_shared<tcp::acceptor>(io, tcp::endpoint(asio::ip::make_address(address), 0));
  port_ = acceptor->local_endpoint().port();
  asio::co_spawn(
      io,
      [acceptor, shared = std::make_shared<Script>(std::move(script)),
       connections]() -> asio::awaitable<void> {
        for (int i = 0; i < connections; ++i) {
          auto [ec, socket] = co_await acceptor->async_accept(use_tuple);
          if (ec) co_return;
          socket.set_option(tcp::no_delay(true), ec);
          // The script (and what its lambda captured) lives as long as any session.
          asio::co_spawn(
              acceptor->get_executor(),
              [](std::shared_ptr<Script> run, tcp::socket s) -> asio::awaitable<void> {
                co_await (*run)(std::move(s));
              }(shared, std::move(socket)),
              asio::detached);
        }
      },
      asio::detached);
}

std::shared_ptr<asio::ssl::context> server_tls_context(const Pem& leaf, const std::string& chain) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  std::string full = leaf.certificate + chain;
  context->use_certificate_chain(asio::buffer(full));
  context->use_private_key(asio::buffer(leaf.key), asio::ssl::context::pem);
  return context;
}

asio::awaitable<void> send(tcp::socket& socket, std::string_view data) {
  return send_on(socket, data);
}
asio::awaitable<void> send(asio::ssl::stream<tcp::socket>& stream, std::string_view data) {
  return send_on(stream, data);
}
asio::awaitable<std::string> receive_line(tcp::socket& socket) {
  return receive_line_on(socket);
}
asio::awaitable<std::string> receive_line(asio::ssl::stream<tcp::socket>& stream) {
  return receive_line_on(stream);
}
asio::awaitable<void> drain(tcp::socket& socket) {
  return drain_on(socket);
}
asio::awaitable<void> drain(asio::ssl::stream<tcp::socket>& stream) {
  return drain_on(stream);
}

SilentResolver::SilentResolver()
    : socket_(io_, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}

SilentResolver::~SilentResolver() = default;

std::string SilentResolver::address() const {
  return "127.0.0.1@" + std::to_string(socket_.local_endpoint().port());
}

std::uint16_t closed_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace mailprobe::test
