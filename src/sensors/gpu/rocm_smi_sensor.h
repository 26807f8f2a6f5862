// AMD GPUs through ROCm SMI, loaded with dlopen at run time (the build needs
// neither ROCm nor librocm-smi-dev).
//
// Each selected GPU is read through its energy accumulator
// (rsmi_dev_energy_count_get: counter × resolution µJ) or, where that is not
// supported, its average power (rsmi_dev_power_ave_get, µW), sampled at
// 10 Hz by the engine. ROCR_VISIBLE_DEVICES, then HIP_VISIBLE_DEVICES within
// it, select the GPUs, with the rules of visible_devices.h.
#pragma once

#include "sensors/sensor.h"

namespace carbontracker {

// Library: ctx.env->rocm_smi_library if set, else librocm_smi64.so,
// librocm_smi64.so.1, /opt/rocm/lib/librocm_smi64.so. Never throws; no
// library, rsmi_init failing or no visible GPU give no sensor and a reason.
ProbeResult probe_rocm_smi(const ProbeContext& ctx);

}  // namespace carbontracker
