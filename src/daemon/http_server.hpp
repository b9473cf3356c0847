#pragma once
// A small HTTP/1.1 server (Beast) for the dashboard, the API and /metrics: plain or TLS,
// bounded request sizes, an idle timeout per connection, keep-alive.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/url_view.hpp>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/outcome.hpp"

namespace mailprobe::daemon {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;
using HttpHandler = std::function<boost::asio::awaitable<HttpResponse>(const HttpRequest&)>;

class HttpServer {
 public:
  HttpServer(boost::asio::any_io_executor executor, HttpHandler handler);
  // Binds and starts accepting, with TLS when `tls` is set; fails (kind config) when the
  // address cannot be bound.
  core::Status listen(const std::string& host, std::uint16_t port,
                      std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  std::uint16_t port() const;
  // A renewed certificate (SIGHUP): connections from now on use `tls`.
  void set_tls(std::shared_ptr<boost::asio::ssl::context> tls) { tls_ = std::move(tls); }
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);
  template <class Stream>
  boost::asio::awaitable<void> serve(Stream& stream);

  boost::asio::any_io_executor executor_;
  HttpHandler handler_;
  std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::shared_ptr<long> sessions_ = std::make_shared<long>(0);  // connections open now
  long max_sessions_ = 512;  // half of RLIMIT_NOFILE: the rest is for the probes
};

// A response with a body and its content type.
HttpResponse make_response(const HttpRequest& request, http::status status, std::string body,
                           std::string content_type);

// "sinse: unknown parameter (known: since, limit)\n" for the first query parameter of `url`
// that is not `known`, else nullopt: a misspelt parameter is a 400, not a silent default.
std::optional<std::string> unknown_parameter(const boost::urls::url_view& url,
                                             std::initializer_list<std::string_view> known);

}  // namespace mailprobe::daemon
