#include "core/range.hpp"

#include <charconv>
#include <cmath>

#include "core/format.hpp"

namespace mailprobe::core {

std::optional<double> parse_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  // from_chars rejects a leading '+', which users do write.
  if (text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto* first = text.data();
  const auto* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, value, std::chars_format::fixed);
  if (ec != std::errc{} || ptr != last || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::variant<Range, std::string> Range::parse(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return std::string("range '") + std::string(text) + "': " + std::string(why);
  };
  Range range;
  range.text_ = std::string(text);
  std::string_view rest = text;
  if (rest.empty()) return fail("empty");
  if (rest.front() == '@') {
    range.inside_ = true;
    rest.remove_prefix(1);
  }
  auto colon = rest.find(':');
  std::string_view start_text = colon == std::string_view::npos ? "" : rest.substr(0, colon);
  std::string_view end_text = colon == std::string_view::npos ? rest : rest.substr(colon + 1);
  if (start_text.empty()) {
    // "10" and ":10" mean 0:10.
    range.start_ = 0.0;
  } else if (start_text == "~") {
    range.start_.reset();
  } else if (auto start = parse_number(start_text)) {
    range.start_ = *start;
  } else {
    return fail("start '" + std::string(start_text) + "' is not a number");
  }
  if (end_text.empty()) {
    if (colon == std::string_view::npos) return fail("no end value");
    range.end_.reset();
  } else if (auto end = parse_number(end_text)) {
    range.end_ = *end;
  } else {
    return fail("end '" + std::string(end_text) + "' is not a number");
  }
  if (range.start_ && range.end_ && *range.start_ > *range.end_) {
    return fail("start " + format_number(*range.start_) + " is greater than end " +
                format_number(*range.end_));
  }
  return range;
}

Range Range::upper(double limit) {
  Range range;
  range.start_ = 0.0;
  range.end_ = limit;
  range.text_ = format_number(limit);
  return range;
}

bool Range::alerts(double value) const {
  bool within = (!start_ || value >= *start_) && (!end_ || value <= *end_);
  return inside_ ? within : !within;
}

std::string Range::violation(double value) const {
  if (inside_) return "inside " + text_;
  if (start_ && value < *start_) return "below " + format_number(*start_);
  if (end_) return "above " + format_number(*end_);
  return "outside " + text_;
}

State Thresholds::evaluate(double value) const {
  if (critical && critical->alerts(value)) return State::critical;
  if (warning && warning->alerts(value)) return State::warning;
  return State::ok;
}

std::variant<Thresholds, std::string> Thresholds::parse(std::string_view warning,
                                                        std::string_view critical) {
  Thresholds thresholds;
  if (!warning.empty()) {
    auto parsed = Range::parse(warning);
    if (auto* error = std::get_if<std::string>(&parsed)) return "warning " + *error;
    thresholds.warning = std::get<Range>(std::move(parsed));
  }
  if (!critical.empty()) {
    auto parsed = Range::parse(critical);
    if (auto* error = std::get_if<std::string>(&parsed)) return "critical " + *error;
    thresholds.critical = std::get<Range>(std::move(parsed));
  }
  return thresholds;
}

}  // namespace mailprobe::core
