// Validation of TrackerOptions and the effective epoch counts.
#pragma once

#include <string>
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
  bool node_explicit = false;  // "node" named: a missing platform power meter is an error
};

// Throws Error(kInvalidArgument) with the reason, using the original's
// messages where it has one (behaviour document §1.2).
EffectiveOptions validate_options(const TrackerOptions& options);

// True for an IPv4 or IPv6 address literal (the metrics endpoint's address).
bool valid_ip_address(const std::string& text);

// Fills eff.components and the *_explicit flags from a spec such as "all",
// "cpu", "node" or "gpu,cpu" (case and spaces ignored). The error messages
// are the original's (which knows no "node"; it is accepted all the same). Throws
// Error(kInvalidArgument) naming the component that is not one.
void parse_components(const std::string& components, EffectiveOptions& eff);

}  // namespace carbontracker
