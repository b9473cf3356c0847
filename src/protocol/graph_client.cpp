#include "protocol/graph_client.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include "core/format.hpp"

namespace mailprobe::protocol::graph {

namespace {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

core::Failure failure(core::FailureKind kind, std::string message) {
  return {"graph", kind, std::move(message)};
}

HttpEndpoint http_endpoint(const Endpoint& endpoint) {
  HttpEndpoint http;
  http.host = endpoint.base.host;
  http.port = endpoint.base.port;
  if (endpoint.base.tls) http.tls = endpoint.tls;
  return http;
}

// The path of a target, for messages: "/users/a@b/messages/AAMk...=" without the query
// (a $filter is long) and with the user readable.
std::string shown_path(std::string_view target, std::string_view prefix) {
  auto path = target.substr(0, target.find('?'));
  if (path.substr(0, prefix.size()) == prefix) path.remove_prefix(prefix.size());
  if (path.substr(0, 5) == "/v1.0") path.remove_prefix(5);
  std::string shown(path);
  for (std::size_t at = shown.find("%40"); at != std::string::npos; at = shown.find("%40", at)) {
    shown.replace(at, 3, "@");
  }
  return shown;
}

std::string query_text(const ListQuery& query) {
  std::string text;
  auto add = [&](std::string_view name, const std::string& value) {
    if (value.empty()) return;
    text += (text.empty() ? "?" : "&") + std::string(name) + "=" + percent_encode(value);
  };
  add("$filter", query.filter);
  add("$select", query.select);
  add("$orderby", query.orderby);
  if (query.top > 0) add("$top", std::to_string(query.top));
  return text;
}

}  // namespace

Client::Client(asio::any_io_executor executor, Endpoint endpoint, std::string token,
               core::Deadline deadline)
    : executor_(executor),
      endpoint_(std::move(endpoint)),
      token_(std::move(token)),
      deadline_(deadline),
      connection_(executor, http_endpoint(endpoint_), deadline,
                  HttpLimits{std::size_t{16} * 1024, max_answer_body}) {
  prefix_ = endpoint_.base.target;
  auto query = prefix_.find('?');
  if (query != std::string::npos) prefix_.resize(query);
  while (!prefix_.empty() && prefix_.back() == '/')
    prefix_.pop_back();
}

Client::~Client() = default;

void Client::set_transcript(std::vector<std::string>* transcript) {
  transcript_ = transcript;
  connection_.set_transcript(transcript);
}

void Client::note(std::string line) {
  if (transcript_ != nullptr) transcript_->push_back(std::move(line));
}

std::string Client::users_path(const std::string& user) const {
  return prefix_ + "/v1.0/users/" + percent_encode(user);
}

asio::awaitable<core::Outcome<HttpAnswer>> Client::send_once(http::verb verb,
                                                             const std::string& target,
                                                             const std::string& body,
                                                             const std::string& what) {
  auto make_request = [&] {
    HttpRequest request(verb, target, 11);
    request.set(http::field::host, connection_.host_header());
    request.set(http::field::user_agent, "mailprobe");
    request.set(http::field::accept, "application/json");
    // RFC 6750 section 2.1. The transcript never shows this header.
    request.set(http::field::authorization, "Bearer " + token_);
    if (verb == http::verb::post) {
      request.set(http::field::content_type, "application/json");
      request.body() = body;
      request.content_length(body.size());
    }
    request.keep_alive(true);
    return request;
  };
  bool reused = connection_.reusable();
  if (!reused) {
    auto connected = co_await connection_.connect();
    if (!connected) co_return connected.failure();
  }
  note("C: " + std::string(http::to_string(verb)) + " " + target);
  auto answer = co_await connection_.exchange(make_request(), what);
  if (!answer && reused && answer.failure().kind == core::FailureKind::network &&
      !deadline_.expired()) {
    // The server closed the kept-alive connection between two calls: one new connection.
    note("* connection closed by the server; connecting again");
    auto connected = co_await connection_.connect();
    if (!connected) co_return connected.failure();
    answer = co_await connection_.exchange(make_request(), what);
  }
  co_return answer;
}

asio::awaitable<core::Outcome<HttpAnswer>> Client::call(http::verb verb, std::string target,
                                                        std::string body, std::string what) {
  // Time kept back for what the caller still has to do after this call (deleting,
  // reporting): a wait for Graph must not eat it.
  auto reserve = std::min<Clock::duration>(std::chrono::seconds(2), deadline_.budget() / 10);
  for (int attempt = 0;; ++attempt) {
    auto answer = co_await send_once(verb, target, body, what);
    last_status_ = answer ? answer->status : 0;
    if (!answer) {
      answer.failure().message = "Graph " + what + ": " + answer.failure().message;
      co_return answer;
    }
    if (answer->status >= 200 && answer->status <= 299) co_return answer;
    auto described =
        "Graph " + what + ": " + describe_error(answer->status, answer->reason, answer->body);
    bool throttled = answer->status == 429 || answer->status == 503;
    if (!throttled || answer->retry_after.empty()) {
      // 400 and 404 are the server refusing what was asked; 401 and 403 a login refused.
      auto kind = answer->status >= 500 ? core::FailureKind::network : core::FailureKind::rejected;
      co_return failure(kind, described);
    }
    auto wait = parse_retry_after(answer->retry_after, std::chrono::system_clock::now());
    if (!wait)
      co_return failure(core::FailureKind::protocol, described + ": malformed Retry-After");
    auto wait_for =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*wait));
    auto left = deadline_.at() - reserve - Clock::now();
    if (wait_for > left || attempt >= max_throttled_retries) {
      auto why = attempt >= max_throttled_retries
                     ? ", still after " + std::to_string(attempt) + " waits"
                     : ": Retry-After " + core::format_seconds(*wait) +
                           " does not fit in the time left (" +
                           core::format_seconds(std::max(0.0, core::seconds(left))) + ")";
      co_return failure(core::FailureKind::timeout, described + why);
    }
    note("* " + std::to_string(answer->status) + ": waiting " + core::format_seconds(*wait) +
         " as Retry-After asks");
    ++throttled_count_;
    throttled_seconds_ += *wait;
    asio::steady_timer timer(executor_, wait_for);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<core::Outcome<MessagePage>> Client::list(std::string target, std::string what) {
  auto answer = co_await call(http::verb::get, target, {}, what);
  if (!answer) co_return answer.failure();
  auto page = parse_message_page(answer->body);
  if (!page) page.failure().message = "Graph " + what + ": " + page.failure().message;
  co_return page;
}

asio::awaitable<core::Outcome<MessagePage>> Client::list_messages(const std::string& user,
                                                                  const std::string& folder,
                                                                  const ListQuery& query) {
  auto target = users_path(user) + "/mailFolders/" + percent_encode(folder) + "/messages";
  auto what = shown_path(target, prefix_);
  co_return co_await list(target + query_text(query), what);
}

asio::awaitable<core::Outcome<MessagePage>> Client::next_page(const std::string& next_link) {
  auto url = parse_http_url(next_link);
  if (!url || url->tls != endpoint_.base.tls || url->host != endpoint_.base.host ||
      url->port != endpoint_.base.port) {
    // The token goes only where the user pointed mailprobe.
    co_return failure(core::FailureKind::protocol,
                      "Graph's @odata.nextLink " + url_for_logs(next_link) +
                          " is not on the server asked (" + endpoint_.base.host + ")");
  }
  co_return co_await list(url->target, shown_path(url->target, prefix_));
}

asio::awaitable<core::Status> Client::delete_message(const std::string& user,
                                                     const std::string& id) {
  auto target = users_path(user) + "/messages/" + percent_encode(id);
  auto answer = co_await call(http::verb::delete_, target, {}, shown_path(target, prefix_));
  if (!answer) co_return answer.failure();
  co_return core::success();
}

asio::awaitable<core::Status> Client::send_mail(const std::string& user,
                                                const OutgoingMessage& message) {
  auto target = users_path(user) + "/sendMail";
  auto answer =
      co_await call(http::verb::post, target, send_mail_body(message), shown_path(target, prefix_));
  if (!answer) co_return answer.failure();
  co_return core::success();
}

asio::awaitable<void> Client::close() {
  co_await connection_.close();
}

}  // namespace mailprobe::protocol::graph
