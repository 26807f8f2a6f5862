// What the sampler needs of a carbon-intensity source: the value valid at a
// reading. The intensity layer, above this one, provides it
// (intensity/source.h: IntensitySource is an IntensityFeed).
#pragma once

#include <string>

namespace carbontracker {

struct IntensityValue {
  double g_per_kwh = 0;
  std::string source;    // "world average", "Ember 2024 (offline table)", "Electricity Maps (live)"
  std::string location;  // shown after "at detected location: " (e.g. "DK", "UNDETECTED")
  bool live = false;     // fetched from a live service (vs. a table or default)
  bool forecast = false;
  // For non-live values, the sentence explaining the default, e.g.
  // "Live carbon intensity could not be fetched at detected location: Unknown.
  //  Defaulted to average carbon intensity for world in 2019 of 481.00 gCO2/kWh."
  std::string default_description;
};

class IntensityFeed {
 public:
  virtual ~IntensityFeed() = default;
  // The value valid now. Called at every sampling tick and boundary: it
  // must be cheap and never block on the network.
  virtual IntensityValue current() = 0;
};

}  // namespace carbontracker
