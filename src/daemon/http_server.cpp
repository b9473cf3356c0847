#include "daemon/http_server.hpp"

#include <sys/resource.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <optional>

#include "daemon/log.hpp"
#include "net/spawn.hpp"

namespace mailprobe::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto idle_timeout = std::chrono::seconds(30);
constexpr std::uint32_t header_limit = 16 * 1024;
constexpr std::uint64_t body_limit = 64ULL * 1024;
}  // namespace

HttpResponse make_response(const HttpRequest& request, http::status status, std::string body,
                           std::string content_type) {
  HttpResponse response{status, request.version()};
  response.set(http::field::server, "mailprobe");
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-store");
  response.set("X-Content-Type-Options", "nosniff");
  // The dashboard loads nothing but its own files: a summary or label that carries markup
  // could not run even if it were rendered as HTML.
  response.set("Content-Security-Policy",
               "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  if (request.method() == http::verb::head) response.body().clear();  // the length stays
  return response;
}

std::optional<std::string> unknown_parameter(const boost::urls::url_view& url,
                                             std::initializer_list<std::string_view> known) {
  for (const auto& param : url.params()) {
    bool ok = false;
    for (auto name : known)
      ok = ok || param.key == name;
    if (ok) continue;
    std::string list;
    for (auto name : known)
      list += (list.empty() ? "" : ", ") + std::string(name);
    return param.key + ": unknown parameter (known: " + (list.empty() ? "none" : list) + ")\n";
  }
  return std::nullopt;
}

HttpServer::HttpServer(asio::any_io_executor executor, HttpHandler handler)
    : executor_(std::move(executor)), handler_(std::move(handler)) {}

core::Status HttpServer::listen(const std::string& host, std::uint16_t port,
                                std::shared_ptr<asio::ssl::context> tls) {
  tls_ = std::move(tls);
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    return core::Failure{"http", core::FailureKind::config,
                         "listen address '" + host + "' is not an IP address"};
  }
  acceptor_ = std::make_shared<tcp::acceptor>(executor_);
  tcp::endpoint endpoint(address, port);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::Failure{
        "http", core::FailureKind::config,
        "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message()};
  }
  // Half the file descriptors at most for HTTP connections: the probes need the rest.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
    max_sessions_ = std::max<long>(16, static_cast<long>(files.rlim_cur / 2));
  }
  asio::co_spawn(executor_, accept_loop(), log_failure("http: accepting connections"));
  return core::success();
}

std::uint16_t HttpServer::port() const {
  boost::system::error_code ec;
  return acceptor_ ? acceptor_->local_endpoint(ec).port() : 0;
}

void HttpServer::stop() {
  if (!acceptor_) return;
  boost::system::error_code ignored;
  acceptor_->close(ignored);
}

asio::awaitable<void> HttpServer::accept_loop() {
  auto acceptor = acceptor_;  // kept alive while the loop runs
  asio::steady_timer pause(executor_);
  std::optional<std::chrono::steady_clock::time_point> last_complaint;
  for (;;) {
    // At the limit, new connections wait in the kernel's backlog until one ends.
    while (*sessions_ >= max_sessions_ && acceptor->is_open()) {
      pause.expires_after(std::chrono::milliseconds(20));
      co_await pause.async_wait(use_tuple);
    }
    auto [ec, socket] = co_await acceptor->async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) {
      // Out of file descriptors, say: the connection stays queued, and trying again at
      // once would only spin. Said at most once a minute.
      auto now = std::chrono::steady_clock::now();
      if (!last_complaint || now - *last_complaint > std::chrono::minutes(1)) {
        last_complaint = now;
        log("http: cannot accept a connection: " + ec.message() + " (" +
                std::to_string(*sessions_) + " open); trying again",
            Priority::warning);
      }
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    ++*sessions_;
    asio::co_spawn(executor_, session(std::move(socket)),
                   [sessions = sessions_](const std::exception_ptr& error) {
                     --*sessions;
                     if (error)
                       log("http: a connection failed: " + net::describe(error), Priority::error);
                   });
  }
}

asio::awaitable<void> HttpServer::session(tcp::socket socket) {
  auto tls = tls_;  // kept for this connection, whatever a reload sets meanwhile
  if (!tls) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve(stream);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
  beast::get_lowest_layer(stream).expires_after(idle_timeout);
  auto [handshake_error] =
      co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
  if (handshake_error) co_return;  // a plain-HTTP client, a scanner, an untrusting client
  co_await serve(stream);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  co_await stream.async_shutdown(use_tuple);
}

template <class Stream>
asio::awaitable<void> HttpServer::serve(Stream& stream) {
  beast::flat_buffer buffer;
  for (;;) {
    beast::get_lowest_layer(stream).expires_after(idle_timeout);
    http::request_parser<http::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(body_limit);
    auto [read_error, bytes] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (read_error) break;  // closed, timed out, or a request over the limits
    const auto& request = parser.get();
    HttpResponse response;
    try {
      response = co_await handler_(request);
    } catch (const std::exception& e) {
      response = make_response(request, http::status::internal_server_error,
                               std::string("internal error: ") + e.what() + "\n", "text/plain");
    }
    beast::get_lowest_layer(stream).expires_after(idle_timeout);
    auto [write_error, written] = co_await http::async_write(stream, response, use_tuple);
    if (write_error || !response.keep_alive()) break;
  }
}

}  // namespace mailprobe::daemon
