#include "net/connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <cerrno>

#include "core/format.hpp"

namespace mailprobe::net {

namespace {
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// The most bytes one read asks for.
constexpr std::size_t read_chunk = 16384;

// Where OpenSSL keeps, for the verify callback, the Connection a handshake belongs to.
int verify_check_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

extern "C" int verify_trampoline(int preverified, X509_STORE_CTX* store) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  const auto* check = static_cast<const std::function<bool(bool, X509_STORE_CTX*)>*>(
      SSL_get_ex_data(ssl, verify_check_index()));
  return check != nullptr && (*check)(preverified != 0, store) ? 1 : 0;
}

bool closed_by_peer(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == ssl::error::stream_truncated || ec == asio::error::broken_pipe;
}
}  // namespace

Connection::Connection(asio::any_io_executor executor, core::Deadline deadline,
                       std::size_t max_line)
    : deadline_(deadline), max_line_(max_line), tcp_(std::move(executor)) {}

Connection::~Connection() = default;

asio::awaitable<error_code> Connection::wait_socket(asio::socket_base::wait_type type) {
  if (tls_timed_out_) co_return error_code(beast::error::timeout);
  auto [ec] = co_await tcp_.socket().async_wait(type, use_tuple);
  if (ec == asio::error::operation_aborted && tls_timed_out_) {
    co_return error_code(beast::error::timeout);
  }
  co_return ec;
}

asio::awaitable<std::optional<error_code>> Connection::tls_progress(int ret) {
  switch (SSL_get_error(tls_.get(), ret)) {
    case SSL_ERROR_WANT_READ: {
      auto ec = co_await wait_socket(tcp::socket::wait_read);
      if (ec) co_return ec;
      co_return std::nullopt;
    }
    case SSL_ERROR_WANT_WRITE: {
      auto ec = co_await wait_socket(tcp::socket::wait_write);
      if (ec) co_return ec;
      co_return std::nullopt;
    }
    case SSL_ERROR_ZERO_RETURN:
      co_return error_code(asio::error::eof);
    case SSL_ERROR_SYSCALL: {
      int code = errno;
      ERR_clear_error();
      if (code == 0) co_return error_code(ssl::error::stream_truncated);
      co_return error_code(code, boost::system::system_category());
    }
    default: {
      auto code = ERR_get_error();
      ERR_clear_error();
      if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        co_return error_code(ssl::error::stream_truncated);
      }
      co_return error_code(static_cast<int>(code), asio::error::get_ssl_category());
    }
  }
}

asio::awaitable<Connection::IoResult> Connection::read_raw(asio::mutable_buffer buffer) {
  if (!tls_) {
    auto [ec, received] = co_await tcp_.async_read_some(buffer, use_tuple);
    co_return IoResult(ec, received);
  }
  for (;;) {
    quick_ack();
    ERR_clear_error();
    std::size_t received = 0;
    int ret = SSL_read_ex(tls_.get(), buffer.data(), buffer.size(), &received);
    if (ret == 1) co_return IoResult(error_code(), received);
    auto failed = co_await tls_progress(ret);
    if (failed) co_return IoResult(*failed, 0);
  }
}

asio::awaitable<Connection::IoResult> Connection::write_raw(asio::const_buffer data) {
  if (!tls_) {
    auto [ec, written] = co_await asio::async_write(tcp_, data, use_tuple);
    co_return IoResult(ec, written);
  }
  std::size_t done = 0;
  while (done < data.size()) {
    ERR_clear_error();
    std::size_t written = 0;
    int ret = SSL_write_ex(tls_.get(), static_cast<const char*>(data.data()) + done,
                           data.size() - done, &written);
    if (ret == 1) {
      done += written;
      continue;
    }
    auto failed = co_await tls_progress(ret);
    if (failed) co_return IoResult(*failed, done);
  }
  quick_ack();  // for what the server sends next (see quick_ack)
  co_return IoResult(error_code(), done);
}

std::vector<X509Ptr> Connection::peer_chain() const {
  std::vector<X509Ptr> chain;
  if (!tls_) return chain;
  // On a client, SSL_get_peer_cert_chain includes the leaf (ssl(7)).
  STACK_OF(X509)* presented = SSL_get_peer_cert_chain(tls_.get());
  for (int i = 0; presented != nullptr && i < sk_X509_num(presented); ++i) {
    X509* certificate = sk_X509_value(presented, i);
    X509_up_ref(certificate);
    chain.emplace_back(certificate);
  }
  return chain;
}

void Connection::quick_ack() {
  // After a TLS handshake the server sends records we do not answer at once (TLS 1.3
  // session tickets), then its reply. Linux delays our ACK of the tickets by 40 ms or
  // more, and the server's Nagle algorithm holds the reply until that ACK comes: every
  // reply after TLS looked 40 ms slower than the server was. In quick-ack mode each segment
  // is acknowledged at once; the kernel leaves the mode by itself, so it is set again
  // before each read and after each write while TLS is on (a setsockopt each, no packets).
  int one = 1;
  ::setsockopt(static_cast<int>(tcp_.socket().native_handle()), IPPROTO_TCP, TCP_QUICKACK, &one,
               sizeof one);
}

std::optional<core::Failure> Connection::consume(std::size_t bytes, Step step) {
  bytes_read_ += bytes;
  if (bytes_read_ <= read_limit_) return std::nullopt;
  return core::Failure{std::string(step.phase), core::FailureKind::protocol,
                       "the server sent more than " + core::format_size(read_limit_) +
                           " (mailprobe's limit for this connection) while waiting for " +
                           std::string(step.what)};
}

void Connection::note(std::string_view direction, std::string_view text) {
  if (transcript_ == nullptr) return;
  // One transcript entry per line, without line endings.
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    transcript_->push_back(std::string(direction) + std::string(line));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

core::Failure Connection::io_failure(const error_code& ec, Step step, bool sending) const {
  std::string what(step.what);
  if (ec == beast::error::timeout || ec == asio::error::timed_out) {
    return {std::string(step.phase), core::FailureKind::timeout,
            "timeout after " + core::format_seconds(core::seconds(deadline_.budget())) +
                (sending ? " sending " : " waiting for ") + what};
  }
  if (closed_by_peer(ec)) {
    return {std::string(step.phase), core::FailureKind::network,
            "connection closed by the server " +
                std::string(sending ? "while sending " : "while waiting for ") + what};
  }
  return {std::string(step.phase), core::FailureKind::network,
          std::string(sending ? "error sending " : "error reading ") + what + ": " + ec.message()};
}

bool Connection::is_open() const {
  return tcp_.socket().is_open();
}

std::string Connection::peer() const {
  return endpoint_ ? endpoint_text(*endpoint_) : "";
}

asio::awaitable<core::Outcome<ConnectInfo>> Connection::connect(std::string host,
                                                                std::uint16_t port,
                                                                AddressFamily family) {
  auto started = Clock::now();
  auto endpoints = co_await resolve(host, port, family, deadline_);
  if (!endpoints) co_return endpoints.failure();
  ConnectInfo info;
  auto resolved = Clock::now();
  info.resolve_seconds = core::seconds(resolved - started);

  // The stream's timer bounds every later operation by the same deadline.
  tcp_.expires_at(deadline_.at());
  error_code last_error;
  tcp::endpoint last_endpoint;
  for (const auto& endpoint : *endpoints) {
    auto [ec] = co_await tcp_.async_connect(endpoint, use_tuple);
    if (!ec) {
      // Commands are small and each waits for its reply: Nagle's algorithm would only
      // hold them back behind a delayed ACK.
      boost::system::error_code ignored;
      tcp_.socket().set_option(tcp::no_delay(true), ignored);
      endpoint_ = endpoint;
      info.endpoint = endpoint;
      info.connect_seconds = core::seconds(Clock::now() - resolved);
      note("", "* connected to " + endpoint_text(endpoint));
      co_return info;
    }
    last_error = ec;
    last_endpoint = endpoint;
    if (ec == beast::error::timeout) break;
  }
  auto where = endpoint_text(last_endpoint);
  if (last_error == beast::error::timeout) {
    co_return core::Failure{"connect", core::FailureKind::timeout,
                            "timeout after " +
                                core::format_seconds(core::seconds(deadline_.budget())) +
                                " connecting to " + where};
  }
  if (last_error == asio::error::connection_refused) {
    co_return core::Failure{"connect", core::FailureKind::refused,
                            "connection refused by " + where};
  }
  co_return core::Failure{"connect", core::FailureKind::network,
                          "cannot connect to " + where + ": " + last_error.message()};
}

asio::awaitable<core::Outcome<TlsFacts>> Connection::start_tls(TlsClientContext& context,
                                                               std::string server_name) {
  // What the server sent before the handshake must not be read as if it came over TLS.
  std::size_t discarded = buffer_.size() - head_;
  buffer_.clear();
  head_ = 0;
  if (discarded > 0)
    note("", "* discarded " + std::to_string(discarded) + " bytes sent before TLS");

  tls_.reset(SSL_new(context.native().native_handle()));
  if (!tls_) {
    co_return core::Failure{"tls", core::FailureKind::tls, "cannot create a TLS session"};
  }
  SSL* ssl = tls_.get();
  error_code nb_error;
  tcp_.socket().non_blocking(true, nb_error);
  SSL_set_fd(ssl, static_cast<int>(tcp_.socket().native_handle()));
  // OpenSSL's 16 KB read buffer is given back while a probe waits for the server.
  SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
  // Whatever has arrived is read at once, not a record header and then its body: a third
  // of the read calls. Every read starts with SSL_read, so nothing buffered waits unseen.
  SSL_set_read_ahead(ssl, 1);
  if (!server_name.empty() && !is_ip_literal(server_name)) {
    // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(server_name.c_str()));
  }
  bool verify = context.options().verify;
  if (!server_name.empty()) {
    if (is_ip_literal(server_name)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name.c_str());
    } else {
      SSL_set1_host(ssl, server_name.c_str());
    }
  }
  // The chain is always checked so that a problem can be reported; only with
  // verification on does a problem fail the handshake.
  verify_failure_.reset();
  bool allow_expired = context.options().allow_expired;
  verify_check_ = [this, verify, allow_expired](bool preverified, X509_STORE_CTX* ctx) {
    if (!preverified && allow_expired &&
        (X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CERT_HAS_EXPIRED ||
         X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CERT_NOT_YET_VALID)) {
      return true;  // judged by the probe from the dates, not by the handshake
    }
    if (!preverified && !verify_failure_) {
      VerifyFailure failure;
      failure.error = X509_STORE_CTX_get_error(ctx);
      failure.depth = X509_STORE_CTX_get_error_depth(ctx);
      if (X509* cert = X509_STORE_CTX_get_current_cert(ctx)) {
        failure.certificate = certificate_facts(cert);
      }
      verify_failure_ = std::move(failure);
    }
    return verify ? preverified : true;
  };
  SSL_set_ex_data(ssl, verify_check_index(), &verify_check_);
  SSL_set_verify(ssl, SSL_VERIFY_PEER, verify_trampoline);

  // The deadline bounds every TLS wait from now on (the stream's timer covers only its
  // own operations).
  tls_timed_out_ = false;
  tls_deadline_.emplace(tcp_.get_executor());
  tls_deadline_->expires_at(deadline_.at());
  std::weak_ptr<int> alive = lifetime_;
  tls_deadline_->async_wait([this, alive](const error_code& ec) {
    if (ec || alive.expired()) return;
    tls_timed_out_ = true;
    error_code ignored;
    tcp_.socket().cancel(ignored);
  });

  error_code ec;
  for (;;) {
    ERR_clear_error();
    int ret = SSL_connect(ssl);
    if (ret == 1) break;
    auto failed = co_await tls_progress(ret);
    if (failed) {
      ec = *failed;
      break;
    }
  }
  if (ec) {
    tls_.reset();
    error_code ignored;
    tcp_.socket().close(ignored);
    if (ec == beast::error::timeout) {
      co_return core::Failure{"tls", core::FailureKind::timeout,
                              "timeout after " +
                                  core::format_seconds(core::seconds(deadline_.budget())) +
                                  " during the TLS handshake with " + peer()};
    }
    if (verify_failure_) {
      co_return core::Failure{"tls", core::FailureKind::certificate,
                              "TLS " + describe_verify_failure(*verify_failure_, server_name)};
    }
    if (closed_by_peer(ec)) {
      co_return core::Failure{
          "tls", core::FailureKind::tls,
          "TLS handshake with " + peer() + " failed: connection closed by the server"};
    }
    co_return core::Failure{"tls", core::FailureKind::tls,
                            "TLS handshake with " + peer() + " failed: " + ec.message()};
  }
  quick_ack();
  auto facts = session_facts(ssl, verify);
  facts.discarded_bytes = discarded;
  if (verify_failure_)
    facts.verify_problem = describe_verify_failure(*verify_failure_, server_name);
  note("", "* TLS " + facts.version + " " + facts.cipher);
  co_return facts;
}

asio::awaitable<core::Status> Connection::write(std::string_view data, Step step,
                                                std::optional<std::string_view> shown) {
  note("C: ", shown ? *shown : data);
  auto [ec, written] = co_await write_raw(asio::buffer(data.data(), data.size()));
  if (ec) co_return io_failure(ec, step, true);
  co_return core::success();
}

asio::awaitable<core::Outcome<std::string>> Connection::read_line(Step step) {
  auto line = co_await read_line_until(step, std::nullopt);
  if (!line) co_return line.failure();
  co_return std::move(**line);
}

asio::awaitable<core::Outcome<std::optional<std::string>>> Connection::read_line_until(
    Step step, std::optional<core::Deadline::clock::time_point> until) {
  // With `until` (earlier than the deadline) a timer cancels a pending read then; unlike
  // the stream's own timeout this leaves the connection usable (IMAP IDLE sends DONE next).
  std::optional<asio::steady_timer> window;
  if (until && *until < deadline_.at()) {
    window.emplace(tcp_.get_executor());
    window->expires_at(*until);
    std::weak_ptr<int> alive = lifetime_;
    window->async_wait([this, alive](const error_code& ec) {
      if (!ec && !alive.expired()) tcp_.socket().cancel();
    });
  }
  std::size_t scanned = head_;
  for (;;) {
    auto newline = buffer_.find('\n', scanned);
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(head_, newline - head_);
      head_ = newline + 1;
      if (head_ == buffer_.size()) {
        buffer_.clear();
        head_ = 0;
      }
      auto over = consume(line.size() + 1, step);  // with its LF
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.size() > max_line_) break;
      if (window) window->cancel();
      if (over) co_return *over;
      note("S: ", line);
      co_return std::optional<std::string>(std::move(line));
    }
    // Room for max_line characters and the CR LF that end them.
    if (buffer_.size() - head_ >= max_line_ + 2) break;
    if (head_ > 0) {
      buffer_.erase(0, head_);
      head_ = 0;
    }
    scanned = buffer_.size();
    auto want = std::min(read_chunk, max_line_ + 2 - buffer_.size());
    buffer_.resize(scanned + want);
    auto [ec, received] = co_await read_raw(asio::buffer(buffer_.data() + scanned, want));
    buffer_.resize(scanned + received);
    if (ec && received == 0) {
      if (window && ec == asio::error::operation_aborted && Clock::now() >= *until &&
          !deadline_.expired()) {
        co_return std::optional<std::string>();  // the window ended, no line yet
      }
      if (closed_by_peer(ec) && !buffer_.empty()) {
        note("S: ", buffer_);
        co_return core::Failure{std::string(step.phase), core::FailureKind::protocol,
                                "connection closed by the server in the middle of a line "
                                "while waiting for " +
                                    std::string(step.what)};
      }
      co_return io_failure(ec, step, false);
    }
  }
  if (window) window->cancel();
  note("S: ", buffer_.substr(head_, 200) + "...");
  co_return core::Failure{std::string(step.phase), core::FailureKind::protocol,
                          "line longer than " + std::to_string(max_line_) +
                              " bytes while waiting for " + std::string(step.what)};
}

asio::awaitable<core::Outcome<std::string>> Connection::read_bytes(std::size_t count, Step step) {
  // Counted before a byte arrives: a size the server announces past the limit fails now.
  if (auto over = consume(count, step)) co_return *over;
  std::string data;
  // Grown as the bytes come, not reserved for what a server merely announced.
  data.reserve(std::min(count, read_chunk));
  while (data.size() < count) {
    if (head_ == buffer_.size()) {
      buffer_.clear();
      head_ = 0;
      auto want = std::min(read_chunk, count - data.size());
      buffer_.resize(want);
      auto [ec, received] = co_await read_raw(asio::buffer(buffer_.data(), want));
      buffer_.resize(received);
      if (ec && received == 0) co_return io_failure(ec, step, false);
    }
    auto take = std::min(count - data.size(), buffer_.size() - head_);
    data.append(buffer_, head_, take);
    head_ += take;
  }
  if (transcript_ != nullptr) {
    transcript_->push_back("S: <" + std::to_string(count) + " bytes>");
  }
  co_return data;
}

asio::awaitable<core::Outcome<std::string>> Connection::read_some(std::size_t max_bytes,
                                                                  Step step) {
  if (max_bytes == 0) co_return std::string();
  if (head_ == buffer_.size()) {
    buffer_.clear();
    head_ = 0;
    auto want = std::min(read_chunk, max_bytes);
    buffer_.resize(want);
    auto [ec, received] = co_await read_raw(asio::buffer(buffer_.data(), want));
    buffer_.resize(received);
    if (ec && received == 0) co_return io_failure(ec, step, false);
  }
  auto take = std::min(max_bytes, buffer_.size() - head_);
  std::string data = buffer_.substr(head_, take);
  head_ += take;
  if (auto over = consume(take, step)) co_return *over;
  note("S: ", data);
  co_return data;
}

asio::awaitable<core::Outcome<std::string>> Connection::read_some_until(
    std::size_t max_bytes, Step step, core::Deadline::clock::time_point until) {
  if (head_ < buffer_.size() || until >= deadline_.at())
    co_return co_await read_some(max_bytes, step);
  if (Clock::now() >= until) co_return std::string();
  // A timer cancels the pending read at `until`; unlike the stream's own timeout this
  // leaves the connection usable (for a quit string).
  asio::steady_timer window(tcp_.get_executor());
  window.expires_at(until);
  std::weak_ptr<int> alive = lifetime_;
  window.async_wait([this, alive](const error_code& ec) {
    if (!ec && !alive.expired()) tcp_.socket().cancel();
  });
  auto data = co_await read_some(max_bytes, step);
  window.cancel();
  if (!data && Clock::now() >= until && !deadline_.expired()) co_return std::string();
  co_return data;
}

asio::awaitable<void> Connection::close() {
  if (tls_ && is_open() && !deadline_.expired() && !tls_timed_out_) {
    // close_notify, without waiting for the server's: RFC 8446 section 6.1 lets a client
    // close its side, and a probe must not wait on a server that does not answer it.
    ERR_clear_error();
    SSL_shutdown(tls_.get());
  }
  if (tls_deadline_) tls_deadline_->cancel();
  error_code ignored;
  tcp_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  tcp_.close();
  co_return;
}

}  // namespace mailprobe::net
