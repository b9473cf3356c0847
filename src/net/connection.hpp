#pragma once
// A client connection to a mail server: connect under the deadline, plain or TLS from the
// start, upgradable by STARTTLS, with a bounded line reader. Every operation returns a
// Failure that names its phase instead of throwing.

#include <openssl/ssl.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/deadline.hpp"
#include "core/outcome.hpp"
#include "net/certificate.hpp"
#include "net/resolve.hpp"
#include "net/tls_context.hpp"

namespace mailprobe::net {

// What a read or write is for, to name it in failures:
// {"greeting", "the IMAP greeting"} -> "timeout after 10.0 s waiting for the IMAP greeting".
// Pass string literals (or strings that outlive the co_await).
struct Step {
  std::string_view phase;
  std::string_view what;
};

struct ConnectInfo {
  tcp::endpoint endpoint;
  double resolve_seconds = 0;
  double connect_seconds = 0;
};

class Connection {
 public:
  // Longest line read_line accepts by default; RFC 5321 allows 512 octets per SMTP reply
  // line, IMAP capability lines run longer.
  static constexpr std::size_t default_max_line = 8192;
  // Most bytes a connection takes from the server over its life, unless the check sets
  // another limit: a service check reads a few KiB; no server can keep one busy reading.
  static constexpr std::size_t default_read_limit = std::size_t{4} << 20;

  Connection(asio::any_io_executor executor, core::Deadline deadline,
             std::size_t max_line = default_max_line);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Resolves and connects, trying each address in turn, all under the deadline.
  asio::awaitable<core::Outcome<ConnectInfo>> connect(std::string host, std::uint16_t port,
                                                      AddressFamily family);

  // Performs the TLS handshake, at once for implicit TLS or after a STARTTLS reply.
  // `server_name` is sent as SNI (unless an IP literal) and verified against the
  // certificate when the context verifies. Bytes read but not consumed before the
  // handshake are discarded and counted in TlsFacts::discarded_bytes.
  asio::awaitable<core::Outcome<TlsFacts>> start_tls(TlsClientContext& context,
                                                     std::string server_name);

  // Sends `data` whole. `shown` replaces it in the transcript (to redact secrets).
  asio::awaitable<core::Status> write(std::string_view data, Step step,
                                      std::optional<std::string_view> shown = std::nullopt);

  // Reads one line ending in LF (CRLF or bare LF), without the line ending. A line longer
  // than max_line is a protocol failure.
  asio::awaitable<core::Outcome<std::string>> read_line(Step step);

  // Reads exactly `count` bytes (an IMAP literal, a POP3 message). The caller bounds
  // `count` before asking.
  asio::awaitable<core::Outcome<std::string>> read_bytes(std::size_t count, Step step);

  // As read_line, but gives up quietly at `until` (when earlier than the deadline):
  // nullopt when no whole line arrived by then. The connection stays usable.
  asio::awaitable<core::Outcome<std::optional<std::string>>> read_line_until(
      Step step, std::optional<core::Deadline::clock::time_point> until);

  // Returns what is buffered, or waits for the next bytes: at most `max_bytes`.
  asio::awaitable<core::Outcome<std::string>> read_some(std::size_t max_bytes, Step step);

  // As read_some, but gives up quietly at `until` (before the deadline): returns an empty
  // string when nothing arrived in the window. check_tcp's -d collects a reply this way.
  asio::awaitable<core::Outcome<std::string>> read_some_until(
      std::size_t max_bytes, Step step, core::Deadline::clock::time_point until);

  // Sets the most bytes this connection reads in all (default_read_limit); a read past it
  // fails as a protocol error that names the limit.
  void set_read_limit(std::size_t bytes) { read_limit_ = bytes; }
  std::size_t bytes_read() const { return bytes_read_; }

  // Ends the session: TLS close_notify (bounded to a second and the deadline), then close.
  asio::awaitable<void> close();

  bool tls_active() const { return tls_ != nullptr; }
  // The certificates the server presented, leaf first, as it sent them (empty without
  // TLS): for checks of their own, such as DANE's TLSA matching.
  std::vector<X509Ptr> peer_chain() const;
  bool is_open() const;
  std::string peer() const;

  // Lines sent ("C: ") and received ("S: ") are appended here when set.
  void set_transcript(std::vector<std::string>* transcript) { transcript_ = transcript; }

 private:
  using IoResult = std::tuple<boost::system::error_code, std::size_t>;
  // Some bytes, or all of `data`, over TLS when it is active, else over TCP.
  asio::awaitable<IoResult> read_raw(asio::mutable_buffer buffer);
  asio::awaitable<IoResult> write_raw(asio::const_buffer data);
  // Waits until the socket can be read or written, for OpenSSL; the deadline's timer
  // cancels the wait and makes it a timeout.
  asio::awaitable<boost::system::error_code> wait_socket(asio::socket_base::wait_type type);
  // The result of an OpenSSL call that returned `ret`: nullopt to wait and retry, or the
  // error (success: an empty error_code).
  asio::awaitable<std::optional<boost::system::error_code>> tls_progress(int ret);
  core::Failure io_failure(const boost::system::error_code& ec, Step step, bool sending) const;
  // The server ended the connection (EOF, reset, TLS without close_notify).
  static bool closed_by_peer(const boost::system::error_code& ec);
  // Acknowledges what the server sends next at once (TCP_QUICKACK), not 40 ms later.
  void quick_ack();
  // Counts `bytes` against the read limit; the failure when they go past it.
  std::optional<core::Failure> consume(std::size_t bytes, Step step);
  void note(std::string_view direction, std::string_view text);

  core::Deadline deadline_;
  std::size_t max_line_;
  std::size_t read_limit_ = default_read_limit;
  std::size_t bytes_read_ = 0;
  bool peer_closed_ = false;  // the server ended its side (FIN): reads fail at once
  boost::beast::tcp_stream tcp_;
  // TLS straight on the socket (SSL_set_fd) rather than Asio's ssl::stream, whose buffers
  // and BIO pair cost 70 KB per connection: 1000 probes at once fit in 100 MB this way.
  struct SslFree {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };
  std::unique_ptr<SSL, SslFree> tls_;
  std::optional<asio::steady_timer> tls_deadline_;  // cancels TLS waits at the deadline
  bool tls_timed_out_ = false;
  // Judges each certificate of the chain (OpenSSL's verify callback calls it).
  std::function<bool(bool preverified, X509_STORE_CTX* store)> verify_check_;
  std::string buffer_;  // received, not yet consumed: buffer_[head_, size)
  std::size_t head_ = 0;
  std::optional<tcp::endpoint> endpoint_;
  std::optional<VerifyFailure> verify_failure_;  // first problem the chain check found
  std::vector<std::string>* transcript_ = nullptr;
  // Timer handlers that may run after this object is gone hold a weak reference to this.
  std::shared_ptr<int> lifetime_ = std::make_shared<int>(0);
};

}  // namespace mailprobe::net
