#pragma once
// A server on 127.0.0.1 that plays a fuzz input to the client under test: it accepts one
// connection, sends the input whole, ends its side (FIN) and reads and discards what the
// client sends until the client closes. The client then meets the input as it would meet
// a hostile server's answers, through its real connection, reader and limits.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "core/deadline.hpp"
#include "probes/tcp.hpp"

namespace mailprobe::fuzz {

class LoopbackServer {
 public:
  explicit LoopbackServer(boost::asio::io_context& io);
  std::uint16_t port() const { return port_; }
  // Serves `script` to the next connection while `client` runs, and runs the io_context
  // until both are done. An exception out of `client` is rethrown: the code under test
  // promises not to throw, so the fuzz driver reports it as a crash.
  void play(std::string script, boost::asio::awaitable<void> client);

 private:
  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
};

// The deadline of one run of a session target: the client stops long before it only if
// something is wrong, since the server ends every conversation at once.
inline core::Deadline session_deadline() {
  return core::Deadline::after(std::chrono::seconds(5));
}

// check_pop or check_imap with a login (probe_tcp), against the server on `port`.
boost::asio::awaitable<void> service_check(std::uint16_t port, probes::MailProtocol kind);

}  // namespace mailprobe::fuzz
