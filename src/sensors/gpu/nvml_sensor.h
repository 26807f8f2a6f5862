// NVIDIA GPUs through NVML, loaded with dlopen at run time (no CUDA or NVML
// headers at build time).
//
// Each selected GPU is read through its total energy counter
// (nvmlDeviceGetTotalEnergyConsumption, mJ, Volta and newer) or, where that
// answers NOT_SUPPORTED, through its power (nvmlDeviceGetPowerUsage, mW),
// which the engine then samples at 10 Hz and integrates. Which GPUs:
// CUDA_VISIBLE_DEVICES (see visible_devices.h), or with devices_by_pid every
// GPU whose process lists hold the tracked process or one of its descendants.
#pragma once

#include "sensors/sensor.h"

namespace carbontracker {

// Library: ctx.env->nvml_library if set, else libnvidia-ml.so.1, then
// libnvidia-ml.so. No library, no driver, no GPU or no visible GPU give no
// sensor and an unavailable_reason that says which. Never throws.
ProbeResult probe_nvml(const ProbeContext& ctx);

}  // namespace carbontracker
