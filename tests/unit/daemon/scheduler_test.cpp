// When checks run: spread over their interval, on a grid that survives reloads and
// restarts, soft problems retested soon, new checks run soon.
#include "daemon/scheduler.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <map>

namespace mailprobe::daemon {
namespace {

using namespace std::chrono_literals;

struct SchedulerTest : ::testing::Test {
  boost::asio::io_context io;
  WallClock::time_point t0 = WallClock::time_point(std::chrono::seconds(1'800'000'000));

  std::shared_ptr<CheckRuntime> check(const std::string& name, std::chrono::milliseconds interval) {
    auto c = std::make_shared<CheckRuntime>(io.get_executor());
    c->config.name = name;
    c->config.interval = interval;
    c->config.retry_interval = 30s;
    c->added = t0;
    return c;
  }
  static void ran(CheckRuntime& c, WallClock::time_point at, core::State state = core::State::ok,
                  StateType type = StateType::hard) {
    c.status.pending = false;
    c.status.last_run = at;
    c.status.state = state;
    c.status.type = type;
  }
};

TEST_F(SchedulerTest, ANewCheckRunsWithinAMinute) {
  auto c = check("imap", 20min);
  auto next = next_run_time(*c, t0);
  EXPECT_GE(next, t0);
  EXPECT_LT(next, t0 + 60s);
}

TEST_F(SchedulerTest, RunsFollowAGridWithoutDrift) {
  auto c = check("imap", 5min);
  ran(*c, t0 + 17s);
  auto first = next_run_time(*c, t0 + 17s);
  EXPECT_GT(first, t0 + 17s);
  EXPECT_LE(first, t0 + 17s + 5min);
  // A run that took 2 s does not move the next one.
  ran(*c, first + 2s);
  EXPECT_EQ(next_run_time(*c, first + 2s), first + 5min);
  // Nor does a reload or restart that asks again later.
  EXPECT_EQ(next_run_time(*c, first + 3min), first + 5min);
}

TEST_F(SchedulerTest, MissedRunsAreSkippedNotCaughtUp) {
  auto c = check("imap", 5min);
  ran(*c, t0);
  auto next = next_run_time(*c, t0);
  // The daemon was stopped for an hour: the next point after now, not a burst.
  auto later = next + 1h + 10s;
  auto resumed = next_run_time(*c, later);
  EXPECT_GT(resumed, later);
  EXPECT_LE(resumed, later + 5min);
  EXPECT_EQ((resumed - next) % 5min, WallClock::duration::zero());
}

TEST_F(SchedulerTest, ASoftProblemIsRetestedAfterTheRetryInterval) {
  auto c = check("imap", 5min);
  ran(*c, t0, core::State::critical, StateType::soft);
  EXPECT_EQ(next_run_time(*c, t0 + 1s), t0 + 30s);
  // A hard problem is back on the grid, the one an OK check has.
  ran(*c, t0 + 30s, core::State::critical, StateType::hard);
  auto hard = next_run_time(*c, t0 + 30s);
  ran(*c, t0 + 30s);
  EXPECT_EQ(hard, next_run_time(*c, t0 + 30s));
  EXPECT_GT(hard, t0 + 30s);
  EXPECT_LE(hard, t0 + 30s + 5min);
}

TEST_F(SchedulerTest, ChecksOfOneIntervalAreSpreadOverAllOfIt) {
  // 200 checks every 10 minutes: their runs fall into every minute of the interval, none
  // with more than a quarter of them.
  std::map<long, int> per_minute;
  for (int i = 0; i < 200; ++i) {
    auto c = check("check-" + std::to_string(i), 10min);
    ran(*c, t0);
    auto next = next_run_time(*c, t0);
    ++per_minute[std::chrono::duration_cast<std::chrono::minutes>(next - t0).count()];
  }
  EXPECT_EQ(per_minute.size(), 10U);
  for (const auto& [minute, count] : per_minute)
    EXPECT_LT(count, 50) << "minute " << minute;
}

// After a restart, a check shows its last result (state, values and their units) before it
// runs again: /metrics keeps the certificate's expiry, the dashboard its timings.
TEST_F(SchedulerTest, ARestartRestoresTheLastResultWithItsValuesAndUnits) {
  auto dir = std::filesystem::temp_directory_path() /
             ("mailprobe-scheduler-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto ms = [](WallClock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  };
  auto last = WallClock::now() - 10s;
  {
    auto history = History::open((dir / "history.sqlite").string(), 86'400'000);
    ASSERT_TRUE(history);
    (*history)->set_units("imaps", R"({"time":"s","tls":"s","cert_days":""})");
    (*history)->record(ResultRow{"imaps", ms(last), core::State::ok, StateType::hard, 1,
                                 "SIMAP OK - 0.010 second response time", 0.01,
                                 R"({"time":0.01,"tls":0.004,"cert_days":364.5})"},
                       std::nullopt);
    (*history)->flush();
  }
  auto history = History::open((dir / "history.sqlite").string(), 86'400'000);
  ASSERT_TRUE(history);
  ConcurrencyLimit limit(io.get_executor(), 4);
  Scheduler scheduler(io.get_executor(), history->get(), limit);
  CheckConfig config;
  config.name = "imaps";
  config.interval = 5min;
  config.retry_interval = 30s;
  scheduler.apply({config});
  const auto& restored = *scheduler.checks().front();  // nothing has run: io is not running
  EXPECT_FALSE(restored.status.pending);
  EXPECT_EQ(restored.status.headline, "SIMAP OK - 0.010 second response time");
  EXPECT_EQ(ms(restored.status.last_run), ms(last));
  std::map<std::string, std::pair<double, std::string>> metrics;
  for (const auto& m : restored.status.metrics)
    metrics[m.name] = {m.value, m.unit};
  EXPECT_EQ(metrics["tls"], std::make_pair(0.004, std::string("s")));
  EXPECT_EQ(metrics["cert_days"], std::make_pair(364.5, std::string("")));
  EXPECT_EQ(restored.units.at("time"), "s");
  // Its next run is on its grid after the last one, not at once.
  io.run_for(50ms);
  EXPECT_EQ(ms(restored.status.last_run), ms(last));
  EXPECT_GT(restored.status.next_run, last);
  // The first grid point after now (not after the last run, which was 10 s ago: a grid
  // point between the two is skipped, not caught up).
  EXPECT_LE(restored.status.next_run, WallClock::now() + 5min);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mailprobe::daemon
