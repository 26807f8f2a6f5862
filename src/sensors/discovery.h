// Device discovery: which sensors measure each requested component, tried in
// the order of the sensor table (sensors/sensor_table.h).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "carbontracker/device.h"
#include "sensors/sensor.h"
#include "sensors/sensor_table.h"

namespace carbontracker {

// How a line found during discovery is to be said.
enum class DiscoveryNote {
  kWarning,  // a warning: the logs' error stream and the run's messages
  kLog,      // the standard log file only
  kNote,     // the standard log file, and the console at verbose 2
};

// Receives each line as it is found, in order (a line said before an error
// is thrown is not lost).
using DiscoverySink = std::function<void(DiscoveryNote, const std::string&)>;

struct DiscoveryRequest {
  // The components to find, in output order, no duplicates.
  std::vector<ComponentKind> components;
  // Components whose sensor the caller already has (simulated hardware):
  // not probed.
  std::vector<ComponentKind> provided;
  // A component named explicitly ("gpu", not through "all"): finding none is
  // an error rather than a note.
  bool gpu_explicit = false;
  bool cpu_explicit = false;
  bool node_explicit = false;
  // What the probes see (environment, clock, tracked pid, devices_by_pid).
  ProbeContext context;
};

// Probes the table's entries for each requested component: for the CPU the
// first entry that finds devices wins, for GPUs and the node every entry that
// finds devices is kept. Returns the sensors found, which, with `have`
// (sensors the caller already has), must not be none.
// Throws Error(kComponent) naming the reasons when an explicitly requested
// component has no sensor, or when nothing at all is found.
std::vector<std::unique_ptr<Sensor>> discover_devices(
    DiscoveryRequest request, const DiscoverySink& say, size_t have = 0,
    const std::vector<SensorEntry>& table = sensor_table());

}  // namespace carbontracker
