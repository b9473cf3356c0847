// The token source against an HTTPS token endpoint on 127.0.0.1: a cached token is reused
// until shortly before it expires, a refused one is dropped and fetched again, a rotated
// refresh token is written back keeping the file's mode; the cache file is its owner's
// alone and survives two processes racing for it.

#include "probes/oauth_tokens.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "support/run.hpp"
#include "support/servers.hpp"

namespace mailprobe::probes {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

mode_t mode_of(const std::string& path) {
  struct stat facts {};
  EXPECT_EQ(::stat(path.c_str(), &facts), 0) << path;
  return facts.st_mode & 07777;
}

// A token endpoint that answers each request with the next of `answers` (JSON bodies,
// status 200 unless the body has "error") and keeps the request bodies. It runs on a thread
// of its own, so that the client's io_context runs dry after each request.
struct TokenServer {
  TokenServer(test::TestPki& pki, std::vector<std::string> answers)
      : bodies(std::make_shared<std::vector<std::string>>()) {
    auto context = test::server_tls_context(pki.issue("localhost", {"DNS:localhost"}));
    auto queue = std::make_shared<std::vector<std::string>>(std::move(answers));
    auto seen = bodies;
    auto connections = static_cast<int>(queue->size());
    server = std::make_unique<test::ScriptedServer>(
        io,
        [context, queue, seen](tcp::socket s) -> asio::awaitable<void> {
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
          seen->push_back(body);
          auto answer = queue->at(seen->size() - 1);
          bool error = answer.find("\"error\"") != std::string::npos;
          co_await test::send(
              tls, std::string(error ? "HTTP/1.1 400 Bad Request" : "HTTP/1.1 200 OK") +
                       "\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(answer.size()) + "\r\nConnection: close\r\n\r\n" + answer);
          co_await test::drain(tls);
        },
        connections);
    thread = std::thread([this] { io.run(); });
  }
  ~TokenServer() {
    work.reset();
    io.stop();
    thread.join();
  }
  TokenServer(const TokenServer&) = delete;
  TokenServer& operator=(const TokenServer&) = delete;
  std::string url() const {
    return "https://localhost:" + std::to_string(server->port()) + "/t/oauth2/v2.0/token";
  }
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  std::shared_ptr<std::vector<std::string>> bodies;
  std::unique_ptr<test::ScriptedServer> server;
  std::thread thread;
};

struct OAuthTokens : ::testing::Test {
  asio::io_context io;
  test::TestPki pki;
  std::string dir = test::temp_directory();

  OAuthIdentity identity(const std::string& url) {
    OAuthIdentity id;
    id.provider = OAuthProvider::microsoft;
    id.token_url = url;
    id.client_id = "app-secret";
    id.client_secret = "s3cret-value";
    id.scope = "https://outlook.office365.com/.default";
    id.subject = "probe@lab.example";
    auto tls = net::TlsClientContext::create({true, pki.ca_file()});
    EXPECT_TRUE(tls);
    id.tls = *tls;
    return id;
  }

  core::Outcome<AccessToken> get(TokenSource& source) {
    return test::run(io, source.token(core::Deadline::after(10s)));
  }
};

std::string token_json(const std::string& token, int expires_in, const std::string& refresh = "") {
  return R"({"access_token":")" + token + R"(","token_type":"Bearer","expires_in":)" +
         std::to_string(expires_in) +
         (refresh.empty() ? "" : R"(,"refresh_token":")" + refresh + "\"") + "}";
}

TEST_F(OAuthTokens, CachedTokenIsReusedAndARefusedOneFetchedAgain) {
  TokenServer server(pki, {token_json("first", 3600), token_json("second", 3600)});
  auto cache_file = dir + "/state/oauth-tokens.json";
  TokenSource source(identity(server.url()), std::make_shared<FileTokenCache>(cache_file));
  auto first = get(source);
  ASSERT_TRUE(first) << first.failure().message;
  EXPECT_EQ(first->value, "first");
  EXPECT_FALSE(first->cached);
  EXPECT_GT(first->seconds, 0);
  EXPECT_EQ(server.bodies->size(), 1U);
  EXPECT_NE(server.bodies->at(0).find("client_secret=s3cret-value"), std::string::npos);
  EXPECT_EQ(mode_of(cache_file), 0600U);
  EXPECT_EQ(mode_of(dir + "/state"), 0700U);
  EXPECT_EQ(read_file(cache_file).find("probe@lab.example"), std::string::npos);

  auto again = get(source);
  ASSERT_TRUE(again) << again.failure().message;
  EXPECT_EQ(again->value, "first");
  EXPECT_TRUE(again->cached);
  EXPECT_EQ(again->seconds, 0);
  EXPECT_EQ(server.bodies->size(), 1U);

  auto renewed = test::run(io, source.renew(*again, core::Deadline::after(10s)));
  ASSERT_TRUE(renewed) << renewed.failure().message;
  EXPECT_EQ(renewed->value, "second");
  EXPECT_EQ(server.bodies->size(), 2U);
  // The new one is what the cache holds now.
  auto third = get(source);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->value, "second");
  EXPECT_TRUE(third->cached);
}

TEST_F(OAuthTokens, TokenCloseToExpiryIsNotReused) {
  // A 1-second token is within its margin (a quarter of its lifetime, rounded up) at once.
  TokenServer server(pki, {token_json("short", 1), token_json("long", 3600)});
  TokenSource source(identity(server.url()), std::make_shared<FileTokenCache>(dir + "/c.json"));
  ASSERT_TRUE(get(source));
  auto second = get(source);
  ASSERT_TRUE(second) << second.failure().message;
  EXPECT_EQ(second->value, "long");
  EXPECT_FALSE(second->cached);
}

TEST_F(OAuthTokens, RotatedRefreshTokenIsWrittenBackKeepingTheMode) {
  TokenServer server(pki, {token_json("at", 3600, "rotated-rt")});
  auto rt_file = dir + "/refresh-token";
  std::ofstream(rt_file) << "initial-rt\n";
  ::chmod(rt_file.c_str(), 0640);
  auto id = identity(server.url());
  id.client_secret.clear();
  id.refresh_token_file = rt_file;
  TokenSource source(id, nullptr);
  auto token = get(source);
  ASSERT_TRUE(token) << token.failure().message;
  EXPECT_TRUE(token->warnings.empty());
  EXPECT_NE(server.bodies->at(0).find("grant_type=refresh_token"), std::string::npos);
  EXPECT_NE(server.bodies->at(0).find("refresh_token=initial-rt"), std::string::npos);
  EXPECT_EQ(read_file(rt_file), "rotated-rt\n");
  EXPECT_EQ(mode_of(rt_file), 0640U);
}

TEST_F(OAuthTokens, RefusalNamesTheEndpointAndIsNotCached) {
  TokenServer server(pki,
                     {R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid )"
                      R"(client secret provided.\r\nTrace ID: x"})"});
  TokenSource source(identity(server.url()), std::make_shared<FileTokenCache>(dir + "/c.json"));
  auto refused = get(source);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.failure().phase, "token");
  EXPECT_EQ(refused.failure().kind, core::FailureKind::rejected);
  EXPECT_EQ(refused.failure().message,
            "token endpoint localhost: invalid_client (AADSTS7000215: Invalid client secret "
            "provided.)");
}

TEST_F(OAuthTokens, OversizedAnswerIsAClearError) {
  TokenServer server(pki, {token_json(std::string(70000, 'x'), 3600)});
  TokenSource source(identity(server.url()), nullptr);
  auto refused = get(source);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.failure().phase, "token");
  EXPECT_EQ(refused.failure().message,
            "token endpoint localhost: answer to the token request is larger than 64 KiB");
}

TEST_F(OAuthTokens, UntrustedEndpointIsNotSentTheSecret) {
  test::TestPki other;
  TokenServer server(other, {token_json("t", 3600)});
  TokenSource source(identity(server.url()), nullptr);
  auto refused = get(source);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.failure().kind, core::FailureKind::certificate);
  EXPECT_NE(refused.failure().message.find("--oauth-ca-file"), std::string::npos);
  EXPECT_TRUE(server.bodies->empty());
  // Where the identity was configured names its trust (the daemon's YAML: oauth.ca_file).
  TokenServer second(other, {token_json("t", 3600)});
  auto configured = identity(second.url());
  configured.trust_hint = "(trust it with oauth.ca_file)";
  TokenSource from_yaml(configured, nullptr);
  auto named = get(from_yaml);
  ASSERT_FALSE(named);
  EXPECT_NE(named.failure().message.find("(trust it with oauth.ca_file)"), std::string::npos)
      << named.failure().message;
}

TEST(TokenCacheFile, ExpiredEntriesAreDroppedAndGarbageIgnored) {
  std::map<std::string, CachedToken> entries{{"a", {"ta", 100}}, {"b", {"tb", 300}}};
  auto parsed = parse_token_cache(serialize_token_cache(entries, 200));
  ASSERT_EQ(parsed.size(), 1U);
  EXPECT_EQ(parsed.at("b").access_token, "tb");
  EXPECT_TRUE(parse_token_cache("not json").empty());
  EXPECT_TRUE(parse_token_cache(R"({"tokens":{"a":{"access_token":1}}})").empty());
}

// Two processes each add one to a counter in the cache, many times: with the lock held
// from reading to writing, no increment is lost and the file stays whole.
TEST(TokenCacheFile, TwoProcessesRacingLoseNothing) {
  auto path = test::temp_directory() + "/race/oauth-tokens.json";
  constexpr int rounds = 25;
  auto work = [&] {
    asio::io_context io;
    FileTokenCache cache(path);
    for (int i = 0; i < rounds; ++i) {
      auto handle = test::run(io, cache.open("counter", core::Deadline::after(20s)));
      if (!handle) return 1;
      auto current = (*handle)->find("counter");
      long long value = current ? std::stoll(current->access_token) : 0;
      auto stored = (*handle)->put("counter", CachedToken{std::to_string(value + 1), 4102444800});
      if (!stored) return 2;
    }
    return 0;
  };
  std::vector<pid_t> children;
  for (int i = 0; i < 2; ++i) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) ::_exit(work());
    children.push_back(child);
  }
  for (auto child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  auto entries = parse_token_cache(read_file(path));
  ASSERT_TRUE(entries.contains("counter"));
  EXPECT_EQ(entries.at("counter").access_token, std::to_string(2 * rounds));
  EXPECT_EQ(mode_of(path), 0600U);
}

}  // namespace
}  // namespace mailprobe::probes
