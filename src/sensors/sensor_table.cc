#include "sensors/sensor_table.h"

#include "sensors/cpu_estimate.h"
#include "sensors/rapl.h"

namespace carbontracker {

const std::vector<SensorEntry>& sensor_table() {
  static const std::vector<SensorEntry> table = {
      {"rapl", ComponentKind::kCpu,
       "CPU package and DRAM energy counters (Intel/AMD RAPL through Linux powercap)", probe_rapl},
      {"cpu-estimate", ComponentKind::kCpu,
       "CPU and RAM power estimated from /proc/stat utilisation (Cloud Carbon Footprint "
       "coefficients), where no energy counter is readable",
       probe_cpu_estimate},
  };
  return table;
}

}  // namespace carbontracker
