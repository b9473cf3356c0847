// The HTTP client's connection reuse: an answer that ends with the server's close cannot be
// followed by another request on that connection, whatever its Connection header says.

#include "protocol/http_client.hpp"

#include <gtest/gtest.h>

#include "support/run.hpp"
#include "support/servers.hpp"

namespace mailprobe::protocol {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct Answered {
  core::Outcome<HttpAnswer> answer;
  bool reusable = false;
};

Answered ask_once(asio::io_context& io, std::uint16_t port) {
  return test::run(io, [&]() -> asio::awaitable<Answered> {
    HttpEndpoint endpoint;
    endpoint.host = "127.0.0.1";
    endpoint.port = port;
    HttpConnection connection(io.get_executor(), endpoint, core::Deadline::after(10s));
    auto connected = co_await connection.connect();
    EXPECT_TRUE(connected);
    HttpRequest request{http::verb::post, "/api/invoke/GetServerInfo", 11};
    request.prepare_payload();
    auto answer = co_await connection.exchange(std::move(request), "GetServerInfo");
    Answered answered{std::move(answer), connection.reusable()};
    co_await connection.close();
    co_return answered;
  }());
}

// Found by fuzzing: an HTTP/1.1 answer without Content-Length or chunked encoding (a body
// that runs to the close) was taken as kept alive, and a second request on the closed
// connection waited for the deadline.
TEST(HttpConnection, AnswerEndedByCloseIsNotReused) {
  asio::io_context io;
  test::ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "HTTP/1.1 200 " + std::string(600, 'n') + "\r\n\r\nthe body\n");
    s.shutdown(tcp::socket::shutdown_send);  // the end of the body
    co_await test::drain(s);
  });
  auto answered = ask_once(io, server.port());
  ASSERT_TRUE(answered.answer) << answered.answer.failure().message;
  EXPECT_EQ(answered.answer->body, "the body\n");
  EXPECT_FALSE(answered.answer->keep_alive);
  EXPECT_FALSE(answered.reusable);
}

TEST(HttpConnection, AnswerWithALengthIsReused) {
  asio::io_context io;
  test::ScriptedServer server(io, [](tcp::socket s) -> asio::awaitable<void> {
    co_await test::send(s, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nthe body\n");
    co_await test::drain(s);
  });
  auto answered = ask_once(io, server.port());
  ASSERT_TRUE(answered.answer) << answered.answer.failure().message;
  EXPECT_EQ(answered.answer->body, "the body\n");
  EXPECT_TRUE(answered.answer->keep_alive);
  EXPECT_TRUE(answered.reusable);
}

}  // namespace
}  // namespace mailprobe::protocol
