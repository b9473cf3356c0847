#include "core/format.hpp"

#include <cmath>
#include <cstdio>

namespace mailprobe::core {

std::string format_number(double value, int max_decimals) {
  if (!std::isfinite(value)) return value > 0 ? "inf" : (value < 0 ? "-inf" : "nan");
  char buffer[64];
  int n = std::snprintf(buffer, sizeof buffer, "%.*f", max_decimals, value);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buffer) return "0";
  std::string text(buffer, static_cast<std::size_t>(n));
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0')
      text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  if (text == "-0") text = "0";
  return text;
}

std::string format_fixed(double value, int decimals) {
  char buffer[64];
  int n = std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return n > 0 && static_cast<std::size_t>(n) < sizeof buffer ? std::string(buffer) : "0";
}

std::string format_seconds(double seconds) {
  char buffer[64];
  if (seconds < 1.0) {
    std::snprintf(buffer, sizeof buffer, "%.3f s", seconds);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1f s", seconds);
  }
  return buffer;
}

std::string excerpt(std::string_view text, std::size_t limit) {
  std::string shown;
  for (char c : text.substr(0, limit)) {
    auto byte = static_cast<unsigned char>(c);
    shown += byte < 0x20 || byte == 0x7f ? ' ' : c;
  }
  if (text.size() > limit) shown += "...";
  return shown;
}

std::string format_size(std::size_t bytes) {
  constexpr std::size_t kib = 1024;
  constexpr std::size_t mib = kib * kib;
  if (bytes >= mib && bytes % mib == 0) return std::to_string(bytes / mib) + " MiB";
  if (bytes >= kib && bytes % kib == 0) return std::to_string(bytes / kib) + " KiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace mailprobe::core
