#include "sensors/sensor_table.h"

#include "sensors/cpu_estimate.h"
#include "sensors/gpu/nvml_sensor.h"
#include "sensors/gpu/rocm_smi_sensor.h"
#include "sensors/rapl.h"

namespace carbontracker {

const std::vector<SensorEntry>& sensor_table() {
  static const std::vector<SensorEntry> table = {
      {"nvml", ComponentKind::kGpu, "NVIDIA GPUs through NVML (libnvidia-ml.so.1)", probe_nvml},
      {"rocm-smi", ComponentKind::kGpu, "AMD GPUs through ROCm SMI (librocm_smi64.so)",
       probe_rocm_smi},
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
