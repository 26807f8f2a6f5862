// CPU and RAM power estimated from utilisation, for machines without a
// readable energy counter (VMs, containers, RAPL without read permission).
//
// CPU: the per-vCPU linear model of Cloud Carbon Footprint (coefficients from
// SPECpower results): P = n_vcpu x (Wmin + u x (Wmax - Wmin)), with u the
// share of busy time in the aggregate "cpu" line of <proc_root>/stat over the
// interval since the previous read (busy = total - idle - iowait; guest time
// is already part of user time and is not added again). The coefficients
// depend on the CPU family read from <proc_root>/cpuinfo, with the average
// over all families where it is not one of those known. n_vcpu is the number
// of cpuN lines in <proc_root>/stat.
//
// Because u is an average over the interval, the CPU device is an energy
// counter the sensor integrates itself: cumulative microjoules = sum of
// P(u) x dt on ctx.clock's steady clock; the first read returns 0 and starts
// the integration; counter_range is 0 (it never wraps).
//
// RAM: MemTotal of <proc_root>/meminfo in GiB x kRamWattsPerGb, a constant
// power device.
//
// The probe never fails: an unreadable /proc/stat gives utilisation 0.5 (said
// in the device source and in a warning), an unreadable cpuinfo the average
// coefficients, an unreadable meminfo no RAM device (with a note).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sensors/file_reader.h"
#include "sensors/sensor.h"

namespace carbontracker {

// Average per-vCPU power over all CPU families, Cloud Carbon Footprint
// (SPECpower): 0.74 W idle, 3.5 W at full load.
inline constexpr double kCpuAverageMinWattsPerVcpu = 0.74;
inline constexpr double kCpuAverageMaxWattsPerVcpu = 3.5;
// Memory power per GB, Cloud Carbon Footprint ("memory coefficient").
inline constexpr double kRamWattsPerGb = 0.392;
// Utilisation assumed where /proc/stat cannot be read.
inline constexpr double kAssumedUtilisation = 0.5;

// Per-vCPU linear-model coefficients for one CPU family.
struct CpuPowerModel {
  std::string family;  // e.g. "Intel Cascade Lake", or "average of all families"
  double min_w = kCpuAverageMinWattsPerVcpu;
  double max_w = kCpuAverageMaxWattsPerVcpu;
};

// Coefficients for the CPU described by /proc/cpuinfo text (its first
// processor block): Intel family 6 Haswell (models 60, 63, 69, 70), Skylake
// (78, 94, and 85 with stepping < 5), Cascade Lake (85 with stepping >= 5);
// AMD EPYC 2nd generation (family 0x17 model 0x31, or "EPYC 7xx2") and 3rd
// generation (family 0x19 model 0x01, or "EPYC 7xx3"); the average otherwise.
CpuPowerModel cpu_power_model(std::string_view cpuinfo);

// The sensor-table entry: reads the real files under ctx.env->proc_root.
ProbeResult probe_cpu_estimate(const ProbeContext& ctx);

// The same with every file read going through `files` (kept by the sensor).
ProbeResult probe_cpu_estimate(const ProbeContext& ctx, std::shared_ptr<const FileReader> files);

}  // namespace carbontracker
