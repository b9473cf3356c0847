#pragma once
// Durations as people write them in configuration files: "30s", "5m", "1h", "30d", "250ms",
// or a plain number of seconds.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailprobe::core {

// The longest duration mailprobe takes anywhere: 100 years (a history kept that long).
// Longer ones would overflow the arithmetic of times they are added to or taken from.
inline constexpr std::chrono::milliseconds max_duration{std::int64_t{36500} * 86400 * 1000};

// nullopt when `text` is not a non-negative duration of at most max_duration.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The milliseconds `text` says, however many (for range errors that quote the value):
// nullopt when it is not a non-negative finite duration at all.
std::optional<double> duration_milliseconds(std::string_view text);

// "20m", "30s", "1h30m" (the largest units that fit; "0s" for zero).
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace mailprobe::core
