#include "daemon/api.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include "daemon/metrics.hpp"
#include "output/prometheus.hpp"
#include "probes/mx.hpp"
#include "support/servers.hpp"

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
  HttpResponse get(const std::string& target, http::verb verb = http::verb::get,
                   const std::string& scrape_timeout = "") {
    HttpRequest request{verb, target, 11};
    if (!scrape_timeout.empty()) request.set("X-Prometheus-Scrape-Timeout-Seconds", scrape_timeout);
    auto future = boost::asio::co_spawn(io_, api_.handle(request), boost::asio::use_future);
    io_.run();
    io_.restart();
    return future.get();
  }
  boost::asio::io_context io_;
  ConcurrencyLimit limit_{io_.get_executor(), 4};
  Scheduler scheduler_{io_.get_executor(), nullptr, limit_};
  ProbeEndpoint probe_{limit_};
  Metrics metrics_;
  Notifier notifier_{io_.get_executor(), nullptr};
  Api api_{scheduler_,
           nullptr,
           metrics_,
           notifier_,
           probe_,
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
  // A misspelt parameter is a 400 that names it, not a silent default.
  auto misspelt = get("/api/v1/history?limt=5");
  EXPECT_EQ(misspelt.result(), http::status::bad_request);
  EXPECT_EQ(misspelt.body(), "limt: unknown parameter (known: limit)\n");
  EXPECT_EQ(get("/api/v1/checks?x=1").body(), "x: unknown parameter (known: none)\n");
  auto probe = get("/probe?module=m&target=h&debug=true&modul=x");
  EXPECT_EQ(probe.result(), http::status::bad_request);
  EXPECT_EQ(probe.body(), "modul: unknown parameter (known: module, target, debug)\n");
}

// /metrics of many checks is written a slice of checks at a time: what came due meanwhile (a
// run whose time has come) goes first instead of waiting for all of it, and every check is
// in it once.
TEST(MetricsExposition, LetsOtherWorkRunBetweenSlicesOfChecks) {
  boost::asio::io_context io;
  std::vector<std::shared_ptr<CheckRuntime>> checks;
  for (std::size_t i = 0; i < 3 * Metrics::checks_per_slice; ++i) {
    auto check = std::make_shared<CheckRuntime>(io.get_executor());
    check->config.name = "check-" + std::to_string(i);
    check->config.plugin = "check_tcp";
    check->status.pending = false;
    checks.push_back(check);
  }
  Metrics metrics;
  std::string text;
  bool done = false;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        text = co_await metrics.exposition(checks, "lab-1", Histogram(Scheduler::lag_buckets()), 0,
                                           {});
        done = true;
      },
      boost::asio::detached);
  bool ran_meanwhile = false;
  boost::asio::post(io, [&] { ran_meanwhile = !done; });
  io.run();
  ASSERT_TRUE(done);
  EXPECT_TRUE(ran_meanwhile) << "the exposition held the thread for all of its checks";
  std::size_t series = 0;
  for (auto at = text.find("\nprobe_success{"); at != std::string::npos;
       at = text.find("\nprobe_success{", at + 1))
    ++series;
  EXPECT_EQ(series, checks.size());
  EXPECT_NE(text.find(R"(probe_success{check="check-1499",plugin="check_tcp",location="lab-1"})"),
            std::string::npos);
}

TEST(ResultSamples, MxAddressesBecomeSeriesWithLabels) {
  std::vector<core::Metric> metrics{
      {"time", 0.25, "s", {}, {}, 0, {}},
      {core::target_metric_name("mx.example.org", "192.0.2.25", "connect"),
       0.01,
       "s",
       {},
       {},
       0,
       {}},
      {core::target_metric_name("mx.example.org", "192.0.2.25", "cert_days"),
       10,
       "",
       {},
       {},
       {},
       {}},
      {core::target_metric_name("mx.example.org", "192.0.2.25", "up"), 0, "", {}, {}, {}, {}},
      {core::target_metric_name("mx.example.org", "192.0.2.25", "dane"),
       static_cast<double>(probes::DaneState::mismatch),
       "",
       {},
       {},
       {},
       {}},
      {core::target_metric_name("mx.example.org", "192.0.2.25", "mta_sts"),
       static_cast<double>(probes::MxStsState::enforce),
       "",
       {},
       {},
       {},
       {}},
  };
  output::PrometheusText out;
  declare_result_families(out);
  add_result_samples(out, {{"check", "mx"}}, core::State::critical, 0.25, metrics,
                     std::chrono::system_clock::time_point(std::chrono::seconds(1'000'000)));
  auto text = out.text();
  auto has = [&](const std::string& line) { return text.find(line + "\n") != std::string::npos; };
  const std::string target = R"(check="mx",mx="mx.example.org",address="192.0.2.25")";
  EXPECT_TRUE(has("mailprobe_mx_success{" + target + "} 0")) << text;
  EXPECT_TRUE(has("mailprobe_mx_dane_state{" + target + R"(,state="mismatch"} 1)")) << text;
  EXPECT_TRUE(has("mailprobe_mx_dane_state{" + target + R"(,state="matched"} 0)")) << text;
  EXPECT_TRUE(has("mailprobe_mx_mta_sts_mode{" + target + R"(,state="enforce"} 1)")) << text;
  EXPECT_TRUE(has("mailprobe_mx_cert_expiry_timestamp_seconds{" + target + "} 1864000")) << text;
  EXPECT_TRUE(has("mailprobe_mx_phase_duration_seconds{" + target + R"(,phase="connect"} 0.01)"))
      << text;
  EXPECT_TRUE(has(R"(probe_ssl_earliest_cert_expiry{check="mx"} 1864000)")) << text;
  EXPECT_EQ(text.find("mx.example.org[192.0.2.25]"), std::string::npos) << text;
}

TEST(ProbeTarget, Forms) {
  auto check = [](std::string_view text, const std::string& host, const std::string& port) {
    auto target = parse_probe_target(text);
    ASSERT_TRUE(target) << text;
    EXPECT_EQ(target->host, host) << text;
    EXPECT_EQ(target->port, port) << text;
  };
  check("mail.example.com", "mail.example.com", "");
  check("mail.example.com:587", "mail.example.com", "587");
  check("192.0.2.1:25", "192.0.2.1", "25");
  check("[2001:db8::1]:993", "2001:db8::1", "993");
  check("[::1]", "::1", "");
  check("2001:db8::1", "2001:db8::1", "");
  for (const char* bad : {"", "host:", "host:0", "host:65536", "host:25x", "-v", "--insecure",
                          "a b", "[::1", "[::1]x", "host/path", "user@host"}) {
    EXPECT_FALSE(parse_probe_target(bad)) << bad;
  }
}

TEST(ProbeBudget, TheScrapeTimeoutCutsTheModuleTimeout) {
  EXPECT_EQ(probe_budget_seconds(10, ""), 10);
  EXPECT_EQ(probe_budget_seconds(10, "15"), 10);
  EXPECT_EQ(probe_budget_seconds(10, "5"), 4.5);
  EXPECT_EQ(probe_budget_seconds(10, "0.8"), 0.4);  // too short for the offset: half
  EXPECT_FALSE(probe_budget_seconds(10, "0"));
  EXPECT_FALSE(probe_budget_seconds(10, "-1"));
  EXPECT_FALSE(probe_budget_seconds(10, "soon"));
}

TEST(ProbeCommandLine, PasswordsAreRedacted) {
  EXPECT_EQ(
      redacted_command_line("check_smtp", {"-U", "u", "-P", "secret", "--password=s2", "-Ps3",
                                           "--password-file", "/etc/pw"}),
      "check_smtp -U u -P (redacted) --password=(redacted) -P(redacted) --password-file /etc/pw");
  // check_mailstore's --pass; a file or variable name is no secret.
  EXPECT_EQ(redacted_command_line("check_mailstore", {"--pass", "s4", "--password-env", "PW"}),
            "check_mailstore --pass (redacted) --password-env PW");
  // A login inside a send string (the seed's check_pop -s "USER u\r\nPASS p\r\n") or an
  // SMTP command is shown as a transcript shows it.
  EXPECT_EQ(redacted_command_line("check_pop", {"-E", "-s", "USER u\\r\\nPASS p4ss\\r\\n"}),
            "check_pop -E -s USER u\\r\\nPASS <redacted>\\r\\n");
  EXPECT_EQ(redacted_command_line("check_imap", {"-sa1 LOGIN u p4ss", "--send=a1 LOGIN u p4ss"}),
            "check_imap -sa1 LOGIN u <redacted> --send=a1 LOGIN u <redacted>");
  EXPECT_EQ(redacted_command_line("check_smtp", {"-C", "AUTH PLAIN AHUAcDRzcw=="}),
            "check_smtp -C AUTH PLAIN <redacted>");
}

class ProbeTest : public ApiTest {
 protected:
  void SetUp() override {
    ModuleConfig hello{"hello", "check_tcp", {"-e", "hello"}, 5, 1};
    ModuleConfig secret{"imap_login", "check_imap", {"--user", "u", "-P", "hunter2"}, 0, 2};
    probe_.set_modules({{"hello", hello}, {"imap_login", secret}});
  }
};

TEST_F(ProbeTest, BadRequestsNameTheParameter) {
  struct Case {
    std::string target;
    std::string body;
  };
  const Case cases[] = {
      {"/probe?target=h:1", "module: missing (/probe?module=NAME&target=HOST:PORT)\n"},
      {"/probe?module=nope&target=h:1",
       "module: unknown module 'nope' (configured: hello, imap_login)\n"},
      {"/probe?module=hello", "target: missing (HOST or HOST:PORT)\n"},
      {"/probe?module=hello&target=-v", "target: '-v' is not HOST, HOST:PORT or [IPV6]:PORT\n"},
      {"/probe?module=hello&target=h:1&debug=yes", "debug: use true or false\n"},
  };
  for (const auto& c : cases) {
    auto response = get(c.target);
    EXPECT_EQ(response.result(), http::status::bad_request) << c.target;
    EXPECT_EQ(response.body(), c.body) << c.target;
  }
  auto response = get("/probe?module=hello&target=127.0.0.1:1", http::verb::get, "never");
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_EQ(response.body(),
            "X-Prometheus-Scrape-Timeout-Seconds: 'never' is not a positive number of seconds\n");
}

TEST_F(ProbeTest, AWorkingTargetIsASuccess) {
  test::ScriptedServer server(io_, [](test::tcp::socket socket) -> boost::asio::awaitable<void> {
    co_await test::send(socket, "hello\r\n");
    co_await test::drain(socket);
  });
  auto response = get("/probe?module=hello&target=127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(response.body().find("\nprobe_success 1\n"), std::string::npos) << response.body();
  EXPECT_NE(response.body().find("\nmailprobe_check_state 0\n"), std::string::npos);
}

// Every slot busy (max_concurrent reached): the scrape still gets its answer in time.
TEST_F(ProbeTest, TheScrapeTimeoutCoversTheWaitForASlot) {
  limit_.set_limit(1);
  auto hold = boost::asio::co_spawn(io_, limit_.acquire(), boost::asio::use_future);
  io_.run();
  io_.restart();
  hold.get();
  auto response = get("/probe?module=hello&target=127.0.0.1:1", http::verb::get, "1.5");
  EXPECT_EQ(response.result(), http::status::ok);
  const auto& body = response.body();
  EXPECT_NE(body.find("\nprobe_success 0\n"), std::string::npos) << body;
  auto debug = get("/probe?module=hello&debug=true&target=127.0.0.1:1", http::verb::get, "1.5");
  EXPECT_NE(debug.body().find("PROBE UNKNOWN - timeout after 1.0 s waiting for one of the "
                              "daemon's 1 probe slots (max_concurrent); the probe did not run"),
            std::string::npos)
      << debug.body();
  limit_.release();
}

TEST_F(ProbeTest, TheScrapeTimeoutBoundsASilentServer) {
  test::ScriptedServer server(io_, [](test::tcp::socket socket) -> boost::asio::awaitable<void> {
    co_await test::drain(socket);  // never says a word
  });
  auto started = std::chrono::steady_clock::now();
  auto response =
      get("/probe?module=hello&debug=true&target=127.0.0.1:" + std::to_string(server.port()),
          http::verb::get, "1.5");
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_LT(took, 1.4);  // the deadline is 1.0 s, not the module's 5 s
  const auto& body = response.body();
  EXPECT_NE(body.find("Module hello: check_tcp -e hello --host 127.0.0.1 --port "),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("Deadline: 1 s (module 5 s, scrape 1.5 s)"), std::string::npos) << body;
  EXPECT_NE(body.find("TCP CRITICAL - timeout after 1.0 s"), std::string::npos) << body;
  EXPECT_NE(body.find("\nprobe_success 0\n"), std::string::npos) << body;
}

TEST_F(ProbeTest, DebugNeverShowsAPassword) {
  auto response = get("/probe?module=imap_login&debug=true&target=127.0.0.1:" +
                      std::to_string(test::closed_port()));
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_NE(response.body().find("-P (redacted)"), std::string::npos) << response.body();
  EXPECT_EQ(response.body().find("hunter2"), std::string::npos) << response.body();
}

}  // namespace
}  // namespace mailprobe::daemon
