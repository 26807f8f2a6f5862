// The carbon-intensity values a run used, as the sampler records them. Part
// of the result model (results.h, RunResult::intensities).
#pragma once

#include <string>

namespace carbontracker {

// One carbon-intensity value the run used.
struct IntensityRecord {
  double g_per_kwh = 0;
  double unix_time_s = 0;  // from when the value was used
  std::string source;      // e.g. "world average", "Electricity Maps (live)"
  std::string location;    // e.g. "DK", "UNDETECTED"
  bool forecast = false;
};

}  // namespace carbontracker
