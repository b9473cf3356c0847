#include "core/civil_time.hpp"

#include <charconv>

namespace mailprobe::core {

namespace {
using namespace std::chrono;

// Reads exactly `width` digits at `pos`.
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::string two(int value) {
  std::string text = std::to_string(value);
  return value < 10 ? "0" + text : text;
}
}  // namespace

sys_seconds CivilTime::as_utc() const {
  sys_days days{
      year_month_day{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}}};
  return sys_seconds{days} + hours{hour} + minutes{minute} + seconds{second};
}

CivilTime CivilTime::from_utc(sys_seconds instant) {
  auto days = floor<std::chrono::days>(instant);
  year_month_day date{days};
  hh_mm_ss<seconds> clock{instant - days};
  CivilTime civil;
  civil.year = static_cast<int>(date.year());
  civil.month = static_cast<unsigned>(date.month());
  civil.day = static_cast<unsigned>(date.day());
  civil.hour = static_cast<int>(clock.hours().count());
  civil.minute = static_cast<int>(clock.minutes().count());
  civil.second = static_cast<int>(clock.seconds().count());
  return civil;
}

std::optional<CivilTime> parse_civil_time(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS: 19 characters, separators at fixed places.
  if (text.size() != 19 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  auto y = digits(text, 0, 4);
  auto mo = digits(text, 5, 2);
  auto d = digits(text, 8, 2);
  auto h = digits(text, 11, 2);
  auto mi = digits(text, 14, 2);
  auto s = digits(text, 17, 2);
  if (!y || !mo || !d || !h || !mi || !s) return std::nullopt;
  year_month_day date{std::chrono::year{*y}, std::chrono::month{static_cast<unsigned>(*mo)},
                      std::chrono::day{static_cast<unsigned>(*d)}};
  if (!date.ok() || *h > 23 || *mi > 59 || *s > 59) return std::nullopt;
  CivilTime civil;
  civil.year = *y;
  civil.month = static_cast<unsigned>(*mo);
  civil.day = static_cast<unsigned>(*d);
  civil.hour = *h;
  civil.minute = *mi;
  civil.second = *s;
  return civil;
}

std::string format_civil_time(const CivilTime& time) {
  std::string year = std::to_string(time.year);
  while (year.size() < 4)
    year.insert(0, "0");
  return year + "-" + two(static_cast<int>(time.month)) + "-" + two(static_cast<int>(time.day)) +
         "T" + two(time.hour) + ":" + two(time.minute) + ":" + two(time.second);
}

std::variant<Since, std::string> parse_since(std::string_view text) {
  constexpr std::string_view prefix = "since:";
  if (text.substr(0, prefix.size()) != prefix) {
    return "'" + std::string(text) + "' does not start with since:";
  }
  std::string_view rest = text.substr(prefix.size());
  // The seed's own example writes "since: 90M".
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ')
    rest.remove_suffix(1);
  if (rest.size() < 2) {
    return "'" + std::string(text) + "': expected since:XY, X a number and Y one of Y m d H M S";
  }
  Since since;
  char unit = rest.back();
  switch (unit) {
    case 'Y':
      since.unit = SinceUnit::year;
      break;
    case 'm':
      since.unit = SinceUnit::month;
      break;
    case 'd':
      since.unit = SinceUnit::day;
      break;
    case 'H':
      since.unit = SinceUnit::hour;
      break;
    case 'M':
      since.unit = SinceUnit::minute;
      break;
    case 'S':
      since.unit = SinceUnit::second;
      break;
    default:
      return "'" + std::string(text) + "': unit '" + std::string(1, unit) +
             "' is not one of Y (years), m (months), d (days), H (hours), M (minutes), "
             "S (seconds)";
  }
  std::string_view number = rest.substr(0, rest.size() - 1);
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), since.count);
  if (ec != std::errc{} || ptr != number.data() + number.size() || since.count <= 0) {
    return "'" + std::string(text) + "': '" + std::string(number) +
           "' is not a positive whole number";
  }
  // Ten thousand years back is before year 1; nothing sensible is asked that way.
  constexpr long max_seconds = 10000L * 366 * 86400;
  long per_unit = 1;
  switch (since.unit) {
    case SinceUnit::year:
      per_unit = 366L * 86400;
      break;
    case SinceUnit::month:
      per_unit = 31L * 86400;
      break;
    case SinceUnit::day:
      per_unit = 86400;
      break;
    case SinceUnit::hour:
      per_unit = 3600;
      break;
    case SinceUnit::minute:
      per_unit = 60;
      break;
    case SinceUnit::second:
      break;
  }
  if (since.count > max_seconds / per_unit) {
    return "'" + std::string(text) + "': period too long";
  }
  return since;
}

std::string describe_since(const Since& since) {
  const char* name = "second";
  switch (since.unit) {
    case SinceUnit::year:
      name = "year";
      break;
    case SinceUnit::month:
      name = "month";
      break;
    case SinceUnit::day:
      name = "day";
      break;
    case SinceUnit::hour:
      name = "hour";
      break;
    case SinceUnit::minute:
      name = "minute";
      break;
    case SinceUnit::second:
      break;
  }
  return std::to_string(since.count) + " " + name + (since.count == 1 ? "" : "s");
}

CivilTime subtract(const CivilTime& time, const Since& since) {
  auto clamp_day = [](CivilTime t, long months_back) {
    // Months counted from year 0 make the borrow across years plain arithmetic.
    long total = static_cast<long>(t.year) * 12 + static_cast<long>(t.month) - 1 - months_back;
    long year_part = total >= 0 ? total / 12 : (total - 11) / 12;
    t.year = static_cast<int>(year_part);
    t.month = static_cast<unsigned>(total - year_part * 12 + 1);
    auto last =
        year_month_day_last{std::chrono::year{t.year}, month_day_last{std::chrono::month{t.month}}}
            .day();
    if (std::chrono::day{t.day} > last) t.day = static_cast<unsigned>(last);
    return t;
  };
  switch (since.unit) {
    case SinceUnit::year:
      return clamp_day(time, since.count * 12);
    case SinceUnit::month:
      return clamp_day(time, since.count);
    case SinceUnit::day:
      return CivilTime::from_utc(time.as_utc() - days{since.count});
    case SinceUnit::hour:
      return CivilTime::from_utc(time.as_utc() - hours{since.count});
    case SinceUnit::minute:
      return CivilTime::from_utc(time.as_utc() - minutes{since.count});
    case SinceUnit::second:
      return CivilTime::from_utc(time.as_utc() - seconds{since.count});
  }
  return time;
}

}  // namespace mailprobe::core
