#include "loopback.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <exception>
#include <memory>

namespace mailprobe::fuzz {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

LoopbackServer::LoopbackServer(asio::io_context& io)
    : io_(io), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
}

void LoopbackServer::play(std::string script, asio::awaitable<void> client) {
  auto serve = [](tcp::acceptor& acceptor, std::string bytes) -> asio::awaitable<void> {
    auto token = asio::as_tuple(asio::use_awaitable);
    auto [accept_error, socket] = co_await acceptor.async_accept(token);
    if (accept_error) co_return;
    co_await asio::async_write(socket, asio::buffer(bytes), token);
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    // Reading to the client's close keeps unread bytes from turning the close into a
    // reset, which could cut the input short.
    char sink[4096];
    for (;;) {
      auto [read_error, count] = co_await socket.async_read_some(asio::buffer(sink), token);
      if (read_error) break;
    }
  };
  asio::co_spawn(io_, serve(acceptor_, std::move(script)), asio::detached);
  std::exception_ptr failure;
  asio::co_spawn(io_, std::move(client), [&](std::exception_ptr error) {
    failure = error;
    // A client that never connected (an option it refused) leaves the accept waiting.
    acceptor_.cancel();
  });
  io_.run();
  io_.restart();
  if (failure) std::rethrow_exception(failure);
}

asio::awaitable<void> service_check(std::uint16_t port, probes::MailProtocol kind) {
  bool imap = kind == probes::MailProtocol::imap;
  probes::TcpOptions options;
  options.service = imap ? "IMAP" : "POP";
  options.protocol = kind;
  options.target = {"127.0.0.1", port, net::AddressFamily::ipv4};
  options.expect = {imap ? "* OK" : "+OK"};
  options.expect_prefix = true;
  options.credentials = protocol::Credentials{"probe@example.org", "secret"};
  options.transcript = true;
  auto result = co_await probes::probe_tcp(std::move(options), session_deadline());
  static_cast<void>(result);
}

}  // namespace mailprobe::fuzz
