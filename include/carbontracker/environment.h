// Where the library looks for hardware and services. Tests point these at
// fakes; the process environment is read once, by from_process_env().
#pragma once

#include <map>
#include <string>

namespace carbontracker {

struct Environment {
  std::string powercap_root = "/sys/class/powercap";  // CARBONTRACKER_POWERCAP_ROOT
  std::string proc_root = "/proc";                    // CARBONTRACKER_PROC_ROOT
  // Where the GPU probes look for driver signs (/dev/nvidiactl, /dev/kfd,
  // /sys/module/nvidia ...) before searching for a vendor library.
  std::string dev_root = "/dev";  // CARBONTRACKER_DEV_ROOT
  std::string sys_root = "/sys";  // CARBONTRACKER_SYS_ROOT
  // hwmon power sensors (Grace, ACPI power meters, amdgpu, Intel xe/i915).
  std::string hwmon_root = "/sys/class/hwmon";  // CARBONTRACKER_HWMON_ROOT
  // A library path given here is always tried; empty = the usual sonames, tried
  // only where a driver sign exists.
  std::string nvml_library;      // CARBONTRACKER_NVML_LIBRARY
  std::string rocm_smi_library;  // CARBONTRACKER_ROCM_SMI_LIBRARY
  std::string region;            // CARBONTRACKER_REGION; empty = detect
  bool offline = false;          // CARBONTRACKER_OFFLINE=1: no network access at all
  std::string zone_tab = "/usr/share/zoneinfo/zone.tab";
  std::string localtime_path = "/etc/localtime";
  std::string tz;         // TZ
  std::string cache_dir;  // XDG_CACHE_HOME/carbontracker (or ~/.cache/carbontracker)
  // Every other variable the library may consult (CUDA_VISIBLE_DEVICES, SLURM_*, API keys,
  // base-URL overrides ...), captured once.
  std::map<std::string, std::string> vars;

  // Reads the variables named above from the process environment.
  static Environment from_process_env();
  // Value of `name` in vars, or `fallback` if absent.
  std::string var(const std::string& name, const std::string& fallback = "") const;
  bool has_var(const std::string& name) const;
};

}  // namespace carbontracker
