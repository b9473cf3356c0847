#include "daemon/scheduler.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <unordered_map>

#include "daemon/log.hpp"
#include "net/spawn.hpp"
#include "output/json.hpp"
#include "output/nagios.hpp"
#include "plugins/run_plugin.hpp"

namespace mailprobe::daemon {

namespace {
using Clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// First runs are spread over at most this, so that a new daemon shows results soon.
constexpr auto first_run_window = std::chrono::seconds(60);

std::int64_t unix_ms(WallClock::time_point when) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
}

std::string metrics_json(const core::ProbeResult& result) {
  boost::json::object metrics;
  for (const auto& metric : result.metrics)
    metrics[metric.name] = metric.value;
  return output::serialize_json(metrics);
}

// The last result's values with their units, as stored: what /metrics and the dashboard
// show of a check between a restart and its next run.
void restore_metrics(CheckRuntime& check, const std::string& metrics_json,
                     const std::optional<std::string>& units_json) {
  boost::system::error_code ec;
  if (units_json) {
    auto units = boost::json::parse(*units_json, ec);
    if (!ec && units.is_object()) {
      for (const auto& [name, unit] : units.as_object()) {
        if (unit.is_string()) check.units[std::string(name)] = std::string(unit.as_string());
      }
    }
  }
  auto values = boost::json::parse(metrics_json, ec);
  if (ec || !values.is_object()) return;
  for (const auto& [name, value] : values.as_object()) {
    if (!value.is_number()) continue;
    core::Metric metric;
    metric.name = std::string(name);
    metric.value = value.to_number<double>();
    if (auto unit = check.units.find(metric.name); unit != check.units.end()) {
      metric.unit = unit->second;
    }
    check.status.metrics.push_back(std::move(metric));
  }
}

}  // namespace

boost::json::object units_of(const CheckRuntime& check) {
  boost::json::object units;
  for (const auto& [name, unit] : check.units)
    units[name] = unit;
  return units;
}

std::chrono::milliseconds spread_offset(const std::string& name, std::chrono::milliseconds window) {
  // FNV-1a: stable across runs and builds, unlike std::hash.
  std::uint64_t hash = 1469598103934665603ULL;
  for (char c : name)
    hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  if (window.count() <= 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(hash % static_cast<std::uint64_t>(window.count())));
}

const std::vector<double>& Scheduler::lag_buckets() {
  // From a timer's own jitter (a tenth of a millisecond) to a run that missed its slot.
  static const std::vector<double> buckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                           0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                           1,      2.5,     5,      10,    30,     60};
  return buckets;
}

Scheduler::Scheduler(asio::any_io_executor executor, History* history, ConcurrencyLimit& limit)
    : executor_(std::move(executor)), history_(history), limit_(limit) {}

void Scheduler::restore(CheckRuntime& check) {
  if (history_ == nullptr) return;
  auto last = history_->last(check.config.name);
  if (!last) return;
  const auto& [row, since_ms] = *last;
  check.status.pending = false;
  check.status.state = row.state;
  check.status.type = row.type;
  check.status.attempt = row.attempt;
  check.status.hard_state = row.type == StateType::hard ? row.state : core::State::ok;
  check.status.since = WallClock::time_point(std::chrono::milliseconds(since_ms));
  check.status.last_run = WallClock::time_point(std::chrono::milliseconds(row.time_ms));
  check.status.headline = row.headline;
  check.status.duration_seconds = row.duration_seconds;
  restore_metrics(check, row.metrics_json, history_->units(check.config.name));
}

void Scheduler::apply(const std::vector<CheckConfig>& configs) {
  // The running checks by name: a reload of 10,000 checks compared every pair before (10^8
  // string comparisons on the I/O thread, every run late meanwhile).
  std::unordered_map<std::string, std::shared_ptr<CheckRuntime>> unclaimed;
  unclaimed.reserve(checks_.size());
  for (const auto& old : checks_)
    unclaimed.emplace(old->config.name, old);
  std::vector<std::shared_ptr<CheckRuntime>> next;
  std::vector<std::shared_ptr<CheckRuntime>> added;
  next.reserve(configs.size());
  for (const auto& config : configs) {
    std::shared_ptr<CheckRuntime> runtime;
    if (auto kept = unclaimed.find(config.name); kept != unclaimed.end()) {
      runtime = std::move(kept->second);
      unclaimed.erase(kept);
    } else {
      runtime = std::make_shared<CheckRuntime>(executor_);
      runtime->config.name = config.name;
      restore(*runtime);
      added.push_back(runtime);
    }
    // A kept check keeps its loop: woken below, it takes its next time from its grid,
    // which is the same unless its interval changed. A run under way has its own copy of
    // what it runs.
    runtime->config = config;
    next.push_back(std::move(runtime));
  }
  for (const auto& [name, old] : unclaimed)
    old->removed = true;
  for (const auto& old : checks_)
    old->wake.cancel();
  checks_ = std::move(next);
  // New checks' first runs count from now, when all are in place: restoring thousands of
  // them from the history takes a while, and one planned meanwhile would start late.
  auto now = WallClock::now();
  for (const auto& check : added) {
    check->added = now;
    asio::co_spawn(executor_, loop(check),
                   log_failure("the schedule of check " + check->config.name));
  }
}

asio::awaitable<void> ConcurrencyLimit::acquire() {
  co_await acquire_until(Clock::time_point::max());
}

asio::awaitable<bool> ConcurrencyLimit::acquire_until(Clock::time_point until) {
  if (held_ < limit_) {
    ++held_;
    co_return true;
  }
  auto waiter = std::make_shared<Waiter>(executor_);
  waiter->timer.expires_at(until);
  waiting_.push_back(waiter);
  co_await waiter->timer.async_wait(use_tuple);  // release() hands the slot over by cancelling
  if (waiter->granted) co_return true;
  std::erase(waiting_, waiter);  // the time is up
  co_return false;
}

void ConcurrencyLimit::release() {
  if (!waiting_.empty() && held_ <= limit_) {
    auto next = waiting_.front();
    waiting_.pop_front();
    next->granted = true;
    next->timer.cancel();  // the slot passes to it; held_ stays the same
    return;
  }
  --held_;
}

asio::awaitable<void> Scheduler::run_once(CheckRuntime& check, Clock::time_point due) {
  co_await limit_.acquire();
  if (stopping_ || check.removed) {  // stopped (or removed) while it waited for a slot
    limit_.release();
    co_return;
  }
  lag_.observe(std::max(0.0, std::chrono::duration<double>(Clock::now() - due).count()));
  check.running = true;
  auto started = Clock::now();
  auto call = check.config.call;  // a reload may replace the configuration meanwhile
  auto result = co_await plugins::run_call(call, call.timeout_seconds);
  check.running = false;
  limit_.release();

  auto now = WallClock::now();
  auto state = result.overall();
  auto change = apply_result(check.status, state, check.config.max_attempts, now);
  check.status.headline = output::render_status_line(result);
  check.status.duration_seconds = core::seconds(Clock::now() - started);
  check.status.metrics = result.metrics;
  check.last_result = result;
  bool units_changed = false;
  for (const auto& metric : result.metrics) {
    auto known = check.units.find(metric.name);
    if (known != check.units.end() && known->second == metric.unit) continue;
    check.units[metric.name] = metric.unit;
    units_changed = true;
  }
  if (history_ != nullptr && units_changed) {
    history_->set_units(check.config.name, output::serialize_json(units_of(check)));
  }
  if (history_ != nullptr) {
    ResultRow row{check.config.name,
                  unix_ms(now),
                  state,
                  check.status.type,
                  check.status.attempt,
                  check.status.headline,
                  check.status.duration_seconds,
                  metrics_json(result)};
    std::optional<ChangeRow> change_row;
    if (change.state_changed || change.hard_change) {
      change_row = ChangeRow{check.config.name, unix_ms(now),      change.from,
                             change.to,         check.status.type, check.status.headline};
    }
    history_->record(std::move(row), std::move(change_row));
  }
  if (result_) result_(check);
  if (change.hard_change && !check.config.passive && hard_change_) hard_change_(check, change);
}

WallClock::time_point next_run_time(const CheckRuntime& check, WallClock::time_point now) {
  const auto& config = check.config;
  if (check.status.pending) {
    // Never run: soon, spread over a minute at most, so that a new check shows a result.
    return check.added + spread_offset(config.name, std::min<std::chrono::milliseconds>(
                                                        config.interval, first_run_window));
  }
  if (check.status.type == StateType::soft && check.status.state != core::State::ok) {
    // A last run later than now means the wall clock was set back: waiting for it to
    // catch up would hold the retest for as long.
    auto last_run = std::min(check.status.last_run, now);
    return std::max(now, last_run + config.retry_interval);  // retest soon
  }
  // The check's grid: every interval, at an offset of its own within the interval, on the
  // wall clock. Runs are spread over the interval (no herd), do not drift, keep their
  // times across reloads and restarts, and runs missed (a long run, a stopped daemon) are
  // skipped, not caught up in a burst.
  auto interval = std::chrono::duration_cast<WallClock::duration>(config.interval);
  auto offset =
      std::chrono::duration_cast<WallClock::duration>(spread_offset(config.name, config.interval));
  auto since_grid = (now.time_since_epoch() - offset) % interval;
  if (since_grid < WallClock::duration::zero()) since_grid += interval;
  return now - since_grid + interval;
}

asio::awaitable<void> Scheduler::loop(std::shared_ptr<CheckRuntime> check) {
  WallClock::time_point ran{};  // the slot of the last run
  while (!stopping_ && !check->removed) {
    auto monotonic_now = Clock::now();  // read first: the due time errs early, not late
    auto now = WallClock::now();
    auto next = next_run_time(*check, now);
    // A wall clock slewed (by NTP) behind the monotonic one wakes a run a moment before its
    // slot, which is then the next slot again: the one after it is.
    if (next == ran) next += check->config.interval;
    check->status.next_run = next;
    // When the run is due on the monotonic clock, for its lag: measured on the wall clock,
    // a step of the clock would count as an hour late.
    auto due = monotonic_now + std::chrono::duration_cast<Clock::duration>(next - now);
    check->wake.expires_at(due);
    // The time comes (on the monotonic clock), or a reload or stop cancels the wait.
    auto [cancelled] = co_await check->wake.async_wait(use_tuple);
    if (stopping_ || check->removed) break;
    // A reload: the time may have changed. Otherwise it is time, whatever the wall clock
    // did meanwhile: set back an hour, it would hold the check for an hour.
    if (cancelled) continue;
    ran = next;
    co_await run_once(*check, due);
  }
}

asio::awaitable<void> Scheduler::stop(std::chrono::milliseconds bound) {
  stopping_ = true;
  for (const auto& check : checks_)
    check->wake.cancel();
  auto until = Clock::now() + bound;
  asio::steady_timer pause(executor_);
  while (limit_.held() > 0 && Clock::now() < until) {
    pause.expires_after(std::chrono::milliseconds(50));
    co_await pause.async_wait(use_tuple);
  }
  for (const auto& check : checks_) {
    if (check->running) {
      log("stopping: " + check->config.name + " was still running; no result", Priority::warning);
    }
  }
}

}  // namespace mailprobe::daemon
