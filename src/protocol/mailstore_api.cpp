#include "protocol/mailstore_api.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "core/format.hpp"

namespace mailprobe::protocol::mailstore {

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
  return {"api", kind, std::move(message)};
}

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(data.data()),
                               static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(std::max(length, 0)));
  return out;
}

std::string timeout_text(const core::Deadline& deadline) {
  return "timeout after " + core::format_seconds(core::seconds(deadline.budget()));
}

bool closed_by_peer(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == ssl::error::stream_truncated ||
         ec == asio::error::broken_pipe || ec == http::error::partial_message;
}

http::request<http::string_body> make_request(const std::string& path, const std::string& body,
                                              const ApiEndpoint& endpoint) {
  http::request<http::string_body> request(http::verb::post, path, 11);
  std::string host = endpoint.host;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  request.set(http::field::host, host + ":" + std::to_string(endpoint.port));
  request.set(http::field::user_agent, "mailprobe");
  request.set(http::field::accept, "application/json");
  request.set(http::field::authorization,
              "Basic " + base64(endpoint.user + ":" + endpoint.password));
  request.set(http::field::content_type, "application/x-www-form-urlencoded");
  request.keep_alive(true);
  request.body() = body;
  // An empty body is sent with "Content-Length: 0", which the API requires of a POST.
  request.content_length(body.size());
  return request;
}

std::string sha256_hex(X509* certificate) {
  if (certificate == nullptr) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1) return "";
  static constexpr char hex[] = "0123456789abcdef";
  std::string text;
  for (unsigned int i = 0; i < length; ++i) {
    text += hex[digest[i] >> 4];
    text += hex[digest[i] & 0x0f];
  }
  return text;
}

// What the transcript shows of a request.
std::string request_line(const std::string& path, const std::string& body) {
  return body.empty() ? "C: POST " + path : "C: POST " + path + " " + body;
}

std::string shown_fingerprint(const std::string& hex);

std::string status_line(unsigned status, const std::string& reason) {
  return "HTTP " + std::to_string(status) + (reason.empty() ? "" : " " + reason);
}
}  // namespace

std::optional<std::string> normalize_fingerprint(std::string_view text) {
  std::string_view rest = text;
  for (std::string_view prefix : {"SHA256:", "sha256:", "SHA256=", "sha256="}) {
    if (rest.substr(0, prefix.size()) == prefix) {
      rest.remove_prefix(prefix.size());
      break;
    }
  }
  std::string hex;
  for (char c : rest) {
    if (c == ':' || c == ' ') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 64) return std::nullopt;
  return hex;
}

namespace {
std::string shown_fingerprint(const std::string& hex) {
  return hex.empty() ? "none" : format_fingerprint(hex);
}
}  // namespace

std::string format_fingerprint(std::string_view hex) {
  std::string text = "SHA256:";
  for (std::size_t i = 0; i < hex.size(); ++i) {
    if (i > 0 && i % 2 == 0) text += ':';
    text += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i])));
  }
  return text;
}

ApiClient::ApiClient(asio::any_io_executor executor, ApiEndpoint endpoint, core::Deadline deadline,
                     ApiLimits limits)
    : executor_(std::move(executor)),
      endpoint_(std::move(endpoint)),
      deadline_(deadline),
      limits_(limits),
      // Beast moves the body out of this buffer as it reads; the buffer holds at most a
      // header and one read.
      buffer_(limits.max_header + mebibyte) {
  // Polling stops early enough to cancel the call within the deadline.
  auto reserve = std::min<Clock::duration>(std::chrono::seconds(1), deadline_.budget() / 10);
  poll_until_ = deadline_.at() - reserve;
}

ApiClient::~ApiClient() = default;

void ApiClient::note(std::string line) {
  if (transcript_ != nullptr) transcript_->push_back(std::move(line));
}

asio::awaitable<core::Status> ApiClient::connect() {
  auto started = Clock::now();
  auto endpoints =
      co_await net::resolve(endpoint_.host, endpoint_.port, endpoint_.family, deadline_);
  if (!endpoints) co_return endpoints.failure();
  stream_ = std::make_unique<Stream>(executor_, endpoint_.tls->native());
  buffer_.clear();
  keep_alive_ = false;
  auto& tcp_stream = beast::get_lowest_layer(*stream_);
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
  auto connected_at = Clock::now();
  connect_seconds_ = core::seconds(connected_at - started);
  note("* connected to " + peer_);

  SSL* ssl_handle = stream_->native_handle();
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
  stream_->set_verify_mode(ssl::verify_peer);
  stream_->set_verify_callback([this, verify](bool preverified, ssl::verify_context& store) {
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
  auto [handshake_error] = co_await stream_->async_handshake(ssl::stream_base::client, use_tuple);
  if (handshake_error) {
    stream_.reset();
    if (handshake_error == beast::error::timeout) {
      co_return core::Failure{"tls", core::FailureKind::timeout,
                              timeout_text(deadline_) + " during the TLS handshake with " + peer_};
    }
    if (verify_failure_) {
      co_return core::Failure{"tls", core::FailureKind::certificate,
                              "TLS " + net::describe_verify_failure(*verify_failure_, host) +
                                  " (trust it with --ca-file or --fingerprint)"};
    }
    co_return core::Failure{
        "tls", core::FailureKind::tls,
        "TLS handshake with " + peer_ + " failed: " + handshake_error.message()};
  }
  tls_seconds_ = core::seconds(Clock::now() - connected_at);
  tls_facts_ = net::session_facts(ssl_handle, verify);
  if (verify_failure_ && !verify) {
    tls_facts_->verify_problem = net::describe_verify_failure(*verify_failure_, host);
  }
  if (pinned) {
    X509* certificate = SSL_get0_peer_certificate(ssl_handle);
    std::string presented = sha256_hex(certificate);
    if (presented != endpoint_.fingerprint) {
      stream_.reset();
      std::string shown = shown_fingerprint(presented);
      co_return core::Failure{"tls", core::FailureKind::certificate,
                              "TLS certificate of " + peer_ + " has fingerprint " + shown +
                                  ", not the pinned " + format_fingerprint(endpoint_.fingerprint)};
    }
  }
  note("* TLS " + tls_facts_->version + " " + tls_facts_->cipher);
  co_return core::success();
}

asio::awaitable<core::Outcome<ApiClient::Answer>> ApiClient::exchange(const std::string& path,
                                                                      const std::string& body,
                                                                      const std::string& what) {
  auto request = make_request(path, body, endpoint_);
  auto [write_error, written] = co_await http::async_write(*stream_, request, use_tuple);
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
  auto [read_error, received] = co_await http::async_read(*stream_, buffer_, parser, use_tuple);
  if (read_error) {
    keep_alive_ = false;
    std::string waiting = " waiting for the answer to " + what;
    if (read_error == beast::error::timeout) {
      co_return failure(core::FailureKind::timeout, timeout_text(deadline_) + waiting);
    }
    if (read_error == http::error::body_limit) {
      co_return failure(core::FailureKind::protocol,
                        "answer to " + what + " is larger than " +
                            std::to_string(limits_.max_body / mebibyte) + " MiB");
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
  keep_alive_ = response.keep_alive();
  Answer answer;
  answer.status = response.result_int();
  answer.reason = std::string(response.reason());
  answer.body = std::move(response.body());
  if (auto field = response.find(http::field::www_authenticate); field != response.end()) {
    answer.authenticate = std::string(field->value());
  }
  note("S: " + status_line(answer.status, answer.reason) + ", " +
       std::to_string(answer.body.size()) + " bytes");
  co_return answer;
}

asio::awaitable<core::Outcome<ApiClient::Answer>> ApiClient::post(std::string path,
                                                                  std::string body,
                                                                  std::string what) {
  // Arguments are shown; the password travels only in the Authorization header, which
  // the transcript leaves out.
  bool reused = stream_ != nullptr && keep_alive_;
  if (!reused) {
    auto connected = co_await connect();
    if (!connected) co_return connected.failure();
  }
  note(request_line(path, body));
  auto answer = co_await exchange(path, body, what);
  if (!answer && reused && answer.failure().kind == core::FailureKind::network &&
      !deadline_.expired()) {
    // The server closed a kept-alive connection between two calls: one new connection.
    note("* connection closed by the server; connecting again");
    auto connected = co_await connect();
    if (!connected) co_return connected.failure();
    answer = co_await exchange(path, body, what);
  }
  co_return answer;
}

core::Outcome<Envelope> ApiClient::envelope_of(const Answer& answer,
                                               const std::string& what) const {
  if (answer.status == 401) {
    std::string realm;
    if (!answer.authenticate.empty()) realm = ", " + answer.authenticate;
    return failure(core::FailureKind::rejected,
                   "login as '" + endpoint_.user + "' refused (" +
                       status_line(answer.status, answer.reason) + realm +
                       "): wrong user name or password, or not a MailStore administrator");
  }
  auto envelope = parse_envelope(answer.body);
  if (answer.status < 200 || answer.status > 299) {
    std::string message = what + ": " + status_line(answer.status, answer.reason);
    if (envelope && envelope->error) message += ": " + describe_error(*envelope->error);
    return failure(core::FailureKind::rejected, message);
  }
  if (!envelope) {
    auto problem = envelope.failure();
    problem.message = what + ": " + problem.message;
    return problem;
  }
  return envelope;
}

asio::awaitable<core::Outcome<Envelope>> ApiClient::call(std::string path, Arguments arguments,
                                                         std::string what) {
  auto answer = co_await post(path, form_encode(arguments), what);
  if (!answer) co_return answer.failure();
  co_return envelope_of(*answer, what);
}

asio::awaitable<void> ApiClient::cancel(std::string token, std::string method) {
  Arguments arguments;
  arguments.emplace_back("token", std::move(token));
  auto answer = co_await post("/api/cancel-async", form_encode(arguments), "cancel-async");
  if (!answer) note("* cancel-async for " + method + " failed: " + answer.failure().message);
}

asio::awaitable<core::Outcome<boost::json::value>> ApiClient::invoke(std::string method,
                                                                     Arguments arguments) {
  auto envelope = co_await call("/api/invoke/" + method, std::move(arguments), method);
  if (!envelope) co_return envelope.failure();
  while (envelope->running()) {
    auto now = Clock::now();
    if (now >= poll_until_) {
      co_await cancel(*envelope->token, method);
      co_return failure(core::FailureKind::timeout, timeout_text(deadline_) + " waiting for " +
                                                        method +
                                                        " to finish (the call was cancelled)");
    }
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(poll_until_ - now);
    wait = std::clamp(wait, std::chrono::milliseconds(1), limits_.max_poll_wait);
    Arguments poll;
    poll.emplace_back("token", *envelope->token);
    poll.emplace_back("millisecondsTimeout", std::to_string(wait.count()));
    poll.emplace_back("lastKnownStatusVersion", std::to_string(envelope->status_version));
    auto next = co_await call("/api/get-status", std::move(poll), method);
    if (!next) co_return next.failure();
    envelope = std::move(next);
  }
  if (envelope->error) {
    co_return failure(core::FailureKind::rejected,
                      method + " failed: " + describe_error(*envelope->error));
  }
  if (envelope->status_code != "succeeded") {
    std::string message = method + " ended with status " + envelope->status_code;
    if (!envelope->status_text.empty()) message += ": " + envelope->status_text;
    co_return failure(core::FailureKind::rejected, message);
  }
  co_return std::move(envelope->result);
}

asio::awaitable<core::Outcome<std::vector<std::string>>> ApiClient::method_names() {
  auto answer = co_await post("/api/get-metadata", std::string(), "get-metadata");
  if (!answer) co_return answer.failure();
  if (answer->status < 200 || answer->status > 299) {
    auto envelope = envelope_of(*answer, "get-metadata");
    if (!envelope) co_return envelope.failure();
  }
  auto parsed = parse_json(answer->body);
  if (!parsed) co_return parsed.failure();
  co_return parse_method_names(*parsed);
}

asio::awaitable<void> ApiClient::close() {
  if (!stream_) co_return;
  auto& tcp_stream = beast::get_lowest_layer(*stream_);
  if (tcp_stream.socket().is_open() && !deadline_.expired()) {
    tcp_stream.expires_after(std::min<Clock::duration>(deadline_.remaining(), shutdown_limit));
    co_await stream_->async_shutdown(use_tuple);
  }
  error_code ignored;
  tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  tcp_stream.close();
  stream_.reset();
}

}  // namespace mailprobe::protocol::mailstore
