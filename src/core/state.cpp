#include "core/state.hpp"

#include <array>
#include <string>
#include <utility>

#include "core/ascii.hpp"

namespace mailprobe::core {

std::string_view state_name(State state) {
  switch (state) {
    case State::ok:
      return "OK";
    case State::warning:
      return "WARNING";
    case State::critical:
      return "CRITICAL";
    case State::unknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

std::optional<State> parse_state(std::string_view text) {
  auto lower = ascii_lower(text);
  static constexpr std::array<std::pair<std::string_view, State>, 7> names{{
      {"ok", State::ok},
      {"warn", State::warning},
      {"warning", State::warning},
      {"crit", State::critical},
      {"critical", State::critical},
      {"unknown", State::unknown},
      {"unk", State::unknown},
  }};
  for (const auto& [name, state] : names) {
    if (lower == name) return state;
  }
  return std::nullopt;
}

namespace {
int severity(State state) {
  switch (state) {
    case State::ok:
      return 0;
    case State::unknown:
      return 1;
    case State::warning:
      return 2;
    case State::critical:
      return 3;
  }
  return 1;
}
}  // namespace

State worse(State a, State b) {
  return severity(a) >= severity(b) ? a : b;
}

}  // namespace mailprobe::core
