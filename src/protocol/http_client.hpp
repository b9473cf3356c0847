#pragma once
// One HTTP/1.1 connection, plain or TLS, under a deadline: for the MailStore API and for
// webhooks. Connect (every resolved address in turn), TLS verified by default (chain and
// host name, or a pinned SHA-256 fingerprint), requests and answers bounded in size. Every
// failure says what it was doing and is a core::Failure of the right kind.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/deadline.hpp"
#include "core/outcome.hpp"
#include "net/certificate.hpp"
#include "net/resolve.hpp"
#include "net/tls_context.hpp"

namespace mailprobe::protocol {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

struct HttpEndpoint {
  std::string host;
  std::uint16_t port = 0;
  net::AddressFamily family = net::AddressFamily::any;
  // Set: connect to this IP address instead of looking `host` up (which still names the
  // server for SNI, the certificate check and Host:). A domain check connects to what its
  // own DNSSEC-validating lookup returned.
  std::string address;
  // Set: HTTPS with this context (verification on, or off with --insecure). Null: plain HTTP.
  std::shared_ptr<net::TlsClientContext> tls;
  // The SHA-256 of the one certificate to accept (64 lowercase hex digits). When set, the
  // chain and host name are not checked: the pin is the trust.
  std::string fingerprint;
  // Appended to a certificate failure: how the user can trust the server.
  std::string trust_hint = "(trust it with --ca-file)";
};

struct HttpLimits {
  std::size_t max_header = std::size_t{16} * 1024;
  std::size_t max_body = std::size_t{1024} * 1024;
};

struct HttpAnswer {
  unsigned status = 0;
  std::string reason;
  std::string body;
  std::string authenticate;  // WWW-Authenticate
  std::string content_type;  // Content-Type
  std::string location;      // Location (of a redirect: never followed)
  std::string retry_after;   // Retry-After (of a 429 or 503)
  bool keep_alive = false;
};

class HttpConnection {
 public:
  HttpConnection(boost::asio::any_io_executor executor, HttpEndpoint endpoint,
                 core::Deadline deadline, HttpLimits limits = {});
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;
  ~HttpConnection();

  // Connects (and completes the TLS handshake); drops an earlier connection.
  boost::asio::awaitable<core::Status> connect();
  // Sends `request` and reads the answer; `what` names the request in messages ("the
  // webhook", "GetJobResults"). Needs a connection.
  boost::asio::awaitable<core::Outcome<HttpAnswer>> exchange(HttpRequest request,
                                                             const std::string& what);
  // Connected, and the last answer allows another request on this connection.
  bool reusable() const { return connected() && keep_alive_; }
  bool connected() const { return plain_ != nullptr || secure_ != nullptr; }
  // Closes the connection (TLS close_notify bounded by the deadline).
  boost::asio::awaitable<void> close();

  // "Host:" for requests to this endpoint: "example.com:8463", "[2001:db8::1]:443".
  std::string host_header() const;
  const std::string& peer() const { return peer_; }
  const std::optional<net::TlsFacts>& tls_facts() const { return tls_facts_; }
  double connect_seconds() const { return connect_seconds_; }
  double tls_seconds() const { return tls_seconds_; }
  // Connection events ("* connected to ...", "* TLS ..."), when set.
  void set_transcript(std::vector<std::string>* transcript) { transcript_ = transcript; }

 private:
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  boost::beast::tcp_stream& lowest_layer();
  boost::asio::awaitable<core::Status> handshake();
  template <class Stream>
  boost::asio::awaitable<core::Outcome<HttpAnswer>> exchange_on(Stream& stream,
                                                                HttpRequest& request,
                                                                const std::string& what);
  void note(std::string line);

  boost::asio::any_io_executor executor_;
  HttpEndpoint endpoint_;
  core::Deadline deadline_;
  HttpLimits limits_;
  std::unique_ptr<boost::beast::tcp_stream> plain_;
  std::unique_ptr<TlsStream> secure_;
  boost::beast::flat_buffer buffer_;
  bool keep_alive_ = false;
  std::optional<net::VerifyFailure> verify_failure_;
  std::optional<net::TlsFacts> tls_facts_;
  std::string peer_;
  std::vector<std::string>* transcript_ = nullptr;
  double connect_seconds_ = 0;
  double tls_seconds_ = 0;
};

// An http:// or https:// URL taken apart: "https://hooks.example.com/mail?x=1" is tls,
// hooks.example.com, 443, "/mail?x=1". User information in the URL is refused (a secret
// belongs in a file).
struct HttpUrl {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string target;  // path and query, at least "/"
};
// The URL or what is wrong with it (the message shows it as url_for_logs does).
core::Outcome<HttpUrl> parse_http_url(std::string_view text);
// A URL as logs and messages show it: scheme, host and port, the path and query only as
// "/…" (a webhook's path is often its secret: Slack, Teams), never a user or password.
std::string url_for_logs(std::string_view text);

// The endpoint of `url` (TLS with `tls` when the URL is https://).
HttpEndpoint http_endpoint(const HttpUrl& url, std::shared_ptr<net::TlsClientContext> tls);

// One request on a connection of its own: connect, send, read the answer, close. For
// webhooks and the daemon's peers; `what` names the request in messages.
boost::asio::awaitable<core::Outcome<HttpAnswer>> exchange_once(
    boost::asio::any_io_executor executor, HttpEndpoint endpoint, core::Deadline deadline,
    HttpRequest request, std::string what, HttpLimits limits = {});

// "timeout after 10.0 s" for a deadline's budget.
std::string timeout_text(const core::Deadline& deadline);
// "HTTP 404 Not Found".
std::string status_line(unsigned status, const std::string& reason);

}  // namespace mailprobe::protocol
