#include "intensity/provider_answers.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace carbontracker {
namespace {

using nlohmann::json;

std::optional<json> parse_json(const std::string& body, std::string& error) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    error = body.empty() ? "empty answer" : "malformed JSON";
    return std::nullopt;
  }
  return j;
}

// The member `key` of the object `j`, or nullptr when `j` is not an object or
// lacks it. Answers are untrusted: a const json is never indexed with [].
const json* member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

// The list at j[key], or nullptr when it is missing or not a list.
const json* list_member(const json& j, const char* key) {
  const json* m = member(j, key);
  return m && m->is_array() ? m : nullptr;
}

// A finite, non-negative number at j[key], or an error naming the field.
std::optional<double> intensity_field(const json& j, const char* key, std::string& error) {
  const json* m = member(j, key);
  if (!m) {
    error = fmt::format("no '{}' field in the answer", key);
    return std::nullopt;
  }
  const json& v = *m;
  if (v.is_null()) {
    error = fmt::format("'{}' is null", key);
    return std::nullopt;
  }
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0) {
    error = fmt::format("'{}' is not a valid intensity", key);
    return std::nullopt;
  }
  return v.get<double>();
}

std::string string_field(const json& j, const char* key) {
  const json* m = member(j, key);
  return m && m->is_string() ? m->get<std::string>() : "";
}

template <typename T>
Fetched<T> fail(std::string error) {
  return fetch_failure<T>(std::move(error));
}

// The value of one {"from","to","intensity":{"forecast","actual"}} entry:
// the measured value when present, else the forecast for the interval.
std::optional<double> uk_entry_value(const json& e, std::string& error) {
  const json* in = member(e, "intensity");
  if (!in) {
    error = "no 'intensity' in the answer";
    return std::nullopt;
  }
  std::string ignored;
  if (auto a = intensity_field(*in, "actual", ignored)) return a;
  return intensity_field(*in, "forecast", error);
}

// Regional answers put the region in data[0] (current) or data (forecast).
const json* uk_region_object(const json& j) {
  const json* d = member(j, "data");
  if (!d) return nullptr;
  if (d->is_array() && !d->empty() && d->front().is_object()) return &d->front();
  if (d->is_object()) return d;
  return nullptr;
}

}  // namespace

Fetched<Location> parse_geolocation(const std::string& body) {
  std::string error;
  auto j = parse_json(body, error);
  if (!j) return fail<Location>(error);
  if (!j->is_object()) return fail<Location>("the answer is not a JSON object");
  const json* bogon = member(*j, "bogon");
  if (bogon && bogon->is_boolean() && bogon->get<bool>())
    return fail<Location>("the address is private (bogon)");
  Location loc;
  loc.alpha2 = string_field(*j, "country");
  for (char& ch : loc.alpha2) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (loc.alpha2.size() != 2 || !std::isalpha(static_cast<unsigned char>(loc.alpha2[0])) ||
      !std::isalpha(static_cast<unsigned char>(loc.alpha2[1])))
    return fail<Location>("no country in the answer");
  std::string city = string_field(*j, "city");
  loc.region_name = string_field(*j, "region");
  loc.postal = string_field(*j, "postal");
  std::string coords = string_field(*j, "loc");
  size_t comma = coords.find(',');
  if (comma != std::string::npos) {
    char* end1 = nullptr;
    char* end2 = nullptr;
    std::string lat_s = coords.substr(0, comma), lon_s = coords.substr(comma + 1);
    double lat = std::strtod(lat_s.c_str(), &end1);
    double lon = std::strtod(lon_s.c_str(), &end2);
    if (*end1 == 0 && *end2 == 0 && std::isfinite(lat) && std::isfinite(lon) &&
        std::abs(lat) <= 90 && std::abs(lon) <= 180) {
      loc.lat = lat;
      loc.lon = lon;
    }
  }
  std::vector<std::string> parts;
  for (const std::string* p : {&city, &loc.region_name, &loc.alpha2})
    if (!p->empty()) parts.push_back(*p);
  for (const auto& p : parts) loc.address += (loc.address.empty() ? "" : ", ") + p;
  return {loc, ""};
}

Fetched<IntensityReading> parse_electricitymaps_latest(const std::string& body) {
  std::string error;
  auto j = parse_json(body, error);
  if (!j) return fail<IntensityReading>(error);
  auto v = intensity_field(*j, "carbonIntensity", error);
  if (!v) return fail<IntensityReading>(error);
  IntensityReading reading;
  reading.g_per_kwh = *v;
  reading.time_unix_s = parse_iso_utc(string_field(*j, "datetime")).value_or(0);
  std::string zone = string_field(*j, "zone");
  if (!zone.empty()) reading.detail = "zone " + zone;
  return {reading, ""};
}

Fetched<std::vector<Segment>> parse_electricitymaps_forecast(const std::string& body) {
  std::string error;
  auto j = parse_json(body, error);
  if (!j) return fail<std::vector<Segment>>(error);
  const json* list = list_member(*j, "forecast");
  if (!list) return fail<std::vector<Segment>>("no 'forecast' list in the answer");
  ForecastPoints points;
  for (const auto& p : *list) {
    auto t = parse_iso_utc(string_field(p, "datetime"));
    auto v = intensity_field(p, "carbonIntensity", error);
    if (!t || !v) continue;
    points.emplace_back(*t, *v);
  }
  if (points.empty()) return fail<std::vector<Segment>>("the forecast has no valid points");
  std::sort(points.begin(), points.end());
  std::vector<Segment> segments;
  for (size_t i = 0; i < points.size(); ++i) {
    double to = i + 1 < points.size() ? points[i + 1].first : points[i].first + 3600;
    segments.push_back({points[i].first, to, points[i].second});
  }
  return {segments, ""};
}

Fetched<IntensityReading> parse_uk_national(const std::string& body) {
  std::string error;
  auto j = parse_json(body, error);
  if (!j) return fail<IntensityReading>(error);
  const json* data = list_member(*j, "data");
  if (!data || data->empty()) return fail<IntensityReading>("no 'data' list in the answer");
  const json& e = data->front();
  auto v = uk_entry_value(e, error);
  if (!v) return fail<IntensityReading>(error);
  return {IntensityReading{*v, parse_iso_utc(string_field(e, "from")).value_or(0), "national"}, ""};
}

Fetched<IntensityReading> parse_uk_regional(const std::string& body) {
  std::string error;
  auto j = parse_json(body, error);
  if (!j) return fail<IntensityReading>(error);
  const json* region = uk_region_object(*j);
  const json* data = region ? list_member(*region, "data") : nullptr;
  if (!data || data->empty())
    return fail<IntensityReading>("no regional 'data' list in the answer");
  const json& e = data->front();
  auto v = uk_entry_value(e, error);
  if (!v) return fail<IntensityReading>(error);
  std::string shortname = string_field(*region, "shortname");
  return {IntensityReading{*v, parse_iso_utc(string_field(e, "from")).value_or(0),
                           shortname.empty() ? "regional" : "region " + shortname},
          ""};
}

Fetched<std::vector<Segment>> parse_uk_segments(const std::string& body, bool regional) {
  std::string error;
  auto j = parse_json(body, error);
  if (!j) return fail<std::vector<Segment>>(error);
  const json* list = nullptr;
  if (regional) {
    const json* region = uk_region_object(*j);
    if (region) list = list_member(*region, "data");
  } else {
    list = list_member(*j, "data");
  }
  if (!list) return fail<std::vector<Segment>>("no 'data' list in the answer");
  std::vector<Segment> out;
  for (const auto& e : *list) {
    auto from = parse_iso_utc(string_field(e, "from"));
    auto to = parse_iso_utc(string_field(e, "to"));
    std::string ignored;
    const json* in = member(e, "intensity");
    auto v = in ? intensity_field(*in, "forecast", ignored) : std::nullopt;
    if (from && to && v && *to > *from) out.push_back({*from, *to, *v});
  }
  if (out.empty()) return fail<std::vector<Segment>>("the forecast has no valid intervals");
  return {out, ""};
}

Fetched<IntensityReading> parse_eds_latest(const std::string& body) {
  std::string error;
  auto j = parse_json(body, error);
  if (!j) return fail<IntensityReading>(error);
  const json* records = list_member(*j, "records");
  if (!records || records->empty()) return fail<IntensityReading>("no records in the answer");
  const json& rec = records->front();
  auto v = intensity_field(rec, "CO2Emission", error);
  if (!v) return fail<IntensityReading>(error);
  return {IntensityReading{*v, parse_iso_utc(string_field(rec, "Minutes5UTC")).value_or(0), ""},
          ""};
}

Fetched<ForecastPoints> parse_eds_prognosis(const std::string& body) {
  std::string error;
  auto j = parse_json(body, error);
  if (!j) return fail<ForecastPoints>(error);
  const json* records = list_member(*j, "records");
  if (!records) return fail<ForecastPoints>("no records in the answer");
  ForecastPoints points;
  for (const auto& rec : *records) {
    auto t = parse_iso_utc(string_field(rec, "Minutes5UTC"));
    auto v = intensity_field(rec, "CO2Emission", error);
    if (t && v) points.emplace_back(*t, *v);
  }
  return {points, ""};
}

}  // namespace carbontracker
