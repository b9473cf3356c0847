#include "daemon/check_status.hpp"

namespace mailprobe::daemon {

std::string_view state_type_name(StateType type) {
  return type == StateType::soft ? "SOFT" : "HARD";
}

Change apply_result(CheckStatus& status, core::State state, int max_attempts,
                    WallClock::time_point now) {
  Change change;
  change.from = status.pending ? core::State::ok : status.state;
  change.to = state;
  change.hard_from = status.hard_state;
  bool was_pending = status.pending;
  status.pending = false;
  status.last_run = now;
  // A first result is a change only when it is a problem: "started OK" is no news.
  change.state_changed = was_pending ? state != core::State::ok : state != status.state;
  if (change.state_changed || was_pending) status.since = now;

  if (state == core::State::ok) {
    // Recovery: hard at once when the problem was hard, quiet when it was soft.
    change.hard_change = status.hard_state != core::State::ok;
    status.type = StateType::hard;
    status.attempt = 1;
    status.hard_state = core::State::ok;
  } else if (status.type == StateType::hard && status.hard_state != core::State::ok) {
    // Already a hard problem: a change between problems (WARNING to CRITICAL) is hard too.
    change.hard_change = state != status.hard_state;
    status.hard_state = state;
    status.attempt = max_attempts;
  } else {
    status.attempt =
        status.type == StateType::soft && status.state != core::State::ok ? status.attempt + 1 : 1;
    if (status.attempt >= max_attempts) {
      status.type = StateType::hard;
      change.hard_change = true;
      status.hard_state = state;
    } else {
      status.type = StateType::soft;
      change.retry = true;
    }
  }
  status.state = state;
  return change;
}

}  // namespace mailprobe::daemon
