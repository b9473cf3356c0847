// The daemon's HTTP server as a client on the network meets it: the bytes of one
// connection (requests, pipelined or not, with any method, target, query, headers and
// body) through the real server (Beast's parser under the server's limits), the basic
// auth check and the API's routing: /api/v1 paths and query parameters, /metrics, /probe,
// /healthz, the dashboard's files. No check is configured, so nothing is probed: a /probe
// request names a module that does not exist and is refused before any connection.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "daemon/api.hpp"
#include "daemon/http_access.hpp"
#include "daemon/http_server.hpp"
#include "daemon/metrics.hpp"
#include "daemon/notifier.hpp"
#include "daemon/probe_endpoint.hpp"
#include "daemon/scheduler.hpp"
#include "fuzz_target.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace mailprobe::daemon;

struct Daemon {
  asio::io_context io;
  ConcurrencyLimit limit{io.get_executor(), 4};
  Scheduler scheduler{io.get_executor(), nullptr, limit};
  ProbeEndpoint probe{limit};
  Metrics metrics;
  Notifier notifier{io.get_executor(), nullptr};
  Api api{scheduler,
          nullptr,
          metrics,
          notifier,
          probe,
          "fuzz",
          {{"/index.html", StaticFile{"text/html", "<html></html>"}}}};
  // A user, so that every request but /healthz goes through the basic auth check.
  HttpAccess access{nullptr, {{"admin", "s3cret"}}};
  HttpServer server{io.get_executor(),
                    [this](const HttpRequest& request) -> asio::awaitable<HttpResponse> {
                      if (!authorized(access, request)) co_return unauthorized(request);
                      co_return co_await api.handle(request);
                    }};
  Daemon() {
    if (!server.listen("127.0.0.1", 0)) std::abort();
  }
};

asio::awaitable<void> send_and_read(std::uint16_t port, std::string bytes) {
  auto token = asio::as_tuple(asio::use_awaitable);
  tcp::socket socket(co_await asio::this_coro::executor);
  auto [connect_error] = co_await socket.async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), token);
  if (connect_error) std::abort();
  co_await asio::async_write(socket, asio::buffer(bytes), token);
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  char sink[16384];
  for (;;) {
    auto [read_error, count] = co_await socket.async_read_some(asio::buffer(sink), token);
    if (read_error) break;
  }
}

}  // namespace

MAILPROBE_FUZZ_TARGET(daemon_http) {
  static Daemon daemon;
  asio::co_spawn(
      daemon.io,
      send_and_read(daemon.server.port(), std::string(mailprobe::fuzz::as_text(data, size))),
      [](std::exception_ptr error) {
        if (error) std::rethrow_exception(error);
        daemon.io.stop();
      });
  daemon.io.run();
  daemon.io.restart();
  return 0;
}
