#include "intensity/cache_records.h"

#include <cmath>

namespace carbontracker {
namespace {

// The string at j[key], or "" when it is missing or of another type: cache
// files are read back without trusting them.
std::string string_member(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<double> number_member(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  double x = it->get<double>();
  return std::isfinite(x) ? std::optional<double>(x) : std::nullopt;
}

// Whether each of `keys` present in `j` has the type `is` tests.
bool typed(const nlohmann::json& j, std::initializer_list<const char*> keys,
           bool (nlohmann::json::*is)() const noexcept) {
  for (const char* key : keys) {
    auto it = j.find(key);
    if (it != j.end() && !((*it).*is)()) return false;
  }
  return true;
}

}  // namespace

nlohmann::json location_to_json(const Location& l) {
  nlohmann::json j = {{"alpha2", l.alpha2},
                      {"address", l.address},
                      {"region", l.region_name},
                      {"postal", l.postal}};
  if (l.lat && l.lon) {
    j["lat"] = *l.lat;
    j["lon"] = *l.lon;
  }
  return j;
}

std::optional<Location> location_from_json(const nlohmann::json& j) {
  if (!j.is_object() ||
      !typed(j, {"alpha2", "address", "region", "postal"}, &nlohmann::json::is_string) ||
      !typed(j, {"lat", "lon"}, &nlohmann::json::is_number))
    return std::nullopt;
  Location l;
  l.alpha2 = string_member(j, "alpha2");
  l.address = string_member(j, "address");
  l.region_name = string_member(j, "region");
  l.postal = string_member(j, "postal");
  auto lat = number_member(j, "lat");
  auto lon = number_member(j, "lon");
  if (lat && lon) {
    l.lat = *lat;
    l.lon = *lon;
  }
  if (l.alpha2.size() != 2) return std::nullopt;
  return l;
}

std::optional<IntensityReading> reading_from_json(const nlohmann::json& j) {
  auto g = number_member(j, "g_per_kwh");
  if (!g || *g < 0 || !typed(j, {"time_unix_s"}, &nlohmann::json::is_number) ||
      !typed(j, {"detail"}, &nlohmann::json::is_string))
    return std::nullopt;
  return IntensityReading{*g, number_member(j, "time_unix_s").value_or(0),
                          string_member(j, "detail")};
}

std::optional<std::vector<Segment>> segments_from_json(const nlohmann::json& j) {
  if (!j.is_array()) return std::nullopt;
  std::vector<Segment> out;
  for (const auto& s : j) {
    if (!s.is_array() || s.size() != 3 || !s[0].is_number() || !s[1].is_number() ||
        !s[2].is_number())
      return std::nullopt;
    Segment seg{s[0].get<double>(), s[1].get<double>(), s[2].get<double>()};
    if (!std::isfinite(seg.from_unix_s) || !std::isfinite(seg.to_unix_s) ||
        !std::isfinite(seg.g_per_kwh) || !(seg.to_unix_s > seg.from_unix_s) || seg.g_per_kwh < 0)
      return std::nullopt;
    out.push_back(seg);
  }
  return out;
}

nlohmann::json reading_to_json(const IntensityReading& r) {
  return {{"g_per_kwh", r.g_per_kwh}, {"time_unix_s", r.time_unix_s}, {"detail", r.detail}};
}

nlohmann::json segments_to_json(const std::vector<Segment>& segments) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& s : segments) arr.push_back({s.from_unix_s, s.to_unix_s, s.g_per_kwh});
  return arr;
}

}  // namespace carbontracker
