// CPU and DRAM energy from RAPL counters exposed by the Linux powercap
// driver (Intel, and AMD Zen from kernel 5.8).
//
// Zones are discovered under ctx.env->powercap_root (default
// /sys/class/powercap): intel-rapl:N, intel-rapl:N:M, intel-rapl-mmio:N and
// intel-rapl-mmio:N:M, multi-digit indices included, either at the top level
// (the class directory's links) or nested in their package zone's directory.
// What is counted, so that nothing is counted twice:
//   - every zone named package-* ("cpu:N") and dram ("dram:N");
//   - psys ("psys:N") only where no package zone exists (psys contains the
//     packages), and then alone;
//   - never core or uncore (they are part of the package);
//   - an intel-rapl-mmio zone only when no intel-rapl (msr) zone has the same
//     package index and name;
//   - of zones of one kind whose energy_uj and max_energy_range_uj are equal
//     and non-zero at probe (multi-die parts with one zone per die mirroring
//     one socket counter), only the first.
// Each counted zone is one device reading energy_uj: a counter in microjoules
// that wraps at max_energy_range_uj (counter_range 0 where that is unreadable).
//
// probe_rapl returns no sensor, with a reason, when there is no powercap
// directory or no counted zone ("no such hardware" is not an error), and when
// any counted energy_uj is not readable (EACCES/EPERM, the default since
// CVE-2020-8694); then it adds one warning naming the files and the commands
// that grant read access, and the CPU is estimated instead (the next entry of
// the sensor table).
//
// read() opens, reads and closes each energy_uj (no allocation on success).
// ENOENT/ENODEV: the zone is gone -> ReadStatus::kLost (and stays lost).
// Empty or unparsable content, or any other error -> ReadStatus::kRetry.
#pragma once

#include <memory>
#include <string>

#include "sensors/file_reader.h"
#include "sensors/sensor.h"

namespace carbontracker {

// The sensor-table entry: reads the real files.
ProbeResult probe_rapl(const ProbeContext& ctx);

// The same, with every file read (name, energy_uj, max_energy_range_uj)
// going through `files`, which the sensor keeps. Tests inject failures here.
ProbeResult probe_rapl(const ProbeContext& ctx, std::shared_ptr<const FileReader> files);

// The first sentence of the permission warning, as the original says it.
inline constexpr const char* kRaplPermissionSentence =
    "Could not read CPU/DRAM energy consumption due to lack of read-permissions.";

}  // namespace carbontracker
