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
#include "protocol/http_client.hpp"
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

using net::format_fingerprint;
using net::normalize_fingerprint;

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
  const std::optional<net::TlsFacts>& tls_facts() const { return connection_.tls_facts(); }
  // Requests, answers and polling, without credentials, when set.
  void set_transcript(std::vector<std::string>* transcript) {
    transcript_ = transcript;
    connection_.set_transcript(transcript);
  }
  double connect_seconds() const { return connection_.connect_seconds(); }
  double tls_seconds() const { return connection_.tls_seconds(); }

 private:
  boost::asio::awaitable<core::Outcome<HttpAnswer>> post(std::string path, std::string body,
                                                         std::string what);
  boost::asio::awaitable<core::Outcome<Envelope>> call(std::string path, Arguments arguments,
                                                       std::string what);
  boost::asio::awaitable<void> cancel(std::string token, std::string method);
  core::Outcome<Envelope> envelope_of(const HttpAnswer& answer, const std::string& what) const;
  HttpRequest make_request(const std::string& path, const std::string& body) const;
  void note(std::string line);

  ApiEndpoint endpoint_;
  core::Deadline deadline_;
  ApiLimits limits_;
  HttpConnection connection_;
  std::vector<std::string>* transcript_ = nullptr;
  // Where the deadline for polling ends: a reserve is kept to cancel the call.
  core::Deadline::clock::time_point poll_until_;
};

}  // namespace mailprobe::protocol::mailstore
