#pragma once
// Number formatting shared by every renderer: no exponent, no trailing zeros.

#include <cstddef>
#include <string>
#include <string_view>

namespace mailprobe::core {

// 12 -> "12", 0.0123456 -> "0.012346", -1.5 -> "-1.5", 1e-9 -> "0".
std::string format_number(double value, int max_decimals = 6);

// Exactly `decimals` decimals, as printf("%.3f") would: 0.0042 -> "0.004".
std::string format_fixed(double value, int decimals);

// A duration in seconds for messages: "10.0 s", "0.250 s".
std::string format_seconds(double seconds);

// The start of `text` for a one-line message: at most `limit` bytes, control characters as
// spaces, "..." when cut (a server's answer quoted in an error).
std::string excerpt(std::string_view text, std::size_t limit = 60);

// A size for messages: "16 MiB", "64 KiB", "1000 bytes".
std::string format_size(std::size_t bytes);

}  // namespace mailprobe::core
