// The devices a run measures: what each one is and where its figures come
// from. Part of the result model (results.h), defined by the sensors, which
// find the devices (src/sensors/device.cc).
#pragma once

#include <string>

namespace carbontracker {

// Component kinds in the order the original prints them: GPU first, then CPU.
// kNode is the whole server as a platform power meter measures it (ACPI
// power_meter, the Grace Hopper module rails): reported beside the GPU and
// CPU figures, never added to them (it contains them).
enum class ComponentKind { kGpu, kCpu, kNode };

// Whether a component's energy is part of the run's totals (all but kNode).
inline bool counted_in_total(ComponentKind kind) { return kind != ComponentKind::kNode; }

// "gpu", "cpu" or "node".
const char* component_name(ComponentKind kind);

// Where a device's figures come from.
enum class Provenance {
  kMeasured,       // a hardware energy counter or power sensor
  kEstimated,      // a model (named in DeviceInfo::source)
  kSimulated,      // the sim_* options: constant watts x utilisation
  kPlatformMeter,  // a power meter of the platform (ACPI power_meter, Grace module rail)
};

// "measured", "estimated", "simulated", "platform power meter"
const char* provenance_name(Provenance p);

struct DeviceInfo {
  std::string name;  // as shown in the components line, e.g. "cpu:0", "NVIDIA A100-SXM4-40GB"
  ComponentKind component = ComponentKind::kCpu;
  Provenance provenance = Provenance::kMeasured;
  // How the figure is obtained, e.g. "RAPL energy counter /sys/class/powercap/intel-rapl:0",
  // "NVML total energy counter", "NVML power, sampled at 10 Hz", or the estimation model
  // with its constants.
  std::string source;
  // Further qualification, e.g. "whole board (MIG instance)"; empty if none.
  std::string note;
};

}  // namespace carbontracker
