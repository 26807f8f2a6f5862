// What the intensity source keeps in its disk cache (disk_cache.h): a
// location, a current reading and a forecast, as JSON. Cache files are read
// back without trusting them: a value of the wrong shape or type gives
// nullopt, never an exception (tests/fuzz runs these under libFuzzer).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "intensity/providers.h"

namespace carbontracker {

nlohmann::json location_to_json(const Location& l);
// Needs a two-letter "alpha2"; "address", "region", "postal" strings and
// "lat", "lon" numbers where present.
std::optional<Location> location_from_json(const nlohmann::json& j);

nlohmann::json reading_to_json(const IntensityReading& r);
// Needs a finite "g_per_kwh" >= 0; "time_unix_s" a number and "detail" a
// string where present.
std::optional<IntensityReading> reading_from_json(const nlohmann::json& j);

// [[from, to, g_per_kwh], ...]: finite numbers, from < to, g_per_kwh >= 0.
nlohmann::json segments_to_json(const std::vector<Segment>& segments);
std::optional<std::vector<Segment>> segments_from_json(const nlohmann::json& j);

}  // namespace carbontracker
