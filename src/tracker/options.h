// Validation of TrackerOptions and the effective epoch counts.
#pragma once

#include <vector>

#include "carbontracker/results.h"
#include "carbontracker/tracker.h"

namespace carbontracker {

struct EffectiveOptions {
  int epochs_before_pred = 0;             // -1 mapped to epochs
  int monitor_epochs = 0;                 // -1 mapped to epochs
  std::vector<ComponentKind> components;  // in output order, no duplicates
  bool gpu_explicit = false;              // "gpu" named (not through "all")
  bool cpu_explicit = false;
};

// Throws Error(kInvalidArgument) with the reason, using the original's
// messages where it has one (behaviour document §1.2).
EffectiveOptions validate_options(const TrackerOptions& options);

}  // namespace carbontracker
