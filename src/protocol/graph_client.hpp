#pragma once
// A client of Microsoft Graph's mail API (v1.0) on one kept-alive HTTPS connection: list a
// folder's messages (and the pages after), delete a message, send one. The bearer token is
// given to it; where the token comes from is the caller's business. A 429 or 503 with
// Retry-After is waited out and the call repeated when the wait fits in the deadline, as
// Graph's throttling guidance asks; otherwise it fails saying so. A refusal is one line with
// Graph's status, error code and message:
//   Graph /users/probe@example.com/mailFolders/inbox/messages: 403 ErrorAccessDenied (Access
//   is denied. Check credentials and try again.)

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/deadline.hpp"
#include "core/outcome.hpp"
#include "net/tls_context.hpp"
#include "protocol/graph_message.hpp"
#include "protocol/http_client.hpp"

namespace mailprobe::protocol::graph {

// Where Graph is (https://graph.microsoft.com, or another cloud's or an emulator's URL,
// whose path, if any, comes before /v1.0) and how its certificate is trusted.
struct Endpoint {
  HttpUrl base;
  std::shared_ptr<net::TlsClientContext> tls;
};

// GET .../messages query options; empty ones are left out.
struct ListQuery {
  std::string filter;
  std::string select;
  std::string orderby;
  int top = 0;
};

// A page of 1000 messages with their headers fits; one answer is bounded all the same.
constexpr std::size_t max_answer_body = std::size_t{16} << 20;
// How often one call is repeated after 429 or 503.
constexpr int max_throttled_retries = 5;

class Client {
 public:
  Client(boost::asio::any_io_executor executor, Endpoint endpoint, std::string token,
         core::Deadline deadline);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // GET /v1.0/users/{user}/mailFolders/{folder}/messages with `query`.
  boost::asio::awaitable<core::Outcome<MessagePage>> list_messages(const std::string& user,
                                                                   const std::string& folder,
                                                                   const ListQuery& query);
  // The page an @odata.nextLink names; it must be on the same server.
  boost::asio::awaitable<core::Outcome<MessagePage>> next_page(const std::string& next_link);
  // DELETE /v1.0/users/{user}/messages/{id}.
  boost::asio::awaitable<core::Status> delete_message(const std::string& user,
                                                      const std::string& id);
  // POST /v1.0/users/{user}/sendMail; success is Graph's 202 Accepted.
  boost::asio::awaitable<core::Status> send_mail(const std::string& user,
                                                 const OutgoingMessage& message);
  // Closes the connection (TLS close_notify bounded by the deadline).
  boost::asio::awaitable<void> close();

  // Requests and answers (never the token), when set.
  void set_transcript(std::vector<std::string>* transcript);
  // Another token for the calls from now on (one renewed after a 401).
  void set_token(std::string token) { token_ = std::move(token); }
  // The HTTP status of the last answer; 0 before the first or when none came.
  unsigned last_status() const { return last_status_; }
  // How long and how often Graph's Retry-After made the client wait.
  double throttled_seconds() const { return throttled_seconds_; }
  int throttled_count() const { return throttled_count_; }
  const std::string& peer() const { return connection_.peer(); }

 private:
  boost::asio::awaitable<core::Outcome<HttpAnswer>> call(boost::beast::http::verb verb,
                                                         std::string target, std::string body,
                                                         std::string what);
  boost::asio::awaitable<core::Outcome<HttpAnswer>> send_once(boost::beast::http::verb verb,
                                                              const std::string& target,
                                                              const std::string& body,
                                                              const std::string& what);
  boost::asio::awaitable<core::Outcome<MessagePage>> list(std::string target, std::string what);
  std::string users_path(const std::string& user) const;
  void note(std::string line);

  boost::asio::any_io_executor executor_;
  Endpoint endpoint_;
  std::string token_;
  core::Deadline deadline_;
  HttpConnection connection_;
  std::string prefix_;  // the base URL's path without its last '/'
  std::vector<std::string>* transcript_ = nullptr;
  double throttled_seconds_ = 0;
  int throttled_count_ = 0;
  unsigned last_status_ = 0;
};

}  // namespace mailprobe::protocol::graph
