#include "protocol/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

#include "core/format.hpp"

namespace mailprobe::protocol {

namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// TLS close_notify never takes longer than this.
constexpr auto shutdown_limit = std::chrono::seconds(1);
constexpr std::size_t mebibyte = std::size_t{1024} * 1024;

core::Failure failure(core::FailureKind kind, std::string message) {
  return {"http", kind, std::move(message)};
}

bool closed_by_peer(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == ssl::error::stream_truncated ||
         ec == asio::error::broken_pipe || ec == http::error::partial_message;
}

}  // namespace

std::string url_for_logs(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return "(not a URL)";
  std::string shown = std::string(parsed->scheme()) + "://" + std::string(parsed->encoded_host());
  if (parsed->has_port()) shown += ":" + std::string(parsed->port());
  auto rest = parsed->encoded_resource();
  if (!rest.empty() && rest != "/") shown += "/…";
  return shown;
}

core::Outcome<HttpUrl> parse_http_url(std::string_view text) {
  auto bad = [&](const std::string& what) -> core::Outcome<HttpUrl> {
    return core::Failure{"url", core::FailureKind::config, "'" + url_for_logs(text) + "': " + what};
  };
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return bad("not a URL");
  HttpUrl url;
  auto scheme = parsed->scheme();
  if (scheme == "https") {
    url.tls = true;
  } else if (scheme != "http") {
    return bad("use http:// or https://");
  }
  if (parsed->has_userinfo()) return bad("no user or password in the URL");
  url.host = parsed->host_address();
  if (url.host.empty()) return bad("no host");
  if (parsed->has_port()) {
    auto port = parsed->port_number();
    if (port == 0) return bad("the port must be 1 to 65535");
    url.port = port;
  } else {
    url.port = url.tls ? 443 : 80;
  }
  url.target = std::string(parsed->encoded_path());
  if (url.target.empty()) url.target = "/";
  if (parsed->has_query()) url.target += "?" + std::string(parsed->encoded_query());
  return url;
}

HttpEndpoint http_endpoint(const HttpUrl& url, std::shared_ptr<net::TlsClientContext> tls) {
  HttpEndpoint endpoint;
  endpoint.host = url.host;
  endpoint.port = url.port;
  if (url.tls) endpoint.tls = std::move(tls);
  endpoint.trust_hint = "(trust it with ca_file)";
  return endpoint;
}

asio::awaitable<core::Outcome<HttpAnswer>> exchange_once(asio::any_io_executor executor,
                                                         HttpEndpoint endpoint,
                                                         core::Deadline deadline,
                                                         HttpRequest request, std::string what,
                                                         HttpLimits limits) {
  HttpConnection connection(std::move(executor), std::move(endpoint), deadline, limits);
  auto connected = co_await connection.connect();
  if (!connected) co_return connected.failure();
  request.set(boost::beast::http::field::host, connection.host_header());
  request.keep_alive(false);
  auto answer = co_await connection.exchange(std::move(request), what);
  co_await connection.close();
  co_return answer;
}

std::string timeout_text(const core::Deadline& deadline) {
  return "timeout after " + core::format_seconds(core::seconds(deadline.budget()));
}

std::string status_line(unsigned status, const std::string& reason) {
  return "HTTP " + std::to_string(status) + (reason.empty() ? "" : " " + reason);
}

HttpConnection::HttpConnection(asio::any_io_executor executor, HttpEndpoint endpoint,
                               core::Deadline deadline, HttpLimits limits)
    : executor_(std::move(executor)),
      endpoint_(std::move(endpoint)),
      deadline_(deadline),
      limits_(limits),
      // Beast moves the body out of this buffer as it reads; the buffer holds at most a
      // header and one read.
      buffer_(limits.max_header + mebibyte) {}

HttpConnection::~HttpConnection() = default;

void HttpConnection::note(std::string line) {
  if (transcript_ != nullptr) transcript_->push_back(std::move(line));
}

std::string HttpConnection::host_header() const {
  std::string host = endpoint_.host;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint_.port);
}

beast::tcp_stream& HttpConnection::lowest_layer() {
  return secure_ ? beast::get_lowest_layer(*secure_) : *plain_;
}

asio::awaitable<core::Status> HttpConnection::connect() {
  plain_.reset();
  secure_.reset();
  buffer_.clear();
  keep_alive_ = false;
  auto started = Clock::now();
  auto endpoints =
      co_await net::resolve(endpoint_.address.empty() ? endpoint_.host : endpoint_.address,
                            endpoint_.port, endpoint_.family, deadline_);
  if (!endpoints) co_return endpoints.failure();
  if (endpoint_.tls) {
    secure_ = std::make_unique<TlsStream>(executor_, endpoint_.tls->native());
  } else {
    plain_ = std::make_unique<beast::tcp_stream>(executor_);
  }
  auto& tcp_stream = lowest_layer();
  tcp_stream.expires_at(deadline_.at());
  error_code last_error;
  tcp::endpoint last_endpoint;
  bool connected = false;
  for (const auto& endpoint : *endpoints) {
    auto [ec] = co_await tcp_stream.async_connect(endpoint, use_tuple);
    last_endpoint = endpoint;
    if (!ec) {
      connected = true;
      break;
    }
    last_error = ec;
    if (ec == beast::error::timeout) break;
  }
  peer_ = net::endpoint_text(last_endpoint);
  if (!connected) {
    plain_.reset();
    secure_.reset();
    if (last_error == beast::error::timeout) {
      co_return core::Failure{"connect", core::FailureKind::timeout,
                              timeout_text(deadline_) + " connecting to " + peer_};
    }
    if (last_error == asio::error::connection_refused) {
      co_return core::Failure{"connect", core::FailureKind::refused,
                              "connection refused by " + peer_};
    }
    co_return core::Failure{"connect", core::FailureKind::network,
                            "cannot connect to " + peer_ + ": " + last_error.message()};
  }
  error_code ignored;
  tcp_stream.socket().set_option(tcp::no_delay(true), ignored);
  connect_seconds_ = core::seconds(Clock::now() - started);
  note("* connected to " + peer_);
  if (!secure_) co_return core::success();
  co_return co_await handshake();
}

asio::awaitable<core::Status> HttpConnection::handshake() {
  auto started = Clock::now();
  SSL* ssl_handle = secure_->native_handle();
  const auto& host = endpoint_.host;
  bool pinned = !endpoint_.fingerprint.empty();
  bool verify = endpoint_.tls->options().verify && !pinned;
  if (!net::is_ip_literal(host)) {
    // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
    SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(host.c_str()));
  }
  if (!pinned) {
    if (net::is_ip_literal(host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), host.c_str());
    } else {
      SSL_set1_host(ssl_handle, host.c_str());
    }
  }
  // The chain is always checked so that a problem can be reported; it fails the
  // handshake only when verification is on. A pinned certificate is judged after the
  // handshake, before anything (credentials above all) is sent.
  verify_failure_.reset();
  secure_->set_verify_mode(ssl::verify_peer);
  secure_->set_verify_callback([this, verify](bool preverified, ssl::verify_context& store) {
    X509_STORE_CTX* ctx = store.native_handle();
    if (!preverified && !verify_failure_) {
      net::VerifyFailure problem;
      problem.error = X509_STORE_CTX_get_error(ctx);
      problem.depth = X509_STORE_CTX_get_error_depth(ctx);
      if (X509* cert = X509_STORE_CTX_get_current_cert(ctx)) {
        problem.certificate = net::certificate_facts(cert);
      }
      verify_failure_ = std::move(problem);
    }
    return verify ? preverified : true;
  });
  auto [handshake_error] = co_await secure_->async_handshake(ssl::stream_base::client, use_tuple);
  if (handshake_error) {
    secure_.reset();
    if (handshake_error == beast::error::timeout) {
      co_return core::Failure{"tls", core::FailureKind::timeout,
                              timeout_text(deadline_) + " during the TLS handshake with " + peer_};
    }
    if (verify_failure_) {
      co_return core::Failure{"tls", core::FailureKind::certificate,
                              "TLS " + net::describe_verify_failure(*verify_failure_, host) + " " +
                                  endpoint_.trust_hint};
    }
    co_return core::Failure{
        "tls", core::FailureKind::tls,
        "TLS handshake with " + peer_ + " failed: " + handshake_error.message()};
  }
  tls_seconds_ = core::seconds(Clock::now() - started);
  tls_facts_ = net::session_facts(ssl_handle, verify);
  if (verify_failure_ && !verify) {
    tls_facts_->verify_problem = net::describe_verify_failure(*verify_failure_, host);
  }
  if (pinned) {
    std::string presented = net::sha256_fingerprint(SSL_get0_peer_certificate(ssl_handle));
    if (presented != endpoint_.fingerprint) {
      secure_.reset();
      std::string shown = presented.empty() ? "none" : net::format_fingerprint(presented);
      co_return core::Failure{"tls", core::FailureKind::certificate,
                              "TLS certificate of " + peer_ + " has fingerprint " + shown +
                                  ", not the pinned " +
                                  net::format_fingerprint(endpoint_.fingerprint)};
    }
  }
  note("* TLS " + tls_facts_->version + " " + tls_facts_->cipher);
  co_return core::success();
}

asio::awaitable<core::Outcome<HttpAnswer>> HttpConnection::exchange(HttpRequest request,
                                                                    const std::string& what) {
  if (secure_) co_return co_await exchange_on(*secure_, request, what);
  if (plain_) co_return co_await exchange_on(*plain_, request, what);
  co_return failure(core::FailureKind::network, "not connected for " + what);
}

template <class Stream>
asio::awaitable<core::Outcome<HttpAnswer>> HttpConnection::exchange_on(Stream& stream,
                                                                       HttpRequest& request,
                                                                       const std::string& what) {
  auto [write_error, written] = co_await http::async_write(stream, request, use_tuple);
  if (write_error) {
    keep_alive_ = false;
    if (write_error == beast::error::timeout) {
      co_return failure(core::FailureKind::timeout,
                        timeout_text(deadline_) + " sending the request for " + what);
    }
    co_return failure(core::FailureKind::network,
                      "error sending the request for " + what + ": " + write_error.message());
  }
  http::response_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits_.max_header));
  parser.body_limit(limits_.max_body);
  auto [read_error, received] = co_await http::async_read(stream, buffer_, parser, use_tuple);
  if (read_error) {
    keep_alive_ = false;
    std::string waiting = " waiting for the answer to " + what;
    if (read_error == beast::error::timeout) {
      co_return failure(core::FailureKind::timeout, timeout_text(deadline_) + waiting);
    }
    if (read_error == http::error::body_limit) {
      co_return failure(core::FailureKind::protocol, "answer to " + what + " is larger than " +
                                                         core::format_size(limits_.max_body));
    }
    if (read_error == http::error::header_limit) {
      co_return failure(core::FailureKind::protocol,
                        "HTTP header of the answer to " + what + " is longer than " +
                            std::to_string(limits_.max_header) + " bytes");
    }
    if (read_error == http::error::buffer_overflow) {
      co_return failure(core::FailureKind::protocol,
                        "answer to " + what + " does not fit the read buffer");
    }
    if (closed_by_peer(read_error)) {
      co_return failure(core::FailureKind::network, "connection closed by the server" + waiting);
    }
    if (read_error.category() == make_error_code(http::error::bad_version).category()) {
      co_return failure(core::FailureKind::protocol,
                        "malformed HTTP answer to " + what + ": " + read_error.message());
    }
    co_return failure(core::FailureKind::network,
                      "error reading the answer to " + what + ": " + read_error.message());
  }
  auto& response = parser.get();
  HttpAnswer answer;
  answer.status = response.result_int();
  answer.reason = std::string(response.reason());
  answer.body = std::move(response.body());
  // An answer whose body ran to the server's close (no Content-Length, not chunked) ended
  // the connection, whatever its Connection header says (RFC 9112 section 6.3 rule 8):
  // another request on it would wait for the deadline.
  answer.keep_alive = response.keep_alive() && !response.need_eof();
  keep_alive_ = answer.keep_alive;
  if (auto field = response.find(http::field::www_authenticate); field != response.end()) {
    answer.authenticate = std::string(field->value());
  }
  if (auto field = response.find(http::field::content_type); field != response.end()) {
    answer.content_type = std::string(field->value());
  }
  if (auto field = response.find(http::field::location); field != response.end()) {
    answer.location = std::string(field->value());
  }
  if (auto field = response.find(http::field::retry_after); field != response.end()) {
    answer.retry_after = std::string(field->value());
  }
  note("S: " + status_line(answer.status, answer.reason) + ", " +
       std::to_string(answer.body.size()) + " bytes");
  co_return answer;
}

asio::awaitable<void> HttpConnection::close() {
  if (!connected()) co_return;
  auto& tcp_stream = lowest_layer();
  if (secure_ && tcp_stream.socket().is_open() && !deadline_.expired()) {
    tcp_stream.expires_after(std::min<Clock::duration>(deadline_.remaining(), shutdown_limit));
    co_await secure_->async_shutdown(use_tuple);
  }
  error_code ignored;
  tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  tcp_stream.close();
  plain_.reset();
  secure_.reset();
}

}  // namespace mailprobe::protocol
