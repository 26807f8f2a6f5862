// Simulated hardware (the original 2.3's sim_cpu / sim_gpu): one device at a
// constant power of watts x utilisation.
#pragma once

#include <optional>
#include <string>

#include "sensors/sensor.h"

namespace carbontracker {

// Validates like the original (§3.8) and throws Error(kInvalidArgument) with
// its messages: "CPU name must be a non-empty string.", "CPU TDP must be a
// non-negative number.", "CPU utilization must be between 0.0 and 1.0." and the
// GPU equivalents ("GPU watts must be a non-negative number.").
std::unique_ptr<Sensor> make_simulated_sensor(ComponentKind component, const std::string& name,
                                              double watts, std::optional<double> util);

// "Using simulated CPU: X with TDP: 62.50W (at 50% utilization)" or the GPU line.
std::string simulated_banner(ComponentKind component, const std::string& name, double watts,
                             std::optional<double> util);

}  // namespace carbontracker
