// Test utilities for fake /sys/class/hwmon trees: ACPI power meters (Grace
// rails and x86 platform meters), amdgpu power sensors and Intel xe/i915
// energy counters, laid out as the kernel does (files as sysfs formats them:
// decimal, newline-terminated). Header-only, beside fake_powercap_tree.h.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "fakes/fake_powercap_tree.h"

namespace carbontracker::testing {

// Watts as the microwatts hwmon writes.
inline std::string microwatts(double watts) {
  return std::to_string(static_cast<uint64_t>(watts * 1e6 + 0.5)) + "\n";
}

// root/hwmonN/name = power_meter with power1_average (uW), the averaging
// interval (ms) and, when oem is not empty, power1_oem_info; in root/hwmonN/
// device/ (older kernels) when in_device, else in root/hwmonN/. Returns the
// path of the power1_average file.
inline std::string write_power_meter(const std::string& root, int n, const std::string& oem,
                                     double watts, unsigned interval_ms = 50,
                                     bool in_device = true) {
  std::string dir = root + "/hwmon" + std::to_string(n);
  write_file(dir + "/name", "power_meter\n");
  std::string attrs = in_device ? dir + "/device" : dir;
  write_file(attrs + "/power1_average", microwatts(watts));
  write_file(attrs + "/power1_average_interval", std::to_string(interval_ms) + "\n");
  if (!oem.empty()) write_file(attrs + "/power1_oem_info", oem + "\n");
  return attrs + "/power1_average";
}

// The four rails of one Grace (Hopper) socket, numbered from first_hwmon:
// Module, Grace (= cpu + sysio), CPU and SysIO. Returns the next free hwmon
// number.
inline int write_grace_socket(const std::string& root, int first_hwmon, int socket, double module_w,
                              double cpu_w, double sysio_w, unsigned interval_ms = 50) {
  std::string s = std::to_string(socket);
  write_power_meter(root, first_hwmon, "Module Power Socket " + s, module_w, interval_ms);
  write_power_meter(root, first_hwmon + 1, "Grace Power Socket " + s, cpu_w + sysio_w, interval_ms);
  write_power_meter(root, first_hwmon + 2, "CPU Power Socket " + s, cpu_w, interval_ms);
  write_power_meter(root, first_hwmon + 3, "SysIO Power Socket " + s, sysio_w, interval_ms);
  return first_hwmon + 4;
}

// A PCI device directory under root/devices and root/hwmonN/device linking
// to it, as the class directory's entries point into /sys/devices.
inline void write_device_link(const std::string& root, int n, const std::string& pci_address) {
  std::string target = root + "/devices/pci0000:00/" + pci_address;
  std::filesystem::create_directories(target);
  std::filesystem::create_directories(root + "/hwmon" + std::to_string(n));
  std::filesystem::create_symlink(target, root + "/hwmon" + std::to_string(n) + "/device");
}

// amdgpu: name, power1_average (or power1_input when input) in uW, and the
// device link to the card's PCI address.
inline std::string write_amdgpu(const std::string& root, int n, const std::string& pci_address,
                                double watts, bool input = false) {
  std::string dir = root + "/hwmon" + std::to_string(n);
  write_device_link(root, n, pci_address);
  write_file(dir + "/name", "amdgpu\n");
  std::string path = dir + (input ? "/power1_input" : "/power1_average");
  write_file(path, microwatts(watts));
  return path;
}

// Intel xe or i915: name and energy1_input (uJ), with the device link.
inline std::string write_intel_gpu(const std::string& root, int n, const std::string& driver,
                                   const std::string& pci_address, uint64_t energy_uj) {
  std::string dir = root + "/hwmon" + std::to_string(n);
  write_device_link(root, n, pci_address);
  write_file(dir + "/name", driver + "\n");
  write_file(dir + "/energy1_input", std::to_string(energy_uj) + "\n");
  return dir + "/energy1_input";
}

// Any other hwmon device (coretemp, nvme ...): a name and a temperature.
inline void write_other_hwmon(const std::string& root, int n, const std::string& name) {
  std::string dir = root + "/hwmon" + std::to_string(n);
  write_file(dir + "/name", name + "\n");
  write_file(dir + "/temp1_input", "42000\n");
}

}  // namespace carbontracker::testing
