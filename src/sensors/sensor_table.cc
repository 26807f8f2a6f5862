#include "sensors/sensor_table.h"

#include "sensors/gpu/nvml_sensor.h"
#include "sensors/gpu/rocm_smi_sensor.h"

namespace carbontracker {

const std::vector<SensorEntry>& sensor_table() {
  static const std::vector<SensorEntry> table = {
      {"nvml", ComponentKind::kGpu, "NVIDIA GPUs through NVML (libnvidia-ml.so.1)", probe_nvml},
      {"rocm-smi", ComponentKind::kGpu, "AMD GPUs through ROCm SMI (librocm_smi64.so)",
       probe_rocm_smi},
  };
  return table;
}

}  // namespace carbontracker
