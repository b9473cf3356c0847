#include "daemon/api.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace mailprobe::daemon {
namespace {

TEST(Iso8601, FormatsAndParsesUtcWithMilliseconds) {
  EXPECT_EQ(iso8601_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_ms(1'795'348'800'123), "2026-11-22T12:00:00.123Z");
  EXPECT_EQ(parse_iso8601_ms("2026-11-22T12:00:00.123Z"), 1'795'348'800'123);
  EXPECT_EQ(parse_iso8601_ms("2026-11-22T12:00:00Z"), 1'795'348'800'000);
  EXPECT_EQ(parse_iso8601_ms("2026-11-22T12:00:00.5Z"), 1'795'348'800'500);
  for (const char* bad :
       {"", "2026-11-22", "2026-11-22T12:00:00", "2026-11-22T12:00:00+01:00",
        "2026-11-22T12:00:00.Z", "2026-11-22T12:00:00.abcZ", "2026-13-22T12:00:00Z", "yesterday"}) {
    EXPECT_FALSE(parse_iso8601_ms(bad).has_value()) << bad;
  }
}

// Requests that must be refused with a clear status, whatever the checks are.
class ApiTest : public ::testing::Test {
 protected:
  HttpResponse get(const std::string& target, http::verb verb = http::verb::get) {
    HttpRequest request{verb, target, 11};
    auto future = boost::asio::co_spawn(io_, api_.handle(request), boost::asio::use_future);
    io_.run();
    io_.restart();
    return future.get();
  }
  boost::asio::io_context io_;
  Scheduler scheduler_{io_.get_executor(), nullptr, 4};
  Metrics metrics_;
  Api api_{scheduler_,
           nullptr,
           metrics_,
           "lab-1",
           {{"/index.html", StaticFile{"text/html", "<html>dashboard</html>"}}}};
};

TEST_F(ApiTest, Endpoints) {
  auto health = get("/healthz");
  EXPECT_EQ(health.result(), http::status::ok);
  EXPECT_EQ(health.body(), "ok\n");

  auto index = get("/");
  EXPECT_EQ(index.result(), http::status::ok);
  EXPECT_EQ(index.body(), "<html>dashboard</html>");
  EXPECT_EQ(index[http::field::content_type], "text/html");

  auto checks = get("/api/v1/checks");
  EXPECT_EQ(checks.result(), http::status::ok);
  EXPECT_EQ(checks[http::field::content_type], "application/json");
  EXPECT_NE(checks.body().find(R"("location":"lab-1")"), std::string::npos) << checks.body();

  auto metrics = get("/metrics");
  EXPECT_EQ(metrics.result(), http::status::ok);
  EXPECT_NE(metrics.body().find("# TYPE probe_success gauge\n"), std::string::npos);
  EXPECT_NE(metrics.body().find("mailprobe_history_write_errors_total 0\n"), std::string::npos);
}

TEST_F(ApiTest, BadRequestsAreRefusedClearly) {
  EXPECT_EQ(get("/nothing").result(), http::status::not_found);
  EXPECT_EQ(get("/api/v1/checks/absent/results").result(), http::status::not_found);
  EXPECT_EQ(get("/api/v1/checks/absent/results").body(), "no check 'absent'\n");
  EXPECT_EQ(get("/metrics", http::verb::post).result(), http::status::method_not_allowed);
  for (const char* target : {"/api/v1/history?limit=x", "/api/v1/history?limit=0",
                             "/api/v1/history?limit=10001", "/api/v1/history?limit"}) {
    auto response = get(target);
    EXPECT_EQ(response.result(), http::status::bad_request) << target;
    EXPECT_EQ(response.body(), "limit: use a whole number from 1 to 10000\n") << target;
  }
  EXPECT_EQ(get("/api/v1/history?limit=5").result(), http::status::ok);
}

}  // namespace
}  // namespace mailprobe::daemon
