// Power and energy sensors of the Linux hwmon class, for hardware RAPL and
// the GPU libraries do not cover. The root is ctx.env->hwmon_root (default
// /sys/class/hwmon, CARBONTRACKER_HWMON_ROOT); it is listed once per start-up
// (one opendir), whichever of the probes below runs first; the others reuse
// that scan (ProbeContext::hwmon_scan). An entry that links to a device no
// probe reads (anything but an ACPI000D power meter or a PCI device: coretemp,
// nvme, thermal zones ...) costs one readlink and is skipped; the others'
// `name` is read once.
//
// What is read, and how each thing is counted once:
//   - ACPI power meters (`name` power_meter): power1_average (microwatts,
//     the mean over power1_average_interval milliseconds), in the hwmon
//     directory or in its device/ directory (older kernels). Which one it is
//     comes from power1_oem_info:
//       * NVIDIA Grace / Grace Hopper rails "<Rail> Power Socket N":
//         per socket, the CPU component is the "Grace" rail (CPU + SoC I/O)
//         as device grace:N; without it, the "CPU" and "SysIO" rails (cpu:N,
//         sysio:N), which are its two parts. The "Module" rail (the whole
//         superchip: Grace, and on GH200 the Hopper GPU and its HBM) is a
//         node figure (module:N) reported beside the CPU and GPU figures and
//         never added to them, so a GPU NVML measures is never counted twice.
//       * any other meter (x86 servers; power1_oem_info absent or not a Grace
//         rail): the whole server as the platform measures it, node
//         component, device meter:K.
//   - amdgpu (`name` amdgpu): power1_average, else power1_input (microwatts),
//     only where ROCm SMI measures no GPU (the two never both count a card);
//     the card is named by the PCI address its device link points to.
//   - Intel xe / i915 (`name` xe or i915): energy1_input, a cumulative
//     counter in microjoules (the card; xe's energy2_input, the package, is
//     part of it). The drivers accumulate the 32-bit hardware register into
//     64 bits and the hwmon core prints a signed long, so the file wraps at
//     2^63 uJ at the latest: that is the counter range given to the energy
//     engine, which handles the wrap as for RAPL.
// Entries with another name, or whose files cannot be read, are listed in
// verbose notes and skipped; nothing here is ever an error.
//
// Averaged power (power_meter): a reading taken at t is the mean power over
// [t - interval, t], so it is placed at t - interval/2 for the trapezoid
// (SensorDevice::power_average_s). The readings are asked at least once per
// interval (clamped to 0.1 .. 1 s), so consecutive windows cover the run.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sensors/file_reader.h"
#include "sensors/sensor.h"

namespace carbontracker {

// One listing of the hwmon root: each entry with its `name` (or the errno
// that reading it gave).
struct HwmonScan {
  struct Entry {
    std::string id;    // e.g. "hwmon3"
    std::string dir;   // root/id
    std::string name;  // trimmed content of `name`
    int err = 0;       // errno of reading `name`, 0 on success
  };
  std::string root;
  int list_err = 0;  // errno of listing the root, 0 on success
  std::vector<Entry> entries;
};

// The sensor-table entries: read the real files.
ProbeResult probe_hwmon_grace(const ProbeContext& ctx);      // CPU: Grace socket rails
ProbeResult probe_hwmon_node(const ProbeContext& ctx);       // node: power meters, module rails
ProbeResult probe_hwmon_amdgpu(const ProbeContext& ctx);     // GPU: amdgpu without ROCm SMI
ProbeResult probe_hwmon_intel_gpu(const ProbeContext& ctx);  // GPU: xe / i915 energy

// The same with every file read going through `files` (tests inject errors).
ProbeResult probe_hwmon_grace(const ProbeContext& ctx, std::shared_ptr<const FileReader> files);
ProbeResult probe_hwmon_node(const ProbeContext& ctx, std::shared_ptr<const FileReader> files);
ProbeResult probe_hwmon_amdgpu(const ProbeContext& ctx, std::shared_ptr<const FileReader> files);
ProbeResult probe_hwmon_intel_gpu(const ProbeContext& ctx, std::shared_ptr<const FileReader> files);

// The wrap point of xe/i915 energy1_input (uJ): see above.
inline constexpr uint64_t kIntelGpuEnergyRangeUj = 1ULL << 63;

}  // namespace carbontracker
