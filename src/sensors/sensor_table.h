// The table of sensors: which hardware each component is measured with, in
// order of preference. One entry per sensor; no self-registration.
#pragma once

#include <vector>

#include "sensors/sensor.h"

namespace carbontracker {

struct SensorEntry {
  const char* name;  // short id, e.g. "rapl"
  ComponentKind component;
  const char* description;
  // For the CPU the first entry that finds devices wins (RAPL, else the
  // estimate); for GPUs every entry that finds devices is used.
  ProbeResult (*probe)(const ProbeContext&);
};

const std::vector<SensorEntry>& sensor_table();

}  // namespace carbontracker
