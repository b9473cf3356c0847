// The daemon's token cache and the rule of reuse: checks of one identity that start
// together fetch one token; other identities never wait for it; a check that waits too
// long times out without blocking the loop; a token is reused until a quarter of its
// lifetime (at most a minute) is left, so that 10-second tokens are reused and renewed
// ahead of their end; the cache file keeps the lifetime and reads entries without it.

#include "probes/oauth_memory_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <thread>

#include "probes/oauth_tokens.hpp"
#include "support/run.hpp"
#include "support/servers.hpp"

namespace mailprobe::probes {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A token endpoint on a thread of its own that answers every request with a new token
// ("token-1", "token-2", ...) valid for `lifetime` seconds, and counts the requests.
struct CountingTokenServer {
  CountingTokenServer(test::TestPki& pki, int lifetime, int connections) {
    auto context = test::server_tls_context(pki.issue("localhost", {"DNS:localhost"}));
    server = std::make_unique<test::ScriptedServer>(
        io,
        [this, context, lifetime](tcp::socket s) -> asio::awaitable<void> {
          asio::ssl::stream<tcp::socket> tls(std::move(s), *context);
          auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::server,
                                                   asio::as_tuple(asio::use_awaitable));
          if (ec) co_return;
          std::size_t length = 0;
          for (;;) {
            auto line = co_await test::receive_line(tls);
            if (line.empty()) break;
            if (line.rfind("Content-Length: ", 0) == 0) length = std::stoul(line.substr(16));
          }
          std::string body(length, '\0');
          co_await asio::async_read(tls, asio::buffer(body), asio::as_tuple(asio::use_awaitable));
          auto answer = R"({"access_token":"token-)" + std::to_string(++requests) +
                        R"(","token_type":"Bearer","expires_in":)" + std::to_string(lifetime) + "}";
          co_await test::send(tls,
                              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Content-Length: " +
                                  std::to_string(answer.size()) + "\r\nConnection: close\r\n\r\n" +
                                  answer);
          co_await test::drain(tls);
        },
        connections);
    thread = std::thread([this] { io.run(); });
  }
  ~CountingTokenServer() {
    work.reset();
    io.stop();
    thread.join();
  }
  CountingTokenServer(const CountingTokenServer&) = delete;
  CountingTokenServer& operator=(const CountingTokenServer&) = delete;
  std::string url() const {
    return "https://localhost:" + std::to_string(server->port()) + "/t/oauth2/v2.0/token";
  }

  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  std::atomic<int> requests{0};
  std::unique_ptr<test::ScriptedServer> server;
  std::thread thread;
};

struct MemoryCache : ::testing::Test {
  asio::io_context io;
  test::TestPki pki;
  std::shared_ptr<MemoryTokenCache> cache = std::make_shared<MemoryTokenCache>();

  OAuthIdentity identity(const std::string& url, const std::string& client) {
    OAuthIdentity id;
    id.token_url = url;
    id.client_id = client;
    id.client_secret = "s3cret-value";
    id.scope = "https://outlook.office365.com/.default";
    id.subject = "probe@lab.example";
    auto tls = net::TlsClientContext::create({true, pki.ca_file()});
    EXPECT_TRUE(tls);
    id.tls = *tls;
    return id;
  }
};

// Runs `sources`' token() all at once on `io`; their results in order.
std::vector<core::Outcome<AccessToken>> together(
    asio::io_context& io, std::vector<std::shared_ptr<TokenSource>> sources) {
  std::vector<std::optional<core::Outcome<AccessToken>>> got(sources.size());
  for (std::size_t i = 0; i < sources.size(); ++i) {
    asio::co_spawn(
        io,
        [&got, i, source = sources[i]]() -> asio::awaitable<void> {
          got[i].emplace(co_await source->token(core::Deadline::after(10s)));
        },
        asio::detached);
  }
  io.run();
  io.restart();
  std::vector<core::Outcome<AccessToken>> results;
  for (auto& one : got) {
    EXPECT_TRUE(one);
    results.push_back(one ? std::move(*one)
                          : core::Outcome<AccessToken>(core::Failure{"token", {}, "not run"}));
  }
  return results;
}

TEST_F(MemoryCache, ChecksOfOneIdentityStartingTogetherFetchOnce) {
  CountingTokenServer server(pki, 3600, 4);
  std::vector<std::shared_ptr<TokenSource>> sources;
  for (int i = 0; i < 3; ++i) {
    sources.push_back(std::make_shared<TokenSource>(identity(server.url(), "app"), cache));
  }
  auto results = together(io, sources);
  EXPECT_EQ(server.requests, 1);
  int cached = 0;
  for (const auto& result : results) {
    ASSERT_TRUE(result) << result.failure().message;
    EXPECT_EQ(result->value, "token-1");
    cached += result->cached ? 1 : 0;
  }
  EXPECT_EQ(cached, 2);
  // Another identity gets its own token.
  auto other =
      together(io, {std::make_shared<TokenSource>(identity(server.url(), "app-2"), cache)});
  ASSERT_TRUE(other[0]) << other[0].failure().message;
  EXPECT_EQ(other[0]->value, "token-2");
  EXPECT_EQ(server.requests, 2);
  EXPECT_EQ(cache->size(), 2U);
}

TEST_F(MemoryCache, ARefusedTokenIsDroppedForEveryCheckOfTheIdentity) {
  CountingTokenServer server(pki, 3600, 2);
  auto first = std::make_shared<TokenSource>(identity(server.url(), "app"), cache);
  auto second = std::make_shared<TokenSource>(identity(server.url(), "app"), cache);
  auto token = test::run(io, first->token(core::Deadline::after(10s)));
  ASSERT_TRUE(token) << token.failure().message;
  auto renewed = test::run(io, first->renew(*token, core::Deadline::after(10s)));
  ASSERT_TRUE(renewed) << renewed.failure().message;
  EXPECT_EQ(renewed->value, "token-2");
  auto shared = test::run(io, second->token(core::Deadline::after(10s)));
  ASSERT_TRUE(shared);
  EXPECT_EQ(shared->value, "token-2");
  EXPECT_TRUE(shared->cached);
  EXPECT_EQ(server.requests, 2);
}

TEST_F(MemoryCache, OtherKeysDoNotWaitAndAWaiterTimesOutWithoutBlockingTheLoop) {
  auto held = test::run(io, cache->open("a", core::Deadline::after(1s)));
  ASSERT_TRUE(held);
  // Another identity: at once.
  auto other = test::run(io, cache->open("b", core::Deadline::after(1s)));
  ASSERT_TRUE(other);
  other->reset();
  // The same identity: waits until its deadline, while a timer of the same loop ticks.
  int ticks = 0;
  asio::steady_timer tick(io);
  std::function<void()> again = [&] {
    tick.expires_after(20ms);
    tick.async_wait([&](boost::system::error_code ec) {
      if (!ec && ++ticks < 10) again();
    });
  };
  again();
  auto started = std::chrono::steady_clock::now();
  auto waited = test::run(io, cache->open("a", core::Deadline::after(300ms)));
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.failure().kind, core::FailureKind::timeout);
  EXPECT_EQ(waited.failure().phase, "token");
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 3s);
  EXPECT_GE(ticks, 5);
  // Given up, it is no longer in line: the key is free once its holder is done.
  held->reset();
  auto after = test::run(io, cache->open("a", core::Deadline::after(1s)));
  ASSERT_TRUE(after);
  after->reset();
  EXPECT_EQ(cache->size(), 0U);
}

TEST_F(MemoryCache, WaitersGetTheKeyInTurn) {
  std::vector<int> order;
  auto first = test::run(io, cache->open("k", core::Deadline::after(1s)));
  ASSERT_TRUE(first);
  for (int i = 1; i <= 3; ++i) {
    asio::co_spawn(
        io,
        [this, &order, i]() -> asio::awaitable<void> {
          auto handle = co_await cache->open("k", core::Deadline::after(5s));
          if (!handle) co_return;
          order.push_back(i);
          (*handle)->put("k", CachedToken{"t" + std::to_string(i), 4102444800, 3600});
        },
        asio::detached);
  }
  io.poll();  // all three are in line now
  EXPECT_TRUE(order.empty());
  first->reset();
  io.run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(TokenReuse, MarginIsAQuarterOfTheLifetimeAtMostAMinute) {
  EXPECT_EQ(token_reuse_margin(3600), 60);
  EXPECT_EQ(token_reuse_margin(240), 60);
  EXPECT_EQ(token_reuse_margin(100), 25);
  EXPECT_EQ(token_reuse_margin(10), 3);  // rounded up
  EXPECT_EQ(token_reuse_margin(1), 1);
  EXPECT_EQ(token_reuse_margin(0), 60);  // not known: a minute, as before
  // A 10-second token issued at 1000: reused until 1007, then renewed.
  CachedToken ten{"t", 1010, 10};
  EXPECT_TRUE(token_reusable(ten, 1000));
  EXPECT_TRUE(token_reusable(ten, 1006));
  EXPECT_FALSE(token_reusable(ten, 1007));
  EXPECT_FALSE(token_reusable(ten, 1011));
  // An hour's token: the last minute is not used.
  CachedToken hour{"t", 4600, 3600};
  EXPECT_TRUE(token_reusable(hour, 4539));
  EXPECT_FALSE(token_reusable(hour, 4540));
  // Of unknown lifetime (an older cache file): a minute.
  CachedToken unknown{"t", 1100};
  EXPECT_TRUE(token_reusable(unknown, 1039));
  EXPECT_FALSE(token_reusable(unknown, 1040));
}

TEST(TokenReuse, CacheFileKeepsTheLifetimeAndReadsEntriesWithoutIt) {
  auto text = serialize_token_cache({{"a", {"ta", 2000, 10}}}, 1000);
  EXPECT_NE(text.find("\"lifetime\":10"), std::string::npos) << text;
  auto parsed = parse_token_cache(text);
  ASSERT_EQ(parsed.size(), 1U);
  EXPECT_EQ(parsed.at("a").lifetime, 10);
  auto older =
      parse_token_cache(R"({"version":1,"tokens":{"b":{"access_token":"tb","expires_at":2000}}})");
  ASSERT_EQ(older.size(), 1U);
  EXPECT_EQ(older.at("b").expires_at, 2000);
  EXPECT_EQ(older.at("b").lifetime, 0);
}

}  // namespace
}  // namespace mailprobe::probes
