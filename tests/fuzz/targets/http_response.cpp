// The HTTP client (MailStore's API, webhooks, the daemon's peers, MTA-STS policies) reading
// what a server answers: status line, headers (Content-Length, chunked, keep-alive,
// WWW-Authenticate, Location), the body under the client's limits, and a second request on
// a kept-alive connection. The selector picks the limits.
#include "fuzz_target.hpp"
#include "loopback.hpp"
#include "protocol/http_client.hpp"

namespace {

boost::asio::io_context io;
mailprobe::fuzz::LoopbackServer server(io);

boost::asio::awaitable<void> exchange(std::uint16_t port, std::uint8_t selector) {
  using namespace mailprobe::protocol;
  namespace http = boost::beast::http;
  HttpEndpoint endpoint;
  endpoint.host = "127.0.0.1";
  endpoint.port = port;
  HttpLimits limits;
  if ((selector & 1) != 0) limits = {512, 1024};
  HttpConnection connection(co_await boost::asio::this_coro::executor, endpoint,
                            mailprobe::fuzz::session_deadline(), limits);
  auto connected = co_await connection.connect();
  if (!connected) co_return;
  for (int request = 0; request < 2; ++request) {
    HttpRequest post{http::verb::post, "/api/invoke/GetServerInfo", 11};
    post.set(http::field::host, connection.host_header());
    post.body() = "a=1";
    post.prepare_payload();
    auto answer = co_await connection.exchange(std::move(post), "GetServerInfo");
    if (!answer || !connection.reusable()) break;
  }
  co_await connection.close();
}

}  // namespace

MAILPROBE_FUZZ_TARGET(http_response) {
  auto [selector, script] = mailprobe::fuzz::select(data, size);
  server.play(std::string(script), exchange(server.port(), selector));
  return 0;
}
