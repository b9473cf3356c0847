#pragma once
// A client of the MailStore Server Administration API: HTTPS (port 8463 by default) with
// HTTP Basic authentication as a MailStore administrator; `POST /api/invoke/<Method>` with
// form-encoded arguments; JSON answers in an envelope (protocol/mailstore_envelope). A
// call that takes longer answers statusCode "running" with a token, which is polled with
// `POST /api/get-status` until the call ends, all within the one deadline; when the
// deadline comes first the call is cancelled with `POST /api/cancel-async`.
//
// MailStore Server ships with a self-signed certificate. It is accepted only when the
// user says so: a CA file that contains it (--ca-file), its SHA-256 fingerprint
// (--fingerprint, which accepts exactly that certificate), or --insecure.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/value.hpp>
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
#include "protocol/mailstore_envelope.hpp"

namespace mailprobe::protocol::mailstore {

// Where the API is and how to trust and log in to it.
struct ApiEndpoint {
  std::string host = "localhost";
  std::uint16_t port = 8463;
  net::AddressFamily family = net::AddressFamily::any;
  std::string user = "admin";
  std::string password;
  // Verification on (system CAs or --ca-file) or off (--insecure); required.
  std::shared_ptr<net::TlsClientContext> tls;
  // --fingerprint: the SHA-256 of the one certificate to accept, 64 lowercase hex digits.
  // When set, the chain and host name are not checked: the pin is the trust.
  std::string fingerprint;
};

// Bounds of what the client reads from the server.
struct ApiLimits {
  std::size_t max_header = std::size_t{16} * 1024;
  std::size_t max_body = std::size_t{64} * 1024 * 1024;
  // Longest a single get-status request asks the server to wait for news.
  std::chrono::milliseconds max_poll_wait{5000};
};

// "SHA256:AB:CD:...", "ab cd ...", "abcd..." -> 64 lowercase hex digits; nullopt if it is
// not a SHA-256 fingerprint.
std::optional<std::string> normalize_fingerprint(std::string_view text);
// 64 hex digits -> "SHA256:AB:CD:..." as `openssl x509 -fingerprint -sha256` prints it.
std::string format_fingerprint(std::string_view hex);

class ApiClient {
 public:
  ApiClient(boost::asio::any_io_executor executor, ApiEndpoint endpoint, core::Deadline deadline,
            ApiLimits limits = {});
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;
  ~ApiClient();

  // Calls an API method and waits for its end (polling get-status). Returns the result of
  // a call that succeeded; an error envelope is a failure of kind `rejected` whose message
  // names the method and says what the server said.
  boost::asio::awaitable<core::Outcome<boost::json::value>> invoke(std::string method,
                                                                   Arguments arguments);

  // The list of methods the server offers (/api/get-metadata).
  boost::asio::awaitable<core::Outcome<std::vector<std::string>>> method_names();

  // Closes the connection (TLS close_notify bounded by the deadline).
  boost::asio::awaitable<void> close();

  // The TLS session of the last connection, once connected.
  const std::optional<net::TlsFacts>& tls_facts() const { return tls_facts_; }
  // Requests, answers and polling, without credentials, when set.
  void set_transcript(std::vector<std::string>* transcript) { transcript_ = transcript; }
  double connect_seconds() const { return connect_seconds_; }
  double tls_seconds() const { return tls_seconds_; }

 private:
  struct Answer {
    unsigned status = 0;
    std::string reason;
    std::string body;
    std::string authenticate;  // WWW-Authenticate
  };
  using Stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  boost::asio::awaitable<core::Status> connect();
  boost::asio::awaitable<core::Outcome<Answer>> post(std::string path, std::string body,
                                                     std::string what);
  boost::asio::awaitable<core::Outcome<Answer>> exchange(const std::string& path,
                                                         const std::string& body,
                                                         const std::string& what);
  boost::asio::awaitable<core::Outcome<Envelope>> call(std::string path, Arguments arguments,
                                                       std::string what);
  boost::asio::awaitable<void> cancel(std::string token, std::string method);
  core::Outcome<Envelope> envelope_of(const Answer& answer, const std::string& what) const;
  void note(std::string line);

  boost::asio::any_io_executor executor_;
  ApiEndpoint endpoint_;
  core::Deadline deadline_;
  ApiLimits limits_;
  std::unique_ptr<Stream> stream_;
  bool keep_alive_ = false;
  boost::beast::flat_buffer buffer_;
  std::optional<net::VerifyFailure> verify_failure_;
  std::optional<net::TlsFacts> tls_facts_;
  std::string peer_;
  std::vector<std::string>* transcript_ = nullptr;
  double connect_seconds_ = 0;
  double tls_seconds_ = 0;
  // Where the deadline for polling ends: a reserve is kept to cancel the call.
  core::Deadline::clock::time_point poll_until_;
};

}  // namespace mailprobe::protocol::mailstore
