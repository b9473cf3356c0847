#include "daemon/scheduler.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "cli/run_plugin.hpp"
#include "output/json.hpp"
#include "output/nagios.hpp"

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

}  // namespace

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
}

void Scheduler::apply(const std::vector<CheckConfig>& configs) {
  ++generation_;
  std::vector<std::shared_ptr<CheckRuntime>> next;
  for (const auto& config : configs) {
    std::shared_ptr<CheckRuntime> runtime;
    for (const auto& old : checks_) {
      if (old->config.name == config.name) runtime = old;
    }
    if (!runtime) {
      runtime = std::make_shared<CheckRuntime>(executor_);
      runtime->config = config;
      restore(*runtime);
    }
    runtime->config = config;
    runtime->generation = generation_;
    next.push_back(runtime);
  }
  // Loops of the old generation end when they wake: wake them now (dropped checks too).
  for (const auto& old : checks_)
    old->wake.cancel();
  checks_ = std::move(next);
  for (const auto& check : checks_) {
    asio::co_spawn(executor_, loop(check, generation_), asio::detached);
  }
}

asio::awaitable<void> ConcurrencyLimit::acquire() {
  if (held_ < limit_) {
    ++held_;
    co_return;
  }
  auto waiter = std::make_shared<asio::steady_timer>(executor_);
  waiter->expires_at(Clock::time_point::max());
  waiting_.push_back(waiter);
  co_await waiter->async_wait(use_tuple);  // release() hands the slot over by cancelling
}

void ConcurrencyLimit::release() {
  if (!waiting_.empty() && held_ <= limit_) {
    auto next = waiting_.front();
    waiting_.pop_front();
    next->cancel();  // the slot passes to it; held_ stays the same
    return;
  }
  --held_;
}

asio::awaitable<void> Scheduler::run_once(CheckRuntime& check) {
  co_await limit_.acquire();
  check.running = true;
  auto started = Clock::now();
  auto result = co_await cli::run_call(check.config.call, check.config.call.timeout_seconds);
  check.running = false;
  limit_.release();

  auto now = WallClock::now();
  auto state = result.overall();
  auto change = apply_result(check.status, state, check.config.max_attempts, now);
  check.status.headline = output::render_status_line(result);
  check.status.duration_seconds = core::seconds(Clock::now() - started);
  check.status.metrics = result.metrics;
  check.last_result = result;
  for (const auto& metric : result.metrics)
    check.units[metric.name] = metric.unit;
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

asio::awaitable<void> Scheduler::loop(std::shared_ptr<CheckRuntime> check,
                                      std::uint64_t generation) {
  auto interval = std::chrono::duration_cast<Clock::duration>(check->config.interval);
  auto retry = std::chrono::duration_cast<Clock::duration>(check->config.retry_interval);
  auto planned = Clock::now() +
                 spread_offset(check->config.name, std::min<std::chrono::milliseconds>(
                                                       check->config.interval, first_run_window));
  auto next = planned;
  while (!stopping_ && check->generation == generation) {
    check->status.next_run =
        WallClock::now() + std::chrono::duration_cast<WallClock::duration>(next - Clock::now());
    check->wake.expires_at(next);
    co_await check->wake.async_wait(use_tuple);  // the time comes, or a reload or stop
    if (stopping_ || check->generation != generation) break;
    if (Clock::now() < next) continue;  // woken early by a reload of other checks
    if (check->running) {
      // The loop of the previous configuration is still running it (a reload): never two
      // runs of one check at once.
      next = Clock::now() + std::chrono::seconds(1);
      continue;
    }
    co_await run_once(*check);
    if (stopping_ || check->generation != generation) break;
    if (check->status.type == StateType::soft && check->status.state != core::State::ok) {
      next = Clock::now() + retry;  // retest a soft problem soon
      continue;
    }
    // The next planned time of the grid, skipping runs that are already past: no drift,
    // no burst of catch-up runs.
    auto now = Clock::now();
    planned += interval;
    if (planned <= now) planned += ((now - planned) / interval + 1) * interval;
    next = planned;
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
}

}  // namespace mailprobe::daemon
