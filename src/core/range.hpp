#pragma once
// Nagios threshold ranges (monitoring-plugins guidelines, "Threshold and ranges"):
//   10      alert if < 0 or > 10
//   10:     alert if < 10
//   ~:10    alert if > 10
//   10:20   alert if < 10 or > 20
//   @10:20  alert if >= 10 and <= 20
// Decimals and negative numbers are allowed everywhere.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/state.hpp"

namespace mailprobe::core {

class Range {
 public:
  // Parses `text`; on error returns a message such as
  // "range '20:10': start 20 is greater than end 10".
  static std::variant<Range, std::string> parse(std::string_view text);

  // A range that alerts above `limit` (what "limit" alone means).
  static Range upper(double limit);

  // True when `value` is outside the range (or inside, for '@' ranges).
  bool alerts(double value) const;

  // How `value` violates the range, for messages: "above 2", "below 10", "inside @10:20".
  std::string violation(double value) const;

  // The range as the user wrote it, for perfdata.
  const std::string& text() const { return text_; }

 private:
  std::optional<double> start_;  // nullopt: negative infinity
  std::optional<double> end_;    // nullopt: positive infinity
  bool inside_ = false;
  std::string text_;
};

// A warning and a critical range; either may be absent.
struct Thresholds {
  std::optional<Range> warning;
  std::optional<Range> critical;

  State evaluate(double value) const;

  // Parses both; an empty text means "no threshold". The error names the option.
  static std::variant<Thresholds, std::string> parse(std::string_view warning,
                                                     std::string_view critical);
};

// Parses a decimal number the way ranges do ("-1.5", "10"); no inf/nan, no trailing text.
std::optional<double> parse_number(std::string_view text);

}  // namespace mailprobe::core
