#include "core/duration_text.hpp"

#include <cmath>

#include "core/range.hpp"

namespace mailprobe::core {

std::optional<double> duration_milliseconds(std::string_view text) {
  struct Unit {
    std::string_view suffix;
    double milliseconds;
  };
  // Longest suffixes first, so that "ms" is not read as "m".
  static constexpr Unit units[] = {{"ms", 1},      {"s", 1000},     {"m", 60000},
                                   {"h", 3600000}, {"d", 86400000}, {"w", 604800000}};
  double factor = 1000;  // a plain number is seconds
  for (const auto& unit : units) {
    if (text.size() > unit.suffix.size() &&
        text.substr(text.size() - unit.suffix.size()) == unit.suffix) {
      factor = unit.milliseconds;
      text.remove_suffix(unit.suffix.size());
      break;
    }
  }
  auto number = parse_number(text);
  if (!number || *number < 0 || !std::isfinite(*number * factor)) return std::nullopt;
  return *number * factor;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto ms = duration_milliseconds(text);
  // Judged as a double, before the conversion: a value past the range of long long would
  // come back from llround as its minimum, a negative duration.
  if (!ms || *ms > static_cast<double>(max_duration.count())) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(*ms)));
}

std::string format_duration(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  if (ms == 0) return "0s";
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  auto seconds = ms / 1000;
  std::string out;
  for (auto [size, suffix] :
       {std::pair<long long, const char*>{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}) {
    if (seconds >= size) {
      out += std::to_string(seconds / size) + suffix;
      seconds %= size;
    }
  }
  return out;
}

}  // namespace mailprobe::core
