#include "sensors/sensor_table.h"

#include "sensors/cpu_estimate.h"
#include "sensors/gpu/nvml_sensor.h"
#include "sensors/gpu/rocm_smi_sensor.h"
#include "sensors/hwmon.h"
#include "sensors/rapl.h"

namespace carbontracker {

const std::vector<SensorEntry>& sensor_table() {
  static const std::vector<SensorEntry> table = {
      {"nvml", ComponentKind::kGpu, "NVIDIA GPUs through NVML (libnvidia-ml.so.1)", probe_nvml},
      {"rocm-smi", ComponentKind::kGpu, "AMD GPUs through ROCm SMI (librocm_smi64.so)",
       probe_rocm_smi},
      {"hwmon-amdgpu", ComponentKind::kGpu,
       "AMD GPUs through amdgpu's hwmon power sensor, where ROCm SMI measures none",
       probe_hwmon_amdgpu},
      {"hwmon-intel-gpu", ComponentKind::kGpu,
       "Intel GPUs through the energy counter of xe/i915 hwmon (energy1_input)",
       probe_hwmon_intel_gpu},
      {"rapl", ComponentKind::kCpu,
       "CPU package and DRAM energy counters (Intel/AMD RAPL through Linux powercap)", probe_rapl},
      {"hwmon-grace", ComponentKind::kCpu,
       "NVIDIA Grace CPU power per socket (ACPI power meters in hwmon: the Grace rail, else CPU "
       "+ SysIO)",
       probe_hwmon_grace},
      {"cpu-estimate", ComponentKind::kCpu,
       "CPU and RAM power estimated from /proc/stat utilisation (Cloud Carbon Footprint "
       "coefficients), where no energy counter is readable",
       probe_cpu_estimate},
      {"hwmon-node", ComponentKind::kNode,
       "Whole-server power from the platform's meters (ACPI power_meter; Grace module rails), "
       "reported beside the CPU and GPU figures",
       probe_hwmon_node},
  };
  return table;
}

}  // namespace carbontracker
