#pragma once
// Runs every configured check on its own schedule on one io_context: spread over their
// interval so that they do not all start together, a limit on how many run at once,
// planned times that do not drift, and a quick retest of a soft failure.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/check_status.hpp"
#include "daemon/config.hpp"
#include "daemon/histogram.hpp"
#include "daemon/history.hpp"

namespace mailprobe::daemon {

namespace asio = boost::asio;

struct CheckRuntime {
  explicit CheckRuntime(const asio::any_io_executor& executor) : wake(executor) {}
  CheckConfig config;
  asio::steady_timer wake;  // the loop sleeps on it; cancelled by a reload or a stop
  CheckStatus status;
  core::ProbeResult last_result;
  // Of every metric measured (since the start, and as stored before a restart).
  std::map<std::string, std::string> units;
  WallClock::time_point added{};  // when the scheduler took it (its first run is soon after)
  bool removed = false;           // by a reload: its loop ends
  bool running = false;
};

// The check's units as JSON: {"time": "s", "cert_days": "", ...}.
boost::json::object units_of(const CheckRuntime& check);

// At most N holders at once; the others wait in order. Scheduled checks and /probe
// requests share one.
class ConcurrencyLimit {
 public:
  ConcurrencyLimit(asio::any_io_executor executor, int limit)
      : executor_(std::move(executor)), limit_(limit) {}
  asio::awaitable<void> acquire();
  // As acquire, but gives up at `until`: false when no slot came free by then.
  asio::awaitable<bool> acquire_until(std::chrono::steady_clock::time_point until);
  void release();
  int held() const { return held_; }
  int limit() const { return limit_; }
  void set_limit(int limit) { limit_ = limit; }

 private:
  struct Waiter {
    explicit Waiter(const asio::any_io_executor& executor) : timer(executor) {}
    asio::steady_timer timer;
    bool granted = false;  // release() handed it the slot
  };
  asio::any_io_executor executor_;
  int limit_;
  int held_ = 0;
  std::deque<std::shared_ptr<Waiter>> waiting_;  // for a free slot, in order
};

class Scheduler {
 public:
  using HardChangeHandler = std::function<void(const CheckRuntime&, const Change&)>;
  using ResultHandler = std::function<void(const CheckRuntime&)>;

  Scheduler(asio::any_io_executor executor, History* history, ConcurrencyLimit& limit);

  // Starts the given checks, or replaces the running set (SIGHUP): a check that keeps
  // its name keeps its state and history.
  void apply(const std::vector<CheckConfig>& checks);

  // Stops starting checks and returns when those running have ended, or after `bound`.
  asio::awaitable<void> stop(std::chrono::milliseconds bound);

  const std::vector<std::shared_ptr<CheckRuntime>>& checks() const { return checks_; }
  int running() const { return limit_.held(); }

  // Called on every hard state change of a check that is not passive.
  void on_hard_change(HardChangeHandler handler) { hard_change_ = std::move(handler); }
  // Called after every result (metrics that accumulate: counters, histograms).
  void on_result(ResultHandler handler) { result_ = std::move(handler); }

  // How late runs began against their planned times (the grid, a retest, a first run),
  // seconds: the first sign of a daemon with more checks than its thread can start on
  // time. A run begins when it has its slot of max_concurrent, so waiting for one counts.
  const Histogram& lag() const { return lag_; }
  static const std::vector<double>& lag_buckets();

 private:
  asio::awaitable<void> loop(std::shared_ptr<CheckRuntime> check);
  // `due`: when the run was planned, on the monotonic clock.
  asio::awaitable<void> run_once(CheckRuntime& check, std::chrono::steady_clock::time_point due);
  void restore(CheckRuntime& check);

  asio::any_io_executor executor_;
  History* history_;
  ConcurrencyLimit& limit_;
  std::vector<std::shared_ptr<CheckRuntime>> checks_;
  bool stopping_ = false;
  HardChangeHandler hard_change_;
  ResultHandler result_;
  Histogram lag_{lag_buckets()};
};

// A stable offset in [0, window) for `name`: spreads runs without randomness.
std::chrono::milliseconds spread_offset(const std::string& name, std::chrono::milliseconds window);

// When `check` runs next, as of `now`: soon when it never ran, after the retry interval
// when its problem is soft, else at the next point of its grid (every interval, at an
// offset of its own within it, on the wall clock).
WallClock::time_point next_run_time(const CheckRuntime& check, WallClock::time_point now);

}  // namespace mailprobe::daemon
