#include "intensity/detecting_source.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "carbontracker/error.h"
#include "common/clock.h"
#include "common/format.h"
#include "intensity/cache_records.h"
#include "intensity/disk_cache.h"
#include "intensity/time_zone.h"

namespace carbontracker {
namespace {

constexpr double kGeolocationTtlS = 24 * 3600;
constexpr double kLiveTtlS = 600;

double env_ms(const Environment& env, const char* name, double fallback_s) {
  std::string v = env.var(name);
  char* end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (!v.empty() && end && *end == 0 && std::isfinite(x) && x >= 0) return x / 1000;
  return fallback_s;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string cache_path(const Environment& env, const std::string& key) {
  return (std::filesystem::path(env.cache_dir) / DiskCache::file_name(key)).string();
}

std::string shown(const Location& l) { return l.address.empty() ? "UNDETECTED" : l.address; }

}  // namespace

DetectingIntensitySource::DetectingIntensitySource(const IntensityOptions& options)
    : env_(options.env ? *options.env : Environment{}),
      clock_(options.clock ? options.clock : &SystemClock::instance()),
      table_(IntensityTable::embedded()),
      offline_(options.offline || env_.offline),
      refresh_interval_s_(options.refresh_interval_s > 0 ? options.refresh_interval_s : 900),
      forecast_wait_s_(env_ms(env_, "CARBONTRACKER_FORECAST_WAIT_MS", 2.0)),
      network_start_delay_s_(env_ms(env_, "CARBONTRACKER_NETWORK_START_DELAY_MS", 0.25)),
      config_(ProviderConfig::from_env(env_)),
      cycle_hook_(options.cycle_hook) {
  set_api_keys(options.api_keys);

  std::lock_guard lock(mu_);
  std::string region = !options.region.empty() ? options.region : env_.region;
  if (!region.empty()) {
    explicit_location_ = true;
    std::string upper = ascii_upper(region);
    auto entry = table_.lookup(upper);
    if (entry && entry->source == "electricitymaps") {
      location_.zone = entry->code;
      location_.alpha2 = entry->alpha2;
    } else if (entry) {
      location_.alpha2 = entry->alpha2;
    } else if (upper.size() == 3 && !table_.alpha2_of(upper).empty()) {
      location_.alpha2 = table_.alpha2_of(upper);
    } else {
      // Possibly a zone the live API knows but the table does not.
      location_.zone = upper;
      location_.alpha2 = upper.substr(0, upper.find('-'));
    }
    location_.address = upper;
    note(fmt::format("Location {} from {}.", upper,
                     options.region.empty() ? "CARBONTRACKER_REGION" : "the region option"));
    if (!entry)
      note(
          fmt::format("Region {} is not in the offline carbon-intensity table: using the world "
                      "average until a live value arrives.",
                      upper));
  } else {
    auto tz = system_time_zone(env_);
    std::string country = tz ? country_of_time_zone(env_.zone_tab, tz->first) : "";
    std::string pending = offline_ ? "" : " until IP geolocation answers";
    if (!country.empty()) {
      location_.alpha2 = country;
      location_.address = country;
      note(fmt::format("Location {} from time zone {} ({} via zone.tab){}.", country, tz->first,
                       tz->second, pending));
    } else {
      if (tz)
        note(fmt::format("Time zone {} ({}) has no country in {}.", tz->first, tz->second,
                         env_.zone_tab));
      note(fmt::format("Location unknown{}: using the world average.", pending));
    }
  }
  if (offline_)
    note("Offline: no IP geolocation and no live carbon intensity (no network access).");
  current_ = table_value(location_, offline_ ? TableReason::kOffline : TableReason::kPending);
  if (!offline_) worker_ = CountedThread([this] { run(); });
}

DetectingIntensitySource::~DetectingIntensitySource() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  stopper_.stop();
  if (worker_.joinable()) worker_.join();
}

void DetectingIntensitySource::set_api_keys(const std::map<std::string, std::string>& keys) {
  IntensitySource::set_api_keys(keys);  // throws for unknown names
  std::string key;
  for (const auto& [name, value] : keys)
    if (lower(name) == "electricitymaps") key = value;
  bool changed = false;
  {
    std::lock_guard lock(mu_);
    if (!key.empty() && key != config_.electricitymaps_key) {
      config_.electricitymaps_key = key;
      changed = true;
    }
  }
  if (changed && worker_.joinable()) refresh_now();
}

ProviderConfig DetectingIntensitySource::config_snapshot() {
  std::lock_guard lock(mu_);
  return config_;
}

void DetectingIntensitySource::note(std::string line) { notes_.push_back(std::move(line)); }

void DetectingIntensitySource::cache_corrupt(const std::string& problem) {
  std::lock_guard lock(mu_);
  if (!corrupt_cache_files_.insert(problem).second) return;
  note(fmt::format(
      "Ignoring the corrupt cache file {}: fetching afresh and rewriting it (remove the file if "
      "this repeats).",
      problem));
}

std::vector<std::string> DetectingIntensitySource::notes() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out(notes_.begin(), notes_.end());
  notes_.clear();
  return out;
}

IntensityValue DetectingIntensitySource::current() {
  std::lock_guard lock(mu_);
  return current_;
}

IntensityValue DetectingIntensitySource::table_value(const Location& where,
                                                     TableReason reason) const {
  std::optional<TableEntry> entry;
  if (!where.zone.empty()) entry = table_.lookup(where.zone);
  if (!entry && !where.alpha2.empty()) entry = table_.lookup(where.alpha2);
  const TableEntry& e = entry ? *entry : table_.world();
  IntensityValue v;
  v.g_per_kwh = e.g_per_kwh;
  v.source = e.describe() + " (offline table)";
  v.location = shown(where);
  v.live = false;
  const char* prefix =
      reason == TableReason::kOffline   ? "Live carbon intensity not fetched (offline mode)"
      : reason == TableReason::kPending ? "Live carbon intensity not fetched yet"
                                        : "Live carbon intensity could not be fetched";
  v.default_description = fmt::format(
      "{} at detected location: {}. Defaulted to average carbon intensity for {} {}of {} "
      "gCO2/kWh.",
      prefix, where.address.empty() ? "Unknown" : where.address, entry ? e.display_code() : "world",
      e.year_clause(), format_fixed(e.g_per_kwh, 2));
  return v;
}

void DetectingIntensitySource::run() {
  if (network_start_delay_s_ > 0 && !stopper_.sleep_for(network_start_delay_s_)) return;
  for (;;) {
    try {
      if (cycle_hook_) cycle_hook_();
      cycle();
    } catch (const std::exception& e) {
      internal_error(e.what());
    } catch (...) {
      internal_error("unknown error");
    }
    std::unique_lock lock(mu_);
    ++cycles_done_;
    cv_.notify_all();
    cv_.wait_for(lock, std::chrono::duration<double>(refresh_interval_s_),
                 [&] { return stopping_ || refresh_requested_; });
    if (stopping_) return;
    refresh_requested_ = false;
  }
}

void DetectingIntensitySource::internal_error(const std::string& what) {
  use_cache_ = false;
  std::lock_guard lock(mu_);
  current_ = table_value(location_, TableReason::kFailed);
  forecast_segments_.clear();
  forecast_provider_.clear();
  last_failure_.clear();
  if (internal_error_said_) return;
  internal_error_said_ = true;
  note(fmt::format(
      "Live carbon intensity stopped after an internal error ({}): using the {} of {} gCO2/kWh "
      "and retrying without the cache.",
      what, current_.source, format_fixed(current_.g_per_kwh, 2)));
}

void DetectingIntensitySource::refresh_now() {
  {
    std::lock_guard lock(mu_);
    refresh_requested_ = true;
  }
  cv_.notify_all();
}

bool DetectingIntensitySource::wait_for_cycles(int cycles, double timeout_s) {
  std::unique_lock lock(mu_);
  if (!worker_.joinable()) return false;
  return cv_.wait_for(lock, std::chrono::duration<double>(timeout_s),
                      [&] { return cycles_done_ >= cycles; });
}

void DetectingIntensitySource::cycle() {
  bool need_geolocation;
  {
    std::lock_guard lock(mu_);
    need_geolocation = !explicit_location_ && !geolocation_done_;
  }
  if (need_geolocation && !geolocate_once()) return;
  if (stopper_.stopped()) return;
  fetch_live();
}

// Returns false if stopped meanwhile.
bool DetectingIntensitySource::geolocate_once() {
  ProviderConfig config = config_snapshot();
  DiskCache cache(use_cache_ ? env_.cache_dir : "");
  const std::string key = "ipgeo|" + config.ipgeo_url;
  std::optional<Location> found;
  std::string error;
  std::string problem;
  if (auto cached = cache.get(key, clock_->unix_s(), kGeolocationTtlS, &problem)) {
    found = location_from_json(*cached);
    if (!found) problem = cache_path(env_, key) + " (not a location)";
  }
  if (!problem.empty()) cache_corrupt(problem);
  bool from_cache = found.has_value();
  if (!found) {
    auto f = geolocate(config, &stopper_);
    if (stopper_.stopped()) return false;
    if (f.value) {
      found = f.value;
      cache.put(key, location_to_json(*found), clock_->unix_s());
    } else {
      error = f.error;
    }
  }
  std::lock_guard lock(mu_);
  geolocation_done_ = true;
  if (found) {
    location_ = *found;
    note(fmt::format("Location {} from IP geolocation{}.", found->address,
                     from_cache ? " (cached)" : ""));
    current_ = table_value(location_, TableReason::kPending);
  } else if (!location_.alpha2.empty()) {
    note(fmt::format("IP geolocation failed ({}): keeping location {} from the time zone.", error,
                     location_.address));
  } else {
    note(fmt::format("IP geolocation failed ({}): location unknown, using the world average.",
                     error));
  }
  return true;
}

void DetectingIntensitySource::fetch_live() {
  ProviderConfig config = config_snapshot();
  Location where;
  {
    std::lock_guard lock(mu_);
    where = location_;
  }
  DiskCache cache(use_cache_ ? env_.cache_dir : "");
  const double ttl_s = std::min(kLiveTtlS, refresh_interval_s_);
  auto providers = make_live_providers(config);
  std::vector<std::string> failures;
  bool any_suitable = false;
  for (auto& p : providers) {
    if (!p->suitable(where)) continue;
    any_suitable = true;
    const std::string key = "current|" + p->cache_key(where);
    std::optional<IntensityReading> reading;
    std::string problem;
    if (auto cached = cache.get(key, clock_->unix_s(), ttl_s, &problem)) {
      reading = reading_from_json(*cached);
      if (!reading) problem = cache_path(env_, key) + " (not an intensity reading)";
    }
    if (!problem.empty()) cache_corrupt(problem);
    if (!reading) {
      auto f = p->current(where, clock_->unix_s(), &stopper_);
      if (stopper_.stopped()) return;
      if (!f.value) {
        failures.push_back(fmt::format("Live carbon intensity from {} failed: {}", p->name(),
                                       redact(f.error, {config.electricitymaps_key})));
        continue;
      }
      reading = f.value;
      cache.put(key, reading_to_json(*reading), clock_->unix_s());
    }
    IntensityValue v;
    v.g_per_kwh = reading->g_per_kwh;
    v.source = p->name() + " (live" + (reading->detail.empty() ? "" : ", " + reading->detail) + ")";
    v.location = shown(where);
    v.live = true;

    // The forecast, prefetched for forecast().
    std::vector<Segment> segments;
    const std::string fkey = "forecast|" + p->cache_key(where);
    problem.clear();
    if (auto cached = cache.get(fkey, clock_->unix_s(), ttl_s, &problem)) {
      auto read = segments_from_json(*cached);
      if (read)
        segments = std::move(*read);
      else
        problem = cache_path(env_, fkey) + " (not a forecast)";
    }
    if (!problem.empty()) cache_corrupt(problem);
    if (segments.empty()) {
      auto f = p->forecast(where, clock_->unix_s(), &stopper_);
      if (stopper_.stopped()) return;
      if (f.value) {
        segments = *f.value;
        cache.put(fkey, segments_to_json(segments), clock_->unix_s());
      }
    }

    std::lock_guard lock(mu_);
    std::string state = v.source;
    if (state != last_failure_) {
      for (size_t i = 0; i < failures.size(); ++i)
        note(failures[i] + "; trying " +
             (i + 1 < failures.size() ? "the next source." : p->name() + "."));
      if (!last_failure_.empty() || !failures.empty() || current_.source != v.source)
        note(fmt::format("Using {} at {}.", v.source, v.location));
      last_failure_ = state;
    }
    current_ = v;
    forecast_segments_ = std::move(segments);
    forecast_provider_ = p->name();
    return;
  }

  std::lock_guard lock(mu_);
  IntensityValue fallback = table_value(location_, TableReason::kFailed);
  std::string state;
  if (!any_suitable && location_.alpha2.empty() && location_.zone.empty()) {
    state = fmt::format("No live carbon intensity without a location: using the {} of {} gCO2/kWh.",
                        fallback.source, format_fixed(fallback.g_per_kwh, 2));
    if (state != last_failure_) note(state);
  } else if (!any_suitable) {
    state = fmt::format(
        "No live carbon-intensity source for {} (Electricity Maps needs an API key: "
        "CARBONTRACKER_ELECTRICITYMAPS_API_KEY or api_keys; carbonintensity.org.uk covers GB, "
        "Energi Data Service DK): using the {} of {} gCO2/kWh.",
        shown(location_), fallback.source, format_fixed(fallback.g_per_kwh, 2));
    if (state != last_failure_) note(state);
  } else {
    std::string all;
    for (const auto& f : failures) all += f + "\n";
    state = all;
    if (state != last_failure_) {
      for (size_t i = 0; i < failures.size(); ++i)
        note(failures[i] + (i + 1 < failures.size()
                                ? "; trying the next source."
                                : fmt::format("; using the {} of {} gCO2/kWh.", fallback.source,
                                              format_fixed(fallback.g_per_kwh, 2))));
    }
  }
  last_failure_ = state;
  current_ = fallback;
  forecast_segments_.clear();
  forecast_provider_.clear();
}

std::optional<IntensityValue> DetectingIntensitySource::forecast(double duration_s) {
  if (offline_ || !worker_.joinable()) return std::nullopt;
  if (!std::isfinite(duration_s) || duration_s < 0) duration_s = 0;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(forecast_wait_s_);
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, deadline, [&] { return cycles_done_ >= 1 || stopping_; });
  const double now = clock_->unix_s();
  auto avg = average_over(forecast_segments_, now, now + duration_s);
  if (!avg) return std::nullopt;
  IntensityValue v;
  v.g_per_kwh = avg->first;
  v.source = forecast_provider_ + " forecast";
  if (duration_s > 0 && avg->second < duration_s * 0.999)
    v.source += fmt::format(" (covers {} of {})", format_duration(avg->second),
                            format_duration(duration_s));
  v.location = shown(location_);
  v.live = true;
  v.forecast = true;
  return v;
}

std::unique_ptr<IntensitySource> make_intensity_source(const IntensityOptions& options) {
  return std::make_unique<DetectingIntensitySource>(options);
}

}  // namespace carbontracker
