// The network side of carbon intensity: IP geolocation and the live
// providers (Electricity Maps, carbonintensity.org.uk, Energi Data Service).
// Each call makes bounded HTTP requests (http.h), never throws, and returns
// either a value or a one-line error that names the provider and the cause,
// never an API key. The base URLs come from environment variables so that
// tests and proxies can replace them (see ProviderConfig).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "carbontracker/environment.h"
#include "intensity/http.h"

namespace carbontracker {

struct ProviderConfig {
  std::string ipgeo_url = "https://ipinfo.io";  // CARBONTRACKER_IPGEO_URL
  std::string electricitymaps_url =
      "https://api.electricitymaps.com";  // CARBONTRACKER_ELECTRICITYMAPS_URL
  std::string carbonintensity_uk_url =
      "https://api.carbonintensity.org.uk";  // CARBONTRACKER_CARBONINTENSITY_UK_URL
  std::string energidataservice_url =
      "https://api.energidataservice.dk";  // CARBONTRACKER_ENERGIDATASERVICE_URL
  std::string electricitymaps_key;         // never logged
  std::string uk_postcode;    // CARBONTRACKER_CARBONINTENSITY_UK_POSTCODE (outward code, "RG10")
  std::string uk_region_id;   // CARBONTRACKER_CARBONINTENSITY_UK_REGION_ID (1..17)
  HttpLimits limits;          // HttpLimits::from_env
  double ipgeo_budget_s = 2;  // CARBONTRACKER_IPGEO_TIMEOUT_MS

  static ProviderConfig from_env(const Environment& env);
};

// Where the user is, as far as known.
struct Location {
  std::string alpha2;       // country, upper case; "" if unknown
  std::string zone;         // explicit zone key ("DK-DK2") or ""
  std::string address;      // "Copenhagen, Capital Region, DK"; shown to users
  std::string region_name;  // geolocation region ("Capital Region")
  std::string postal;
  std::optional<double> lat, lon;
};

template <typename T>
struct Fetched {
  std::optional<T> value;
  std::string error;  // when !value: "HTTP 401 (check the API key)" ...
};

// ipinfo.io-style JSON: {"city","region","country","loc":"lat,lon","postal"}.
// Errors name the provider ("IP geolocation (ipinfo.io): ...").
Fetched<Location> geolocate(const ProviderConfig& config, Stopper* stopper);
// Parses a geolocation answer (provider_answers.cc, with the providers'
// answers).
Fetched<Location> parse_geolocation(const std::string& body);

struct IntensityReading {
  double g_per_kwh = 0;
  double time_unix_s = 0;  // the time the value is for (0 if unknown)
  std::string detail;      // "zone DK-DK2", "region South England", "DK2" ...
};

// One forecast interval [from, to) with its intensity.
struct Segment {
  double from_unix_s = 0;
  double to_unix_s = 0;
  double g_per_kwh = 0;
};

// Time-weighted mean of `segments` over [from, to] and the seconds of that
// window they cover; nullopt if they cover none of it. A zero-length window
// takes the segment containing `from`.
std::optional<std::pair<double, double>> average_over(const std::vector<Segment>& segments,
                                                      double from_unix_s, double to_unix_s);

class LiveProvider {
 public:
  virtual ~LiveProvider() = default;
  virtual std::string name() const = 0;  // "Electricity Maps"
  virtual bool suitable(const Location& where) const = 0;
  // Stable text naming what is fetched (provider and area), for the cache.
  virtual std::string cache_key(const Location& where) const = 0;
  virtual Fetched<IntensityReading> current(const Location& where, double now_unix_s,
                                            Stopper* stopper) = 0;
  // Forecast intervals from about now_unix_s on; an error if not offered.
  virtual Fetched<std::vector<Segment>> forecast(const Location& where, double now_unix_s,
                                                 Stopper* stopper) = 0;
};

// In the order they are tried: Electricity Maps (when a key is set), then
// carbonintensity.org.uk (GB) and Energi Data Service (DK), which need no key.
std::vector<std::unique_ptr<LiveProvider>> make_live_providers(const ProviderConfig& config);

// Time helpers (UTC): "2026-11-26T21:30Z" and parsing of ISO 8601 forms
// "YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+00:00]". Parsing returns nullopt on error.
std::string format_utc_minutes(double unix_s);
std::optional<double> parse_iso_utc(const std::string& text);

}  // namespace carbontracker
