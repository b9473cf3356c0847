// The Graph client against scripted servers: what it asks (the token in the Authorization
// header, the query encoded), pages followed on the kept-alive connection and only on the
// server asked, Retry-After waited out or refused, and Graph's errors as one line.

#include "protocol/graph_client.hpp"

#include <gtest/gtest.h>

#include "support/run.hpp"
#include "support/servers.hpp"

namespace mailprobe::protocol::graph {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Reads one request's header lines (the requests here have no body).
asio::awaitable<std::vector<std::string>> read_request(tcp::socket& socket) {
  std::vector<std::string> lines;
  for (;;) {
    auto line = co_await test::receive_line(socket);
    if (line.empty()) break;
    lines.push_back(line);
  }
  co_return lines;
}

std::string answer(const std::string& status, const std::string& body,
                   const std::string& headers = {}) {
  return "HTTP/1.1 " + status +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + headers + "\r\n" + body;
}

Endpoint plain_endpoint(std::uint16_t port) {
  Endpoint endpoint;
  endpoint.base = *parse_http_url("http://127.0.0.1:" + std::to_string(port) + "/");
  return endpoint;
}

struct Listed {
  core::Outcome<MessagePage> first = core::Failure{"", core::FailureKind::internal, ""};
  core::Outcome<MessagePage> second = core::Failure{"", core::FailureKind::internal, ""};
  int throttled = 0;
};

Listed list_two_pages(asio::io_context& io, std::uint16_t port, double budget_seconds = 10) {
  return test::run(io, [&]() -> asio::awaitable<Listed> {
    Client client(io.get_executor(), plain_endpoint(port), "t0ken",
                  core::Deadline::after_seconds(budget_seconds));
    Listed listed;
    ListQuery query{"startswith(subject,'mailprobe delivery test')", "id,subject", "", 50};
    listed.first = co_await client.list_messages("probe@example.com", "inbox", query);
    if (listed.first && !listed.first->next_link.empty()) {
      listed.second = co_await client.next_page(listed.first->next_link);
    }
    listed.throttled = client.throttled_count();
    co_await client.close();
    co_return listed;
  }());
}

TEST(GraphClient, AsksWithTheTokenAndFollowsPagesOnOneConnection) {
  asio::io_context io;
  std::vector<std::string> requests;
  std::uint16_t port = 0;
  test::ScriptedServer server(
      io,
      [&](tcp::socket s) -> asio::awaitable<void> {
        auto first = co_await read_request(s);
        requests.insert(requests.end(), first.begin(), first.end());
        auto next = "http://127.0.0.1:" + std::to_string(port) + "/v1.0/users/x/messages?$skip=1";
        co_await test::send(
            s, answer("200 OK", R"({"value":[{"id":"A1"}],"@odata.nextLink":")" + next + "\"}"));
        auto second = co_await read_request(s);
        requests.push_back(second.empty() ? "" : second[0]);
        co_await test::send(s, answer("200 OK", R"({"value":[{"id":"A2"}]})"));
        co_await test::drain(s);
      },
      1);
  port = server.port();
  auto listed = list_two_pages(io, port);
  ASSERT_TRUE(listed.first) << listed.first.failure().message;
  ASSERT_TRUE(listed.second) << listed.second.failure().message;
  EXPECT_EQ(listed.first->messages.at(0).id, "A1");
  EXPECT_EQ(listed.second->messages.at(0).id, "A2");
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[0],
            "GET /v1.0/users/probe%40example.com/mailFolders/inbox/messages?$filter=startswith%28"
            "subject%2C%27mailprobe%20delivery%20test%27%29&$select=id%2Csubject&$top=50 HTTP/1.1");
  EXPECT_NE(std::find(requests.begin(), requests.end(), "Authorization: Bearer t0ken"),
            requests.end());
  EXPECT_EQ(requests.back(), "GET /v1.0/users/x/messages?$skip=1 HTTP/1.1");
}

// The token goes only where the user pointed mailprobe, not where an answer points.
TEST(GraphClient, FollowsNoLinkToAnotherServer) {
  asio::io_context io;
  test::ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await read_request(s);
    co_await test::send(s,
                        answer("200 OK", R"({"value":[],"@odata.nextLink":)"
                                         R"("https://attacker.example/v1.0/users/x/messages"})"));
    co_await test::drain(s);
  });
  auto listed = list_two_pages(io, server.port());
  ASSERT_TRUE(listed.first);
  ASSERT_FALSE(listed.second);
  EXPECT_EQ(listed.second.failure().message,
            "Graph's @odata.nextLink https://attacker.example/… is not on the server asked "
            "(127.0.0.1)");
}

TEST(GraphClient, WaitsOutRetryAfterAndRepeatsTheCall) {
  asio::io_context io;
  test::ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await read_request(s);
    co_await test::send(
        s, answer("429 Too Many Requests",
                  R"({"error":{"code":"ApplicationThrottled","message":"Slow down."}})",
                  "Retry-After: 1\r\n"));
    co_await read_request(s);
    co_await test::send(s, answer("200 OK", R"({"value":[{"id":"A1"}]})"));
    co_await test::drain(s);
  });
  auto started = std::chrono::steady_clock::now();
  auto listed = list_two_pages(io, server.port());
  ASSERT_TRUE(listed.first) << listed.first.failure().message;
  EXPECT_EQ(listed.throttled, 1);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 1s);
}

TEST(GraphClient, RefusesAWaitPastTheDeadlineAndA429WithoutRetryAfter) {
  for (const auto& [header, says] : std::vector<std::pair<std::string, std::string>>{
           {"Retry-After: 60\r\n",
            "Graph /users/probe@example.com/mailFolders/inbox/messages: 429 "
            "ApplicationThrottled (Slow down.): Retry-After 60.0 s does not fit in the time left"},
           {"",
            "Graph /users/probe@example.com/mailFolders/inbox/messages: 429 "
            "ApplicationThrottled (Slow down.)"}}) {
    asio::io_context io;
    test::ScriptedServer server(io, [header](tcp::socket s) -> asio::awaitable<void> {
      co_await read_request(s);
      co_await test::send(
          s, answer("429 Too Many Requests",
                    R"({"error":{"code":"ApplicationThrottled","message":"Slow down."}})", header));
      co_await test::drain(s);
    });
    auto started = std::chrono::steady_clock::now();
    auto listed = list_two_pages(io, server.port(), 5);
    ASSERT_FALSE(listed.first);
    EXPECT_EQ(listed.first.failure().message.substr(0, says.size()), says);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);  // refused, not waited for
  }
}

TEST(GraphClient, GraphsErrorsAreOneLine) {
  asio::io_context io;
  test::ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await read_request(s);
    co_await test::send(
        s, answer("401 Unauthorized", R"({"error":{"code":"InvalidAuthenticationToken","message":)"
                                      R"("Lifetime validation failed, the token is expired.",)"
                                      R"("innerError":{"date":"2026-11-22T12:00:00"}}})"));
    co_await test::drain(s);
  });
  auto listed = list_two_pages(io, server.port());
  ASSERT_FALSE(listed.first);
  EXPECT_EQ(listed.first.failure().kind, core::FailureKind::rejected);
  EXPECT_EQ(listed.first.failure().message,
            "Graph /users/probe@example.com/mailFolders/inbox/messages: 401 "
            "InvalidAuthenticationToken (Lifetime validation failed, the token is expired.)");
}

}  // namespace
}  // namespace mailprobe::protocol::graph
