#pragma once
// The period check_mailstore asks GetWorkerResults about, as the API wants it: two civil
// times (fromIncluding, toExcluding) and the zone they are in (timeZoneID).
//
// An absolute --start/--end is passed on as given, in --timezone: the server converts.
// since:XY is computed here from the clock:
//   - with --timezone $Local (the default) the server's own zone is unknown to the
//     client, so the period is sent in UTC (timeZoneID "UTC", a Windows zone id). That is
//     exact whatever the zones of the monitoring host and the server; the original plugin
//     computed it in the monitoring host's zone and sent it as $Local, which is off by
//     the difference between the two zones.
//   - with a named zone (a Windows id such as "W. Europe Standard Time", mapped to its
//     IANA zone by core/windows_zones, or an IANA name) the period is computed in that
//     zone, with the zone's current rules from the system's tz database evaluated by
//     Howard Hinnant's date library, and sent in it.
// Years, months and days are calendar arithmetic on the local date (a day back across a
// DST change is the same wall-clock time yesterday; a month back from March 31 is the
// end of February); hours, minutes and seconds are elapsed time.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/civil_time.hpp"
#include "core/outcome.hpp"

namespace mailprobe::probes {

struct Window {
  std::string from;       // fromIncluding, "YYYY-MM-DDTHH:MM:SS"
  std::string to;         // toExcluding
  std::string zone;       // timeZoneID
  std::string described;  // "in the last 1 day (2026-04-02T12:00:00 to 2026-04-03T12:00:01 UTC)"
};

// True for "$Local" in any case (the seed writes both $Local and $local).
bool is_local_zone(std::string_view timezone);

// The IANA zone for a --timezone value: a Windows id of the table, or an IANA name the
// tz database knows. Fails (kind config) for anything else, naming the value.
core::Outcome<std::string> iana_zone(std::string_view timezone);

// since:XY up to `now`. toExcluding is the next whole second, so a job that ended in the
// current second is counted.
core::Outcome<Window> since_window(const core::Since& since, const std::string& timezone,
                                   std::chrono::system_clock::time_point now);

// An absolute period; fails when either time is malformed or the end is not after the
// start.
core::Outcome<Window> absolute_window(const std::string& start, const std::string& end,
                                      const std::string& timezone);

}  // namespace mailprobe::probes
