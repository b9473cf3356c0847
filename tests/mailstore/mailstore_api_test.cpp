// The API client in-process against the emulator: error envelopes, unknown methods,
// get-metadata, and the client's bounds.

#include "protocol/mailstore_api.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mailstore/mailstore_support.hpp"
#include "support/run.hpp"
#include "support/servers.hpp"

namespace mailprobe::test {
namespace {

using namespace std::chrono_literals;
namespace mailstore = protocol::mailstore;

struct MailstoreApi : MailstoreTest {
  boost::asio::io_context io;

  mailstore::ApiEndpoint endpoint() {
    mailstore::ApiEndpoint e;
    e.host = "127.0.0.1";
    e.port = emulator->port();
    e.password = "secret";
    auto tls = net::TlsClientContext::create({true, ca_file});
    EXPECT_TRUE(tls);
    e.tls = *tls;
    return e;
  }

  core::Outcome<boost::json::value> invoke(std::string method, mailstore::Arguments arguments) {
    auto task =
        [](mailstore::ApiEndpoint e, std::string m,
           mailstore::Arguments a) -> boost::asio::awaitable<core::Outcome<boost::json::value>> {
      auto executor = co_await boost::asio::this_coro::executor;
      mailstore::ApiClient client(executor, e, core::Deadline::after(3s));
      auto result = co_await client.invoke(m, std::move(a));
      co_await client.close();
      co_return result;
    };
    return run(io, task(endpoint(), std::move(method), std::move(arguments)));
  }
};

TEST_F(MailstoreApi, AMissingArgumentIsAnErrorEnvelope) {
  start();
  mailstore::Arguments arguments;
  arguments.emplace_back("fromIncluding", "2026-04-03T00:00:00");
  arguments.emplace_back("timeZoneID", "UTC");
  auto result = invoke("GetWorkerResults", arguments);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.failure().kind, core::FailureKind::rejected);
  EXPECT_EQ(result.failure().message,
            "GetWorkerResults failed: Argument toExcluding is missing. (System.ArgumentException: "
            "Argument toExcluding is missing.)");
}

TEST_F(MailstoreApi, TheArgumentIsTimeZoneIdWithACapitalD) {
  start();
  mailstore::Arguments arguments;
  arguments.emplace_back("fromIncluding", "2026-04-03T00:00:00");
  arguments.emplace_back("toExcluding", "2026-04-04T00:00:00");
  arguments.emplace_back("timeZoneId", "UTC");
  auto wrong = invoke("GetWorkerResults", arguments);
  ASSERT_FALSE(wrong);
  EXPECT_TRUE(contains(wrong.failure().message, "Argument timeZoneID is missing"));
  arguments.back().first = "timeZoneID";
  auto right = invoke("GetWorkerResults", arguments);
  ASSERT_TRUE(right) << right.failure().message;
  EXPECT_EQ(right->as_array().size(), 11u);
}

TEST_F(MailstoreApi, AnUnknownMethodSaysSo) {
  start();
  auto result = invoke("GetNothing", {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.failure().message,
            "GetNothing: HTTP 404 Not Found: Unknown API method 'GetNothing'.");
}

TEST_F(MailstoreApi, ResultsOfOtherMethods) {
  start();
  auto zones = invoke("GetTimeZones", {});
  ASSERT_TRUE(zones);
  EXPECT_EQ(zones->as_array().at(0).as_object().at("id").as_string(), "$Local");
  auto info = invoke("GetServerInfo", {});
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->is_object());
}

TEST_F(MailstoreApi, ALongHeaderIsRefused) {
  start();
  // A server whose answer header never ends.
  auto context = server_tls_context(certificate);
  ScriptedServer server(io, [context](tcp::socket s) -> asio::awaitable<void> {
    asio::ssl::stream<tcp::socket> tls(std::move(s), *context);
    co_await tls.async_handshake(asio::ssl::stream_base::server,
                                 asio::as_tuple(asio::use_awaitable));
    co_await receive_line(tls);
    co_await send(tls, "HTTP/1.1 200 OK\r\nX-Filler: " + std::string(20000, 'x'));
    co_await drain(tls);
  });
  auto e = endpoint();
  e.port = server.port();
  auto task = [](mailstore::ApiEndpoint ep) -> asio::awaitable<core::Outcome<boost::json::value>> {
    auto executor = co_await asio::this_coro::executor;
    mailstore::ApiClient client(executor, ep, core::Deadline::after(3s));
    auto result = co_await client.invoke("GetUsers", mailstore::Arguments());
    co_await client.close();
    co_return result;
  };
  auto result = run(io, task(e));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.failure().message,
            "HTTP header of the answer to GetUsers is longer than 16384 bytes");
}

}  // namespace
}  // namespace mailprobe::test
