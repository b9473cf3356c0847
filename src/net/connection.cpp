#include "net/connection.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <cerrno>
#include <optional>

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

}  // namespace

bool Connection::closed_by_peer(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == ssl::error::stream_truncated || ec == asio::error::broken_pipe;
}

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

asio::awaitable<Connection::IoResult> Connection::read_raw(asio::mutable_buffer buffer) {
  // Nothing follows the server's FIN, and a read after it is not woken again by Asio's
  // edge-triggered reactor: it would wait for the deadline (a QUIT after a server hung up
  // on a failed AUTH took the whole timeout). It fails at once as the first one did.
  if (peer_closed_) co_return IoResult(asio::error::eof, 0);
  if (!tls_) {
    auto [ec, received] = co_await tcp_.async_read_some(buffer, use_tuple);
    if (received == 0 && closed_by_peer(ec)) peer_closed_ = true;
    co_return IoResult(ec, received);
  }
  for (;;) {
    quick_ack();
    ERR_clear_error();
    std::size_t received = 0;
    int ret = SSL_read_ex(tls_.get(), buffer.data(), buffer.size(), &received);
    if (ret == 1) co_return IoResult(error_code(), received);
    auto failed = co_await tls_progress(ret);
    if (failed && closed_by_peer(*failed)) peer_closed_ = true;
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
  // An address that refused says the host is up and nothing listens: that is what a
  // failure reports even when a later address failed otherwise (localhost's ::1 on a host
  // without IPv6, an AAAA without a route).
  std::optional<tcp::endpoint> refused_by;
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
    if (ec == asio::error::connection_refused && !refused_by) refused_by = endpoint;
    if (ec == beast::error::timeout) break;
  }
  if (refused_by && last_error != beast::error::timeout) {
    last_error = asio::error::connection_refused;
    last_endpoint = *refused_by;
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
