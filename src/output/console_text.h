// Text of the original's console and log messages (behaviour document §1.4,
// §3.1, §4.5, §4.6, §5), formatted from the result structures.
#pragma once

#include <string>
#include <vector>

#include "carbontracker/results.h"

namespace carbontracker {

// "\n{description}\n\tTime:\t...\n\tEnergy:\t... kWh\n\tCO2eq:\t... g" and, when
// interpretable, "\n\tThis is equivalent to:\n\t{km} km travelled by car".
// After a consumption block: "Uncertainty (95 %): energy +-3.1 %, CO2eq +-22 %
// (intensity: yearly average)", the relative expanded uncertainties (two
// significant figures) and the largest contributor to the CO2eq figure
// (doc/uncertainty.md). Empty when the block has no uncertainty.
std::string uncertainty_line(const Consumption& c);

std::string consumption_block(const std::string& description, double duration_s, double energy_kwh,
                              double co2_g, int precision, bool interpretable);

// "The following components were found: GPU with device(s) A, B. CPU with device(s) cpu:0."
std::string components_line(const std::vector<DeviceInfo>& devices);

// The one line of ours said before the command runs at verbose 1: what is
// measured, what is estimated and where the carbon intensity comes from, e.g.
// "GPU measured (NVML total energy counter), CPU estimated (per-vCPU linear
// model); carbon intensity: Ember 2024 country average (offline table) for
// DK until a live value is fetched." `intensity_source` and `location` are
// those of the value known at the start ("UNDETECTED": unknown).
std::string measurement_summary(const std::vector<DeviceInfo>& devices,
                                const std::string& intensity_source, const std::string& location,
                                bool offline);

// With node devices (a platform power meter; Grace module rails): one line
// with the node figure, measured beside the totals and not part of them:
// "The platform power meter measured 0.0042 kWh (with PUE; 151.2 W on
// average) for the node (meter:0) beside the figures above; it contains
// them and is not added to them." Empty without node devices or epochs.
std::string node_figure_line(const RunResult& result, int precision);

// Python's repr of a JSON-like number: "481" for integral values, else "151.6503".
std::string python_number(double value);

// "[481]", "[151.6503, 123]": Python's repr of the list of values.
std::string python_list(const std::vector<double>& values);

}  // namespace carbontracker
