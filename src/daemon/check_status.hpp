#pragma once
// What the daemon knows about one check, and how a new result changes it: soft and hard
// states as Nagios and Icinga have them. A failure is first soft and retested after a
// short delay; only when it persists for max_attempts results does it become hard (and
// notify). A recovery from a hard problem is hard at once.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/state.hpp"

namespace mailprobe::daemon {

using WallClock = std::chrono::system_clock;

enum class StateType { soft, hard };

struct CheckStatus {
  bool pending = true;  // never run yet
  core::State state = core::State::unknown;
  StateType type = StateType::hard;
  int attempt = 1;
  core::State hard_state = core::State::ok;  // the last hard state
  WallClock::time_point since{};             // when `state` began
  WallClock::time_point last_run{};
  WallClock::time_point next_run{};
  std::string headline;  // "SMTP OK - 0.012 sec. response time"
  double duration_seconds = 0;
  std::vector<core::Metric> metrics;
};

struct Change {
  bool state_changed = false;               // the state differs from the previous result's
  bool hard_change = false;                 // a hard state change: what notifications are about
  core::State from = core::State::unknown;  // the previous result's state
  core::State to = core::State::unknown;
  core::State hard_from = core::State::ok;  // the previous hard state
  bool retry = false;                       // a soft problem: retest after the retry interval
};

// Applies a result of state `state`; max_attempts >= 1.
Change apply_result(CheckStatus& status, core::State state, int max_attempts,
                    WallClock::time_point now);

std::string_view state_type_name(StateType type);

}  // namespace mailprobe::daemon
