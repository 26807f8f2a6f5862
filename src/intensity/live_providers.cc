// The live providers over HTTP (Electricity Maps, carbonintensity.org.uk,
// Energi Data Service) and IP geolocation; their answers are read by
// provider_answers.cc.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>

#include "common/number.h"
#include "intensity/provider_answers.h"
#include "intensity/providers.h"

namespace carbontracker {
namespace {

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

template <typename T>
Fetched<T> fail(std::string error) {
  return fetch_failure<T>(std::move(error));
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
    return parse_electricitymaps_latest(r.body);
  }
  Fetched<std::vector<Segment>> forecast(const Location& w, double, Stopper* stopper) override {
    HttpResponse r = get("/v3/carbon-intensity/forecast?" + query(w), stopper);
    if (!r.ok) return fail<std::vector<Segment>>(explain(r));
    return parse_electricitymaps_forecast(r.body);
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
      if (std::isalnum(static_cast<unsigned char>(ch)))
        clean += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
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
  Fetched<IntensityReading> national(const std::string& path, Stopper* stopper) {
    HttpResponse r = get(path, stopper);
    if (!r.ok) return fail<IntensityReading>(explain(r));
    return parse_uk_national(r.body);
  }
  Fetched<IntensityReading> regional(const Location&, const std::string& path, Stopper* stopper) {
    HttpResponse r = get(path, stopper);
    if (!r.ok) return fail<IntensityReading>(explain(r));
    return parse_uk_regional(r.body);
  }
  Fetched<std::vector<Segment>> segments(const std::string& path, bool regional, Stopper* stopper) {
    HttpResponse r = get(path, stopper);
    if (!r.ok) return fail<std::vector<Segment>>(explain(r));
    return parse_uk_segments(r.body, regional);
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
      auto f = parse_eds_latest(r.body);
      if (!f.value) return fail<IntensityReading>(area + ": " + f.error);
      sum += f.value->g_per_kwh;
      latest = std::max(latest, f.value->time_unix_s);
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
      auto f = parse_eds_prognosis(r.body);
      if (!f.value) return fail<std::vector<Segment>>(area + ": " + f.error);
      for (const auto& [t, v] : *f.value) {
        by_time[t].first += v;
        by_time[t].second += 1;
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
  std::string ms = env.var("CARBONTRACKER_IPGEO_TIMEOUT_MS");
  char* end = nullptr;
  double x = std::strtod(ms.c_str(), &end);
  if (!ms.empty() && end && *end == 0 && std::isfinite(x) && x > 0) c.ipgeo_budget_s = x / 1000;
  return c;
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

std::vector<std::unique_ptr<LiveProvider>> make_live_providers(const ProviderConfig& config) {
  std::vector<std::unique_ptr<LiveProvider>> out;
  out.push_back(std::make_unique<ElectricityMaps>(config));
  out.push_back(std::make_unique<CarbonIntensityUk>(config));
  out.push_back(std::make_unique<EnergiDataService>(config));
  return out;
}

}  // namespace carbontracker
