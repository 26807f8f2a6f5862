// libFuzzer target for what the intensity source reads from outside: every
// input goes through the providers' answer readers (IP geolocation,
// Electricity Maps, carbonintensity.org.uk, Energi Data Service), the disk
// cache's entry reader and the cache records read back from it. Built and
// run by tests/fuzz (see tests/fuzz/run-fuzz.sh).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "intensity/cache_records.h"
#include "intensity/disk_cache.h"
#include "intensity/provider_answers.h"

namespace ct = carbontracker;

namespace {

// What every reader promises of what it returns; a broken promise is a
// crash the fuzzer reports.
void check(bool promise) {
  if (!promise) __builtin_trap();
}

void check_reading(const ct::Fetched<ct::IntensityReading>& f) {
  if (!f.value) return;
  check(std::isfinite(f.value->g_per_kwh) && f.value->g_per_kwh >= 0);
  check(std::isfinite(f.value->time_unix_s));
}

void check_segments(const ct::Fetched<std::vector<ct::Segment>>& f) {
  if (!f.value) return;
  for (const auto& s : *f.value)
    check(std::isfinite(s.from_unix_s) && std::isfinite(s.to_unix_s) &&
          s.to_unix_s >= s.from_unix_s && std::isfinite(s.g_per_kwh) && s.g_per_kwh >= 0);
  ct::average_over(*f.value, 0, 4e9);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);

  ct::parse_geolocation(body);
  check_reading(ct::parse_electricitymaps_latest(body));
  check_segments(ct::parse_electricitymaps_forecast(body));
  check_reading(ct::parse_uk_national(body));
  check_reading(ct::parse_uk_regional(body));
  check_segments(ct::parse_uk_segments(body, true));
  check_segments(ct::parse_uk_segments(body, false));
  check_reading(ct::parse_eds_latest(body));
  if (auto f = ct::parse_eds_prognosis(body); f.value)
    for (const auto& [t, v] : *f.value) check(std::isfinite(t) && std::isfinite(v) && v >= 0);
  if (auto t = ct::parse_iso_utc(body.substr(0, 64))) check(std::isfinite(*t));

  const char* why = nullptr;
  if (auto v = ct::DiskCache::read_entry(body, "k", 1e9, 1e12, &why)) {
    if (auto l = ct::location_from_json(*v)) ct::location_to_json(*l).dump();
    if (auto r = ct::reading_from_json(*v)) ct::reading_to_json(*r).dump();
    if (auto s = ct::segments_from_json(*v)) {
      ct::segments_to_json(*s).dump();
      ct::average_over(*s, 0, 4e9);
    }
  }
  // The records also straight from the input, whatever its key.
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded()) {
    ct::location_from_json(j);
    ct::reading_from_json(j);
    ct::segments_from_json(j);
  }
  return 0;
}
