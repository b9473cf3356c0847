// When checks run: spread over their interval, on a grid that survives reloads and
// restarts, soft problems retested soon, new checks run soon; and how late they start.
#include "daemon/scheduler.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <map>

#include "daemon/metrics.hpp"

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

// The wall clock set back an hour after the last run (the run's time is an hour ahead of
// now): the retest and the grid are not held until the clock catches up.
TEST_F(SchedulerTest, AWallClockSetBackDoesNotHoldTheCheck) {
  auto c = check("imap", 5min);
  ran(*c, t0 + 1h, core::State::critical, StateType::soft);
  EXPECT_EQ(next_run_time(*c, t0), t0 + 30s);
  ran(*c, t0 + 1h);
  auto next = next_run_time(*c, t0);
  EXPECT_GT(next, t0);
  EXPECT_LE(next, t0 + 5min);
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

// A reload keeps the checks that keep their name (state and loop), stops the others and
// adds the new ones; new checks' first runs count from when all of them are in place.
TEST_F(SchedulerTest, AReloadKeepsRemovesAndAddsChecksByName) {
  ConcurrencyLimit limit(io.get_executor(), 4);
  Scheduler scheduler(io.get_executor(), nullptr, limit);
  auto config = [](const std::string& name) {
    CheckConfig c;
    c.name = name;
    c.interval = 5min;
    c.retry_interval = 30s;
    return c;
  };
  auto before = WallClock::now();
  scheduler.apply({config("a"), config("b"), config("c")});
  auto first = scheduler.checks();
  ASSERT_EQ(first.size(), 3U);
  for (const auto& check : first) {
    EXPECT_EQ(check->added, first.front()->added) << check->config.name;
    EXPECT_GE(check->added, before);
  }
  first[1]->status.headline = "kept";

  auto changed = config("b");
  changed.interval = 10min;
  scheduler.apply({config("d"), changed});
  const auto& second = scheduler.checks();
  ASSERT_EQ(second.size(), 2U);
  EXPECT_EQ(second[0]->config.name, "d");
  EXPECT_TRUE(second[0]->status.pending);
  EXPECT_EQ(second[1], first[1]);  // the same check, its state and its loop
  EXPECT_EQ(second[1]->status.headline, "kept");
  EXPECT_EQ(second[1]->config.interval, 10min);
  EXPECT_TRUE(first[0]->removed);
  EXPECT_TRUE(first[2]->removed);
  EXPECT_FALSE(first[1]->removed);
}

TEST(Histogram, CountsEachValueUnderItsUpperBound) {
  static const std::vector<double> bounds{0.1, 1, 10};
  Histogram histogram(bounds);
  for (double value : {0.05, 0.1, 0.5, 10.0, 42.0})
    histogram.observe(value);
  // A value on a bound is in that bucket (Prometheus's "le"); one above all is in +Inf only.
  using Bucket = std::pair<double, std::uint64_t>;
  EXPECT_EQ(histogram.cumulative(), (std::vector<Bucket>{{0.1, 2}, {1, 3}, {10, 4}}));
  EXPECT_EQ(histogram.count(), 5U);
  EXPECT_DOUBLE_EQ(histogram.sum(), 52.65);
  EXPECT_DOUBLE_EQ(histogram.max(), 42.0);
}

// A run that cannot start at its planned time (every max_concurrent slot is taken) is
// measured as late by as long as it waited: /metrics shows what a daemon with more checks
// than it can start on time looks like.
TEST_F(SchedulerTest, ARunThatWaitsForASlotIsMeasuredAsLate) {
  ConcurrencyLimit limit(io.get_executor(), 1);
  Scheduler scheduler(io.get_executor(), nullptr, limit);
  int results = 0;
  scheduler.on_result([&](const CheckRuntime&) { ++results; });
  CheckConfig config;
  config.name = "late";
  config.interval = 1s;
  config.retry_interval = 1s;
  config.call.timeout_seconds = 0.5;
  config.call.task = [](core::Deadline) -> boost::asio::awaitable<core::ProbeResult> {
    co_return core::ProbeResult{};
  };
  scheduler.apply({config});
  // Its first run is planned at its offset within the first second; the only slot is held
  // until 300 ms after that.
  auto planned = scheduler.checks().front()->added + spread_offset(config.name, 1s);
  constexpr auto held_past_plan = 300ms;
  WallClock::time_point released;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        co_await limit.acquire();
        boost::asio::steady_timer timer(io);
        timer.expires_after(planned + held_past_plan - WallClock::now());
        co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        released = WallClock::now();
        limit.release();
      },
      boost::asio::detached);
  auto give_up = std::chrono::steady_clock::now() + 10s;
  while (results == 0 && std::chrono::steady_clock::now() < give_up)
    io.run_one_for(100ms);
  ASSERT_EQ(results, 1);

  const auto& lag = scheduler.lag();
  EXPECT_EQ(lag.count(), 1U);
  auto waited = std::chrono::duration<double>(released - planned).count();
  EXPECT_GE(lag.max(), waited);
  EXPECT_LT(lag.max(), waited + 5);  // room for a loaded machine, not for a wrong origin
  EXPECT_DOUBLE_EQ(lag.sum(), lag.max());
  EXPECT_EQ(lag.cumulative().front().second, 0U) << "not counted as on time";

  Metrics metrics;
  auto exposition = boost::asio::co_spawn(
      io, metrics.exposition(scheduler.checks(), "lab-1", lag, 0, {}), boost::asio::use_future);
  while (exposition.wait_for(0s) != std::future_status::ready)
    io.run_one_for(100ms);
  auto text = exposition.get();
  EXPECT_NE(text.find("# TYPE mailprobe_scheduler_lag_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("mailprobe_scheduler_lag_seconds_bucket{le=\"0.001\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("mailprobe_scheduler_lag_seconds_count 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("mailprobe_scheduler_lag_max_seconds "), std::string::npos) << text;
}

}  // namespace
}  // namespace mailprobe::daemon
