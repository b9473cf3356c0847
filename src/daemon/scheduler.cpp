#include "daemon/scheduler.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

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
  std::vector<std::shared_ptr<CheckRuntime>> next;
  std::vector<std::shared_ptr<CheckRuntime>> added;
  for (const auto& config : configs) {
    std::shared_ptr<CheckRuntime> runtime;
    for (const auto& old : checks_) {
      if (old->config.name == config.name) runtime = old;
    }
    if (!runtime) {
      runtime = std::make_shared<CheckRuntime>(executor_);
      runtime->config = config;
      runtime->added = WallClock::now();
      restore(*runtime);
      added.push_back(runtime);
    }
    // A kept check keeps its loop: woken below, it takes its next time from its grid,
    // which is the same unless its interval changed. A run under way has its own copy of
    // what it runs.
    runtime->config = config;
    next.push_back(runtime);
  }
  for (const auto& old : checks_) {
    bool kept = false;
    for (const auto& check : next)
      kept = kept || check == old;
    if (!kept) old->removed = true;
    old->wake.cancel();
  }
  checks_ = std::move(next);
  for (const auto& check : added) {
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

asio::awaitable<void> Scheduler::run_once(CheckRuntime& check) {
  co_await limit_.acquire();
  if (stopping_ || check.removed) {  // stopped (or removed) while it waited for a slot
    limit_.release();
    co_return;
  }
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
    return std::max(now, check.status.last_run + config.retry_interval);  // retest soon
  }
  // The check's grid: every interval, at an offset of its own within the interval, on the
  // wall clock. Runs are spread over the interval (no herd), do not drift, keep their
  // times across reloads and restarts, and runs missed (a long run, a stopped daemon) are
  // skipped, not caught up in a burst.
  auto interval = std::chrono::duration_cast<WallClock::duration>(config.interval);
  auto offset =
      std::chrono::duration_cast<WallClock::duration>(spread_offset(config.name, config.interval));
  auto after = std::max(check.status.last_run, now);
  auto since_grid = (after.time_since_epoch() - offset) % interval;
  if (since_grid < WallClock::duration::zero()) since_grid += interval;
  return after - since_grid + interval;
}

asio::awaitable<void> Scheduler::loop(std::shared_ptr<CheckRuntime> check) {
  while (!stopping_ && !check->removed) {
    auto now = WallClock::now();
    auto next = next_run_time(*check, now);
    check->status.next_run = next;
    check->wake.expires_after(std::chrono::duration_cast<Clock::duration>(next - now));
    co_await check->wake.async_wait(use_tuple);  // the time comes, or a reload or stop
    if (stopping_ || check->removed) break;
    if (WallClock::now() < next) continue;  // woken by a reload: the time may have changed
    co_await run_once(*check);
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
