// One GPU counter sensor for every vendor. The probe's steps, the read loop,
// lost-device handling, the choice between an energy counter and sampled
// power, and devices_by_pid selection are written here once; a GpuDriver is
// what differs between vendors (NVML, ROCm SMI): the library's symbols, its
// status codes and the calls that answer for one GPU.
//
// A GPU is read through its energy counter where the probe finds one that
// answers, else through its power, which the engine samples at 10 Hz and
// integrates; with neither it is left out with a warning. A read that fails
// with an error the driver calls lost stops that GPU for good (what it
// measured is kept); any other failure is retried at the next read.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sensors/gpu/driver_signs.h"
#include "sensors/gpu/dynamic_library.h"
#include "sensors/gpu/visible_devices.h"
#include "sensors/sensor.h"

namespace carbontracker {

// A library's status code. Both NVML and ROCm SMI answer 0 for success.
using GpuStatus = int64_t;
constexpr GpuStatus kGpuSuccess = 0;

// One physical GPU as the library lists it.
struct GpuBoard {
  std::string name;   // the vendor's default when the library gives none
  std::string uuid;   // "GPU-..."; empty when unknown
  std::string error;  // why it cannot be opened; empty when it can
};

// A vendor's fixed places and words.
struct GpuVendor {
  // Where its library is: the path in Environment::*path (which the variable
  // sets) when set, else the first of sonames that loads, tried only where
  // find_driver finds a sign of the kernel driver.
  struct Library {
    const char* variable;  // "CARBONTRACKER_NVML_LIBRARY"
    std::string Environment::*path;
    DriverSigns (*find_driver)(const Environment&);
    std::vector<std::string> sonames;
  } library;
  // What the probe's messages call things.
  struct Words {
    const char* api;         // "NVML": "NVML found no GPU", "not in this NVML"
    const char* driver;      // "NVIDIA driver": "no NVIDIA driver (none of ...)"
    const char* library;     // "NVIDIA driver library": "no ... found (tried ...)"
    const char* gpu;         // "GPU": "no selected GPU can be read"
    const char* lacks_note;  // after "lacks the NVML function X"; may be ""
  } words;
  // The library's calls that the messages name, and what a GPU read through
  // each is said to be measured by (DeviceInfo::source).
  struct Calls {
    const char* count;  // lists the GPUs
    const char* energy;
    const char* energy_source;
    const char* power;
    const char* power_source;
  } calls;
};

// One vendor's library, opened.
class GpuDriver {
 public:
  explicit GpuDriver(std::unique_ptr<DynamicLibrary> lib) : lib_(std::move(lib)) {}
  // Shuts the library down (when init asked for it), then closes it.
  virtual ~GpuDriver();
  GpuDriver(const GpuDriver&) = delete;
  GpuDriver& operator=(const GpuDriver&) = delete;

  // The probe's steps, called once each in this order.
  // Binds the library's functions: "" or the first required one missing.
  virtual std::string bind() = 0;
  // "" or why the library cannot be used.
  virtual std::string init() = 0;
  virtual GpuStatus count(unsigned* gpus) = 0;
  // GPU `index` < count.
  virtual GpuBoard board(unsigned index) = 0;
  // The GPUs to measure among `boards`, by the vendor's visible-devices
  // variables, in their order. Warnings and notes go to *result; an empty
  // choice also sets result->unavailable_reason.
  virtual std::vector<VisibleGpu> choose(const ProbeContext& ctx,
                                         const std::vector<GpuBoard>& boards,
                                         ProbeResult* result) = 0;
  // "" and the joules per counter unit when GPU `index` has an energy
  // counter that answers, else why not.
  virtual std::string energy_unit(unsigned index, double* unit_j) = 0;
  // Whether the library has the power call at all.
  virtual bool has_power() const = 0;

  // One read of GPU `index`.
  virtual GpuStatus read_energy(unsigned index, uint64_t* counter) = 0;
  virtual GpuStatus read_power(unsigned index, double* power_w) = 0;
  // A status in words, e.g. "GPU is lost (NVML error 15)".
  virtual std::string describe(GpuStatus status) const = 0;
  // Whether a GPU that answered `status` will not answer again.
  virtual bool is_lost(GpuStatus status) const = 0;

  // Whether the library lists the processes on each GPU (devices_by_pid).
  virtual bool lists_processes() const { return false; }
  // Adds the pids of the processes on GPU `index` to *pids.
  virtual void add_pids(unsigned /*index*/, std::set<int>* /*pids*/) const {}

  const DynamicLibrary& library() const { return *lib_; }

 protected:
  // Called by init once the library is initialised: the destructor calls
  // `shut_down` before closing the library.
  void shut_down_at_close(std::function<void()> shut_down) { shut_down_ = std::move(shut_down); }

 private:
  std::unique_ptr<DynamicLibrary> lib_;
  std::function<void()> shut_down_;
};

using GpuDriverFactory = std::unique_ptr<GpuDriver> (*)(std::unique_ptr<DynamicLibrary>);

// Probes one vendor: opens its library, makes the driver with `make`, takes
// the driver's steps and checks each chosen GPU's counter, then its power.
// No library, no driver, no GPU or no visible GPU give no sensor and an
// unavailable_reason that says which. Never throws. With
// ctx.devices_by_pid and a driver that lists processes, a GPU is measured
// from the first time the tracked process or a descendant shows on it
// (checked at sampling ticks, at least every 2 s).
ProbeResult probe_gpus(const ProbeContext& ctx, const GpuVendor& vendor, GpuDriverFactory make);

// The same with a Driver made from the library.
template <typename Driver>
ProbeResult probe_gpus(const ProbeContext& ctx, const GpuVendor& vendor) {
  return probe_gpus(ctx, vendor,
                    [](std::unique_ptr<DynamicLibrary> lib) -> std::unique_ptr<GpuDriver> {
                      return std::make_unique<Driver>(std::move(lib));
                    });
}

}  // namespace carbontracker
