// The constant world average, used until the intensity module provides
// location-aware sources.
#include "common/format.h"
#include "intensity/source.h"

namespace carbontracker {
namespace {

class WorldAverage : public IntensitySource {
 public:
  IntensityValue current() override {
    IntensityValue v;
    v.g_per_kwh = kWorldDefaultIntensity;
    v.source = "world average (2019)";
    v.location = "UNDETECTED";
    v.default_description =
        "Live carbon intensity could not be fetched at detected location: "
        "Unknown. Defaulted to average carbon intensity for world in 2019 of " +
        format_fixed(kWorldDefaultIntensity, 2) + " gCO2/kWh.";
    return v;
  }
  std::optional<IntensityValue> forecast(double) override { return std::nullopt; }
};

}  // namespace

std::unique_ptr<IntensitySource> make_intensity_source(const IntensityOptions&) {
  return std::make_unique<WorldAverage>();
}

}  // namespace carbontracker
