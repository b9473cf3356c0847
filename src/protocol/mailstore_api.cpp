#include "protocol/mailstore_api.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/beast/http/field.hpp>

namespace mailprobe::protocol::mailstore {

namespace {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

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

// What the transcript shows of a request.
std::string request_line(const std::string& path, const std::string& body) {
  return body.empty() ? "C: POST " + path : "C: POST " + path + " " + body;
}

HttpEndpoint http_endpoint(const ApiEndpoint& endpoint) {
  HttpEndpoint http;
  http.host = endpoint.host;
  http.port = endpoint.port;
  http.family = endpoint.family;
  http.tls = endpoint.tls;
  http.fingerprint = endpoint.fingerprint;
  http.trust_hint = "(trust it with --ca-file or --fingerprint)";
  return http;
}
}  // namespace

ApiClient::ApiClient(asio::any_io_executor executor, ApiEndpoint endpoint, core::Deadline deadline,
                     ApiLimits limits)
    : endpoint_(std::move(endpoint)),
      deadline_(deadline),
      limits_(limits),
      connection_(std::move(executor), http_endpoint(endpoint_), deadline,
                  HttpLimits{limits.max_header, limits.max_body}) {
  // Polling stops early enough to cancel the call within the deadline.
  auto reserve = std::min<Clock::duration>(std::chrono::seconds(1), deadline_.budget() / 10);
  poll_until_ = deadline_.at() - reserve;
}

ApiClient::~ApiClient() = default;

void ApiClient::note(std::string line) {
  if (transcript_ != nullptr) transcript_->push_back(std::move(line));
}

HttpRequest ApiClient::make_request(const std::string& path, const std::string& body) const {
  HttpRequest request(http::verb::post, path, 11);
  request.set(http::field::host, connection_.host_header());
  request.set(http::field::user_agent, "mailprobe");
  request.set(http::field::accept, "application/json");
  request.set(http::field::authorization,
              "Basic " + base64(endpoint_.user + ":" + endpoint_.password));
  request.set(http::field::content_type, "application/x-www-form-urlencoded");
  request.keep_alive(true);
  request.body() = body;
  // An empty body is sent with "Content-Length: 0", which the API requires of a POST.
  request.content_length(body.size());
  return request;
}

asio::awaitable<core::Outcome<HttpAnswer>> ApiClient::post(std::string path, std::string body,
                                                           std::string what) {
  // Arguments are shown; the password travels only in the Authorization header, which
  // the transcript leaves out.
  bool reused = connection_.reusable();
  if (!reused) {
    auto connected = co_await connection_.connect();
    if (!connected) co_return connected.failure();
  }
  note(request_line(path, body));
  auto answer = co_await connection_.exchange(make_request(path, body), what);
  if (!answer && reused && answer.failure().kind == core::FailureKind::network &&
      !deadline_.expired()) {
    // The server closed a kept-alive connection between two calls: one new connection.
    note("* connection closed by the server; connecting again");
    auto connected = co_await connection_.connect();
    if (!connected) co_return connected.failure();
    answer = co_await connection_.exchange(make_request(path, body), what);
  }
  if (!answer) answer.failure().phase = "api";
  co_return answer;
}

core::Outcome<Envelope> ApiClient::envelope_of(const HttpAnswer& answer,
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
  co_await connection_.close();
}

}  // namespace mailprobe::protocol::mailstore
