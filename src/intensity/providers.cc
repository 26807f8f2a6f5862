#include "intensity/providers.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "common/number.h"
#include "common/text.h"

namespace carbontracker {
namespace {

using nlohmann::json;

std::string trim_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// "HTTP 401" → "HTTP 401 (the API key was refused)" and the like.
std::string explain(const HttpResponse& r) {
  switch (r.status) {
    case 401:
    case 403:
      return r.error + " (the API key was refused or lacks access)";
    case 404:
      return r.error + " (not found: the area may not be covered)";
    case 429:
      return r.error + " (rate limited)";
    default:
      return r.error;
  }
}

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
  Fetched<T> f;
  f.error = std::move(error);
  return f;
}

// ---------------------------------------------------------------- Electricity Maps

class ElectricityMaps : public LiveProvider {
 public:
  explicit ElectricityMaps(const ProviderConfig& c) : c_(c) {}
  std::string name() const override { return "Electricity Maps"; }
  bool suitable(const Location& w) const override {
    return !c_.electricitymaps_key.empty() &&
           (!w.zone.empty() || (w.lat && w.lon) || !w.alpha2.empty());
  }
  std::string cache_key(const Location& w) const override {
    return "electricitymaps|" + c_.electricitymaps_url + "|" + query(w);
  }
  Fetched<IntensityReading> current(const Location& w, double, Stopper* stopper) override {
    HttpResponse r = get("/v3/carbon-intensity/latest?" + query(w), stopper);
    if (!r.ok) return fail<IntensityReading>(explain(r));
    std::string error;
    auto j = parse_json(r.body, error);
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
  Fetched<std::vector<Segment>> forecast(const Location& w, double, Stopper* stopper) override {
    HttpResponse r = get("/v3/carbon-intensity/forecast?" + query(w), stopper);
    if (!r.ok) return fail<std::vector<Segment>>(explain(r));
    std::string error;
    auto j = parse_json(r.body, error);
    if (!j) return fail<std::vector<Segment>>(error);
    const json* list = list_member(*j, "forecast");
    if (!list) return fail<std::vector<Segment>>("no 'forecast' list in the answer");
    std::vector<std::pair<double, double>> points;
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

 private:
  std::string query(const Location& w) const {
    if (!w.zone.empty()) return "zone=" + url_encode(w.zone);
    if (w.lat && w.lon) return fmt::format("lat={:.4f}&lon={:.4f}", *w.lat, *w.lon);
    return "zone=" + url_encode(w.alpha2);
  }
  HttpResponse get(const std::string& path, Stopper* stopper) {
    const std::string& key = c_.electricitymaps_key;
    return http_get(trim_slash(c_.electricitymaps_url) + path, {"auth-token: " + key}, c_.limits,
                    stopper, {key});
  }
  const ProviderConfig& c_;
};

// ---------------------------------------------------------------- carbonintensity.org.uk

class CarbonIntensityUk : public LiveProvider {
 public:
  explicit CarbonIntensityUk(const ProviderConfig& c) : c_(c) {}
  std::string name() const override { return "carbonintensity.org.uk"; }
  bool suitable(const Location& w) const override {
    return w.alpha2 == "GB" && (w.zone.empty() || w.zone == "GB");
  }
  std::string cache_key(const Location& w) const override {
    return "carbonintensity-uk|" + c_.carbonintensity_uk_url + "|" + selector(w);
  }
  Fetched<IntensityReading> current(const Location& w, double, Stopper* stopper) override {
    std::string regional_error;
    std::string sel = selector(w);
    if (!sel.empty()) {
      auto f = regional(w, "/regional/" + sel, stopper);
      if (f.value) return f;
      regional_error = f.error;
      if (stopper && stopper->stopped()) return f;
    }
    auto f = national("/intensity", stopper);
    if (!f.value && !regional_error.empty())
      f.error =
          fmt::format("regional ({}): {}; national: {}", describe(sel), regional_error, f.error);
    return f;
  }
  Fetched<std::vector<Segment>> forecast(const Location& w, double now, Stopper* stopper) override {
    std::string from = format_utc_minutes(now);
    std::string sel = selector(w);
    std::string regional_error;
    if (!sel.empty()) {
      auto f = segments("/regional/intensity/" + from + "/fw24h/" + sel, true, stopper);
      if (f.value) return f;
      regional_error = f.error;
    }
    auto f = segments("/intensity/" + from + "/fw24h", false, stopper);
    if (!f.value && !regional_error.empty())
      f.error =
          fmt::format("regional ({}): {}; national: {}", describe(sel), regional_error, f.error);
    return f;
  }

 private:
  std::string selector(const Location& w) const {
    auto digits = [](const std::string& s) {
      return !s.empty() && std::all_of(s.begin(), s.end(), ::isdigit);
    };
    if (digits(c_.uk_region_id)) return "regionid/" + c_.uk_region_id;
    std::string pc = !c_.uk_postcode.empty() ? c_.uk_postcode : w.postal;
    pc = pc.substr(0, pc.find(' '));  // the API takes the outward code
    std::string clean;
    for (char ch : pc)
      if (std::isalnum(static_cast<unsigned char>(ch))) clean += upper(ch);
    return clean.size() >= 2 && clean.size() <= 4 ? "postcode/" + clean : "";
  }
  static std::string describe(const std::string& sel) {
    std::string s = sel;
    std::replace(s.begin(), s.end(), '/', ' ');
    return s;
  }
  HttpResponse get(const std::string& path, Stopper* stopper) {
    return http_get(trim_slash(c_.carbonintensity_uk_url) + path, {"Accept: application/json"},
                    c_.limits, stopper);
  }
  // The value of one {"from","to","intensity":{"forecast","actual"}} entry:
  // the measured value when present, else the forecast for the interval.
  static std::optional<double> entry_value(const json& e, std::string& error) {
    const json* in = member(e, "intensity");
    if (!in) {
      error = "no 'intensity' in the answer";
      return std::nullopt;
    }
    std::string ignored;
    if (auto a = intensity_field(*in, "actual", ignored)) return a;
    return intensity_field(*in, "forecast", error);
  }
  Fetched<IntensityReading> national(const std::string& path, Stopper* stopper) {
    HttpResponse r = get(path, stopper);
    if (!r.ok) return fail<IntensityReading>(explain(r));
    std::string error;
    auto j = parse_json(r.body, error);
    if (!j) return fail<IntensityReading>(error);
    const json* data = list_member(*j, "data");
    if (!data || data->empty()) return fail<IntensityReading>("no 'data' list in the answer");
    const json& e = data->front();
    auto v = entry_value(e, error);
    if (!v) return fail<IntensityReading>(error);
    return {IntensityReading{*v, parse_iso_utc(string_field(e, "from")).value_or(0), "national"},
            ""};
  }
  // Regional answers put the region in data[0] (current) or data (forecast).
  static const json* region_object(const json& j) {
    const json* d = member(j, "data");
    if (!d) return nullptr;
    if (d->is_array() && !d->empty() && d->front().is_object()) return &d->front();
    if (d->is_object()) return d;
    return nullptr;
  }
  Fetched<IntensityReading> regional(const Location&, const std::string& path, Stopper* stopper) {
    HttpResponse r = get(path, stopper);
    if (!r.ok) return fail<IntensityReading>(explain(r));
    std::string error;
    auto j = parse_json(r.body, error);
    if (!j) return fail<IntensityReading>(error);
    const json* region = region_object(*j);
    const json* data = region ? list_member(*region, "data") : nullptr;
    if (!data || data->empty())
      return fail<IntensityReading>("no regional 'data' list in the answer");
    const json& e = data->front();
    auto v = entry_value(e, error);
    if (!v) return fail<IntensityReading>(error);
    std::string shortname = string_field(*region, "shortname");
    return {IntensityReading{*v, parse_iso_utc(string_field(e, "from")).value_or(0),
                             shortname.empty() ? "regional" : "region " + shortname},
            ""};
  }
  Fetched<std::vector<Segment>> segments(const std::string& path, bool regional, Stopper* stopper) {
    HttpResponse r = get(path, stopper);
    if (!r.ok) return fail<std::vector<Segment>>(explain(r));
    std::string error;
    auto j = parse_json(r.body, error);
    if (!j) return fail<std::vector<Segment>>(error);
    const json* list = nullptr;
    if (regional) {
      const json* region = region_object(*j);
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
  const ProviderConfig& c_;
};

// ---------------------------------------------------------------- Energi Data Service

class EnergiDataService : public LiveProvider {
 public:
  explicit EnergiDataService(const ProviderConfig& c) : c_(c) {}
  std::string name() const override { return "Energi Data Service"; }
  bool suitable(const Location& w) const override {
    return w.alpha2 == "DK" && (w.zone.empty() || w.zone == "DK" || w.zone == "DK-DK1" ||
                                w.zone == "DK-DK2" || w.zone == "DK-BHM");
  }
  std::string cache_key(const Location& w) const override {
    std::string areas;
    for (const auto& a : price_areas(w)) areas += a;
    return "energidataservice|" + c_.energidataservice_url + "|" + areas;
  }
  Fetched<IntensityReading> current(const Location& w, double, Stopper* stopper) override {
    double sum = 0, latest = 0;
    auto areas = price_areas(w);
    for (const auto& area : areas) {
      HttpResponse r =
          get("CO2Emis",
              "filter=" + filter(area) + "&sort=" + url_encode("Minutes5UTC DESC") + "&limit=1",
              stopper);
      if (!r.ok) return fail<IntensityReading>(area + ": " + explain(r));
      std::string error;
      auto j = parse_json(r.body, error);
      if (!j) return fail<IntensityReading>(area + ": " + error);
      const json* records = list_member(*j, "records");
      if (!records || records->empty())
        return fail<IntensityReading>(area + ": no records in the answer");
      const json& rec = records->front();
      auto v = intensity_field(rec, "CO2Emission", error);
      if (!v) return fail<IntensityReading>(area + ": " + error);
      sum += *v;
      latest = std::max(latest, parse_iso_utc(string_field(rec, "Minutes5UTC")).value_or(0));
    }
    std::string detail = areas.size() == 1 ? areas[0] : "mean of DK1 and DK2";
    return {IntensityReading{sum / areas.size(), latest, detail}, ""};
  }
  Fetched<std::vector<Segment>> forecast(const Location& w, double now, Stopper* stopper) override {
    double start = floor_exact(now / 300) * 300;
    std::string range = "start=" + format_minutes(start) + "&end=" + format_minutes(start + 86400);
    auto areas = price_areas(w);
    std::map<double, std::pair<double, int>> by_time;  // time -> (sum, count)
    for (const auto& area : areas) {
      HttpResponse r = get("CO2EmisProg",
                           range + "&filter=" + filter(area) +
                               "&sort=" + url_encode("Minutes5UTC ASC") + "&limit=400",
                           stopper);
      if (!r.ok) return fail<std::vector<Segment>>(area + ": " + explain(r));
      std::string error;
      auto j = parse_json(r.body, error);
      if (!j) return fail<std::vector<Segment>>(area + ": " + error);
      const json* records = list_member(*j, "records");
      if (!records) return fail<std::vector<Segment>>(area + ": no records in the answer");
      for (const auto& rec : *records) {
        auto t = parse_iso_utc(string_field(rec, "Minutes5UTC"));
        auto v = intensity_field(rec, "CO2Emission", error);
        if (!t || !v) continue;
        by_time[*t].first += *v;
        by_time[*t].second += 1;
      }
    }
    std::vector<Segment> out;
    for (const auto& [t, sc] : by_time)
      if (sc.second == static_cast<int>(areas.size()))
        out.push_back({t, t + 300, sc.first / sc.second});
    if (out.empty()) return fail<std::vector<Segment>>("the prognosis has no valid records");
    return {out, ""};
  }

 private:
  // DK1 is Jutland and Funen, DK2 Zealand, the islands east of the Great Belt
  // and Bornholm; without a hint, both.
  static std::vector<std::string> price_areas(const Location& w) {
    if (w.zone == "DK-DK1") return {"DK1"};
    if (w.zone == "DK-DK2" || w.zone == "DK-BHM") return {"DK2"};
    std::string region = w.region_name;
    for (const char* east : {"Capital", "Hovedstaden", "Zealand", "Sj\u00e6lland"})
      if (region.find(east) != std::string::npos) return {"DK2"};
    for (const char* west : {"Jutland", "Jylland", "Southern Denmark", "South Denmark",
                             "Syddanmark", "North Denmark", "Nordjylland"})
      if (region.find(west) != std::string::npos) return {"DK1"};
    if (w.lon) return {*w.lon >= 11.0 ? "DK2" : "DK1"};
    return {"DK1", "DK2"};
  }
  static std::string filter(const std::string& area) {
    return url_encode("{\"PriceArea\":[\"" + area + "\"]}");
  }
  static std::string format_minutes(double unix_s) {
    std::string s = format_utc_minutes(unix_s);
    return s.substr(0, s.size() - 1);  // the API reads times without a zone as UTC
  }
  HttpResponse get(const std::string& dataset, const std::string& query, Stopper* stopper) {
    return http_get(trim_slash(c_.energidataservice_url) + "/dataset/" + dataset + "?" + query,
                    {"Accept: application/json"}, c_.limits, stopper);
  }
  const ProviderConfig& c_;
};

}  // namespace

ProviderConfig ProviderConfig::from_env(const Environment& env) {
  ProviderConfig c;
  auto set = [&](const char* name, std::string& field) {
    std::string v = env.var(name);
    if (!v.empty()) field = v;
  };
  set("CARBONTRACKER_IPGEO_URL", c.ipgeo_url);
  set("CARBONTRACKER_ELECTRICITYMAPS_URL", c.electricitymaps_url);
  set("CARBONTRACKER_CARBONINTENSITY_UK_URL", c.carbonintensity_uk_url);
  set("CARBONTRACKER_ENERGIDATASERVICE_URL", c.energidataservice_url);
  set("CARBONTRACKER_ELECTRICITYMAPS_API_KEY", c.electricitymaps_key);
  set("CARBONTRACKER_CARBONINTENSITY_UK_POSTCODE", c.uk_postcode);
  set("CARBONTRACKER_CARBONINTENSITY_UK_REGION_ID", c.uk_region_id);
  c.limits = HttpLimits::from_env(env);
  std::optional<double> ms =
      parse_number(env.var("CARBONTRACKER_IPGEO_TIMEOUT_MS"), {.blanks = true, .plus = true});
  if (ms && *ms > 0) c.ipgeo_budget_s = *ms / 1000;
  return c;
}

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
  loc.alpha2 = upper(loc.alpha2);
  if (loc.alpha2.size() != 2 || !std::isalpha(static_cast<unsigned char>(loc.alpha2[0])) ||
      !std::isalpha(static_cast<unsigned char>(loc.alpha2[1])))
    return fail<Location>("no country in the answer");
  std::string city = string_field(*j, "city");
  loc.region_name = string_field(*j, "region");
  loc.postal = string_field(*j, "postal");
  std::string coords = string_field(*j, "loc");
  size_t comma = coords.find(',');
  if (comma != std::string::npos) {
    const NumberRules rules{.blanks = true, .plus = true};
    std::optional<double> lat = parse_number(std::string_view(coords).substr(0, comma), rules);
    std::optional<double> lon = parse_number(std::string_view(coords).substr(comma + 1), rules);
    if (lat && lon && std::abs(*lat) <= 90 && std::abs(*lon) <= 180) {
      loc.lat = *lat;
      loc.lon = *lon;
    }
  }
  std::vector<std::string> parts;
  for (const std::string* p : {&city, &loc.region_name, &loc.alpha2})
    if (!p->empty()) parts.push_back(*p);
  for (const auto& p : parts) loc.address += (loc.address.empty() ? "" : ", ") + p;
  return {loc, ""};
}

Fetched<Location> geolocate(const ProviderConfig& config, Stopper* stopper) {
  HttpLimits limits = config.limits;
  limits.budget_s = config.ipgeo_budget_s;
  limits.attempt_timeout_s = std::min(limits.attempt_timeout_s, config.ipgeo_budget_s);
  HttpResponse r = http_get(trim_slash(config.ipgeo_url) + "/json", {"Accept: application/json"},
                            limits, stopper);
  if (!r.ok) return fail<Location>(explain(r));
  return parse_geolocation(r.body);
}

std::optional<std::pair<double, double>> average_over(const std::vector<Segment>& segments,
                                                      double from, double to) {
  if (to <= from) {
    for (const auto& s : segments)
      if (s.from_unix_s <= from && from < s.to_unix_s) return {{s.g_per_kwh, 0.0}};
    return std::nullopt;
  }
  double weighted = 0, covered = 0;
  for (const auto& s : segments) {
    double overlap = std::min(to, s.to_unix_s) - std::max(from, s.from_unix_s);
    if (overlap <= 0) continue;
    weighted += overlap * s.g_per_kwh;
    covered += overlap;
  }
  if (covered <= 0) return std::nullopt;
  return {{weighted / covered, covered}};
}

std::vector<std::unique_ptr<LiveProvider>> make_live_providers(const ProviderConfig& config) {
  std::vector<std::unique_ptr<LiveProvider>> out;
  out.push_back(std::make_unique<ElectricityMaps>(config));
  out.push_back(std::make_unique<CarbonIntensityUk>(config));
  out.push_back(std::make_unique<EnergiDataService>(config));
  return out;
}

std::string format_utc_minutes(double unix_s) {
  std::time_t t = static_cast<std::time_t>(floor_exact(unix_s));
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min);
}

std::optional<double> parse_iso_utc(const std::string& text) {
  int y, mo, d, h, mi;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &consumed) != 5)
    return std::nullopt;
  double seconds = 0;
  std::string rest = text.substr(consumed);
  if (!rest.empty() && rest[0] == ':') {
    size_t end = std::min(rest.find_first_not_of("0123456789.", 1), rest.size());
    std::optional<double> s = parse_number(std::string_view(rest).substr(1, end - 1));
    if (!s) return std::nullopt;
    seconds = *s;
    rest = rest.substr(end);
  }
  if (!(rest.empty() || rest == "Z" || rest == "+00:00" || rest == "+0000")) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || seconds < 0 || seconds >= 61)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return static_cast<double>(timegm(&tm)) + seconds;
}

}  // namespace carbontracker
