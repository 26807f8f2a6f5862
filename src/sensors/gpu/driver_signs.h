// Cheap signs that a GPU vendor's kernel driver is on this machine, looked
// for before the vendor library: where there is no such library, dlopen's
// search of the library path costs dozens of system calls per name, and
// system calls are dear on sandboxed and virtualised hosts (gVisor,
// microVMs). One stat() per sign, first hit wins.
#pragma once

#include <string>
#include <vector>

#include "carbontracker/environment.h"

namespace carbontracker {

struct DriverSigns {
  std::string found;                 // the first sign that exists; empty: none does
  std::vector<std::string> checked;  // every path looked at, in order
};

// NVIDIA: <dev_root>/nvidiactl (bare metal and containers), <dev_root>/dxg
// (WSL2, whose NVML talks to the host through it), <proc_root>/driver/nvidia
// and <sys_root>/module/nvidia (the driver is loaded, even where the device
// nodes are not passed into a container).
DriverSigns find_nvidia_driver(const Environment& env);

// AMD (ROCm): <dev_root>/kfd and <sys_root>/class/kfd.
DriverSigns find_amd_driver(const Environment& env);

// "none of A, B or C exists", for the probe's unavailable_reason.
std::string describe_missing(const DriverSigns& signs);

}  // namespace carbontracker
