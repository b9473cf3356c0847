#include "probes/mailstore_time.hpp"

#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <exception>

#include "core/windows_zones.hpp"

namespace mailprobe::probes {

namespace {
using namespace std::chrono;

core::Failure config_failure(std::string message) {
  return {"options", core::FailureKind::config, std::move(message)};
}

const date::time_zone* find_zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

core::CivilTime civil_of(date::local_seconds local) {
  return core::CivilTime::from_utc(sys_seconds{local.time_since_epoch()});
}

bool calendar_unit(core::SinceUnit unit) {
  return unit == core::SinceUnit::year || unit == core::SinceUnit::month ||
         unit == core::SinceUnit::day;
}

seconds elapsed(const core::Since& since) {
  switch (since.unit) {
    case core::SinceUnit::hour:
      return hours{since.count};
    case core::SinceUnit::minute:
      return minutes{since.count};
    default:
      return seconds{since.count};
  }
}
}  // namespace

bool is_local_zone(std::string_view timezone) {
  constexpr std::string_view local = "$local";
  return timezone.size() == local.size() &&
         std::equal(timezone.begin(), timezone.end(), local.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

core::Outcome<std::string> iana_zone(std::string_view timezone) {
  if (auto mapped = core::windows_zone_to_iana(timezone)) return std::string(*mapped);
  std::string name(timezone);
  if (!name.empty() && name.find('/') != std::string::npos && find_zone(name) != nullptr) {
    return name;
  }
  return config_failure("--timezone '" + name +
                        "' is not a Windows time zone id (e.g. 'W. Europe Standard Time', "
                        "'UTC'; GetTimeZones lists them) nor an IANA zone name");
}

core::Outcome<Window> since_window(const core::Since& since, const std::string& timezone,
                                   system_clock::time_point now) {
  Window window;
  auto instant = floor<seconds>(now);
  core::CivilTime start;
  core::CivilTime end;
  if (is_local_zone(timezone) || core::windows_zone_to_iana(timezone) == "Etc/UTC") {
    window.zone = is_local_zone(timezone) ? std::string("UTC") : timezone;
    end = core::CivilTime::from_utc(instant);
    start = core::subtract(end, since);
  } else {
    auto iana = iana_zone(timezone);
    if (!iana) return iana.failure();
    const auto* zone = find_zone(*iana);
    if (zone == nullptr) return config_failure("time zone '" + *iana + "' is not installed");
    window.zone = timezone;
    end = civil_of(zone->to_local(instant));
    if (calendar_unit(since.unit)) {
      start = core::subtract(end, since);
    } else {
      start = civil_of(zone->to_local(instant - elapsed(since)));
    }
  }
  window.from = core::format_civil_time(start);
  window.to = core::format_civil_time(core::CivilTime::from_utc(end.as_utc() + seconds{1}));
  window.described = "in the last " + core::describe_since(since) + " (" + window.from + " to " +
                     window.to + " " + window.zone + ")";
  return window;
}

core::Outcome<Window> absolute_window(const std::string& start, const std::string& end,
                                      const std::string& timezone) {
  auto from = core::parse_civil_time(start);
  if (!from) {
    return config_failure("--start '" + start +
                          "' is neither YYYY-mm-ddTHH:MM:SS (e.g. 2013-01-01T00:00:00) nor "
                          "since:XY (e.g. since:1d)");
  }
  if (end.empty()) return config_failure("--end is required with an absolute --start");
  auto to = core::parse_civil_time(end);
  if (!to) {
    return config_failure("--end '" + end + "' is not YYYY-mm-ddTHH:MM:SS (e.g. " +
                          "2013-02-28T23:59:59)");
  }
  if (*to <= *from) {
    return config_failure("--end " + core::format_civil_time(*to) + " is not after --start " +
                          core::format_civil_time(*from));
  }
  // The server converts: any zone id it knows is fine, even one the table lacks.
  Window window;
  window.from = core::format_civil_time(*from);
  window.to = core::format_civil_time(*to);
  window.zone = timezone;
  window.described = "from " + window.from + " to " + window.to + " (" + timezone + ")";
  return window;
}

}  // namespace mailprobe::probes
