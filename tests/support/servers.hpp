#pragma once
// In-process servers on 127.0.0.1:0 that follow a script, for tests of what real servers
// never do (stay silent, send endless lines, garbage, bytes before TLS).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "support/test_pki.hpp"

namespace mailprobe::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class ScriptedServer {
 public:
  using Script = std::function<asio::awaitable<void>(tcp::socket)>;

  // Listens on `address`:0 and runs `script` for each of the next `connections` clients.
  ScriptedServer(asio::io_context& io, Script script, int connections = 1,
                 const std::string& address = "127.0.0.1");
  std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_ = 0;
};

// A server-side TLS context presenting `leaf` (followed by `chain`, if any).
std::shared_ptr<asio::ssl::context> server_tls_context(const Pem& leaf,
                                                       const std::string& chain = {});

// Helpers for scripts; errors are ignored (the client side is under test).
asio::awaitable<void> send(tcp::socket& socket, std::string_view data);
asio::awaitable<void> send(asio::ssl::stream<tcp::socket>& stream, std::string_view data);
// Reads one line (without CRLF) or returns "" on EOF/error.
asio::awaitable<std::string> receive_line(tcp::socket& socket);
asio::awaitable<std::string> receive_line(asio::ssl::stream<tcp::socket>& stream);
// Reads until the client closes the connection.
asio::awaitable<void> drain(tcp::socket& socket);
asio::awaitable<void> drain(asio::ssl::stream<tcp::socket>& stream);

// A port on 127.0.0.1 where nothing listens (bound, then closed).
std::uint16_t closed_port();

// A resolver that takes every query and never answers, for as long as it lives: a UDP
// socket on 127.0.0.1 nobody reads.
class SilentResolver {
 public:
  SilentResolver();
  ~SilentResolver();
  SilentResolver(const SilentResolver&) = delete;
  SilentResolver& operator=(const SilentResolver&) = delete;
  // "127.0.0.1@PORT", as --resolver takes it.
  std::string address() const;

 private:
  asio::io_context io_;
  asio::ip::udp::socket socket_;
};

}  // namespace mailprobe::test
