#pragma once
// Service states of the Nagios plugin contract (exit codes 0..3) and how they combine.

#include <optional>
#include <string_view>

namespace mailprobe::core {

enum class State { ok = 0, warning = 1, critical = 2, unknown = 3 };

// "OK", "WARNING", "CRITICAL", "UNKNOWN".
std::string_view state_name(State state);

// Parses a state name as used by options like check_tcp's -r/-M ("ok", "warn", "crit",
// "warning", "critical", "unknown"), case-insensitive.
std::optional<State> parse_state(std::string_view text);

// The plugin exit code of a state.
constexpr int exit_code(State state) {
  return static_cast<int>(state);
}

// Roll-up order OK < UNKNOWN < WARNING < CRITICAL, as monitoring-plugins' subcheck API
// (max_state_alt) orders them: a check that could not determine one part must not hide a
// critical or warning finding in another, and must not look healthier than OK.
State worse(State a, State b);

}  // namespace mailprobe::core
