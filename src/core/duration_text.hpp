#pragma once
// Durations as people write them in configuration files: "30s", "5m", "1h", "30d", "250ms",
// or a plain number of seconds.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mailprobe::core {

// nullopt when `text` is not a non-negative duration.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// "20m", "30s", "1h30m" (the largest units that fit; "0s" for zero).
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace mailprobe::core
