#pragma once
// Civil (wall-clock) times as the MailStore Administration API writes them,
// "YYYY-MM-DDTHH:MM:SS" without a zone, and the check_mailstore period syntax
// "since:XY" (X a number, Y one of Y m d H M S). Calendar arithmetic only; which zone a
// civil time is in is decided by the caller (probes/mailstore_time).

#include <chrono>
#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace mailprobe::core {

struct CivilTime {
  int year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31, valid for the month
  int hour = 0;
  int minute = 0;
  int second = 0;

  bool operator==(const CivilTime&) const = default;
  std::strong_ordering operator<=>(const CivilTime& other) const {
    return since_epoch().count() <=> other.since_epoch().count();
  }

  // The instant this civil time names when read as UTC.
  std::chrono::sys_seconds as_utc() const;
  static CivilTime from_utc(std::chrono::sys_seconds instant);
  // Civil times are compared and subtracted in seconds as if they were UTC.
  std::chrono::seconds since_epoch() const { return as_utc().time_since_epoch(); }
};

// "2013-01-01T00:00:00" exactly (a space instead of the T is accepted); nullopt when
// malformed or not a real date (2023-02-29, 24:00:00).
std::optional<CivilTime> parse_civil_time(std::string_view text);
// "2013-01-01T00:00:00".
std::string format_civil_time(const CivilTime& time);

// since:XY of the original plugin.
enum class SinceUnit { year, month, day, hour, minute, second };

struct Since {
  long count = 0;
  SinceUnit unit = SinceUnit::day;
};

// Parses "since:90M", "since: 90M", "since:1d"; the error names what is wrong.
std::variant<Since, std::string> parse_since(std::string_view text);
// "90 minutes", "1 month".
std::string describe_since(const Since& since);

// `time` minus the period, in calendar terms: a month back from March 31 is the last day
// of February (28 or 29), a year back from February 29 is February 28. Days, hours,
// minutes and seconds are exact.
CivilTime subtract(const CivilTime& time, const Since& since);

}  // namespace mailprobe::core
