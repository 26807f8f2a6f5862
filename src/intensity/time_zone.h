// Offline location: the system time zone mapped to a country through
// zone.tab (one country per zone; zone1970.tab merges countries, so it is not
// used).
#pragma once

#include <optional>
#include <string>

#include "carbontracker/environment.h"

namespace carbontracker {

struct TimeZoneCountry {
  std::string time_zone;  // "Europe/Copenhagen"
  std::string alpha2;     // "DK"
  std::string how;        // "TZ", "/etc/localtime" or "/etc/timezone" (the path read)
};

// The system time zone name: env.tz (TZ, a leading ':' and a zoneinfo path
// prefix removed), else the target of the env.localtime_path symlink after
// ".../zoneinfo/", else the first word of the "timezone" file next to
// env.localtime_path (/etc/timezone). `how` says which. nullopt if none.
std::optional<std::pair<std::string, std::string>> system_time_zone(const Environment& env);

// The country of `time_zone` in the zone.tab file at zone_tab_path, or "" if
// the file is missing or does not list the zone (UTC, Etc/...).
std::string country_of_time_zone(const std::string& zone_tab_path, const std::string& time_zone);

// system_time_zone() then country_of_time_zone(env.zone_tab).
std::optional<TimeZoneCountry> country_from_time_zone(const Environment& env);

}  // namespace carbontracker
