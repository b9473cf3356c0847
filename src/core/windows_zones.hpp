#pragma once
// Windows time zone ids, which MailStore Server (a Windows program) takes as timeZoneID,
// mapped to IANA time zone names, which the tz database on Linux knows. The table is
// CLDR's windowsZones.xml, territory "001" (the zone that represents each Windows id).

#include <optional>
#include <string_view>
#include <vector>

namespace mailprobe::core {

// "W. Europe Standard Time" -> "Europe/Berlin"; case-insensitive, as Windows matches
// zone ids. nullopt for ids not in the table (and for "$Local", which only the server can
// resolve).
std::optional<std::string_view> windows_zone_to_iana(std::string_view windows_id);

// Every Windows id of the table, for listing and for tests.
std::vector<std::string_view> windows_zone_ids();

}  // namespace mailprobe::core
