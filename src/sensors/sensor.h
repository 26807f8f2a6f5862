// The sensor interface. A sensor discovers devices once (probe) and then reads
// them; it does no energy arithmetic, the energy engine does.
//
// A device reads either a cumulative energy counter (integer, in
// counter_unit_j joules per unit, wrapping at counter_range when non-zero) or
// an instantaneous power in watts. See DESIGN.md and src/energy/engine.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "carbontracker/environment.h"
#include "carbontracker/device.h"

namespace carbontracker {

class Clock;

enum class ReadingKind { kEnergyCounter, kPower };

struct SensorDevice {
  DeviceInfo info;
  ReadingKind kind = ReadingKind::kEnergyCounter;
  double counter_unit_j = 1e-6;  // joules per counter unit (RAPL: 1 uJ; NVML: 1 mJ)
  uint64_t counter_range = 0;    // the counter wraps to 0 here; 0 = never wraps
  // Highest plausible power (W). With counter_range it bounds the sampling
  // interval (no double wrap unseen) and tells a wrap from a reset.
  double max_power_w = 1000.0;
  // How long the counter may lag the instant it is read (s): its refresh
  // period (RAPL about 1 ms, NVML's energy about 100 ms). A wrap is judged
  // over the interval between two reads plus this, never over less.
  double counter_update_s = 0;
  // Longest interval (s) between two reads the device needs, e.g. 0.1 for
  // sampled power; 0 = no requirement of its own.
  double max_interval_s = 0;
  // kPower: a reading is the mean power over this many seconds before it was
  // taken (hwmon power1_average); the engine places it at the middle of that
  // window. 0 = the power at the instant of the reading.
  double power_average_s = 0;
};

enum class ReadStatus {
  kOk,
  kRetry,  // this read failed, the next may work (the message is said once)
  kLost,   // the device is gone: stop reading it, keep what was measured
};

struct Reading {
  ReadStatus status = ReadStatus::kOk;
  uint64_t counter = 0;  // kEnergyCounter
  double power_w = 0;    // kPower
  std::string message;   // why, when status != kOk
};

class Sensor {
 public:
  virtual ~Sensor() = default;
  // The devices found at probe time; fixed for the sensor's life.
  virtual const std::vector<SensorDevice>& devices() const = 0;
  // Reads every device now; out has devices().size() entries. Called from one
  // thread at a time (the engine serialises calls).
  virtual void read(std::vector<Reading>& out) = 0;
  // Re-checks which devices to keep (devices_by_pid); returns the indices into
  // devices() that are currently selected. Default: all.
  virtual std::vector<bool> selected() { return std::vector<bool>(devices().size(), true); }
};

// What a probe found: a sensor, or why there is none ("unavailable" is not an
// error), and messages to say once (e.g. how to grant RAPL read access).
struct ProbeResult {
  std::unique_ptr<Sensor> sensor;
  std::string unavailable_reason;
  std::vector<std::string> warnings;
  std::vector<std::string> notes;  // informational lines (e.g. "no GPU found")
  // Lines for the log that the console also shows at verbose 2 (sensors
  // seen and skipped).
  std::vector<std::string> verbose_notes;
};

struct HwmonScan;  // sensors/hwmon.h

// What probes may need to know.
struct ProbeContext {
  const Environment* env = nullptr;
  const Clock* clock = nullptr;
  int tracked_pid = 0;  // the process devices_by_pid looks for
  bool devices_by_pid = false;
  // Sensor-table entries (SensorEntry::name) that found devices so far.
  std::vector<std::string> found;
  // The hwmon root listed once for all hwmon probes of one start-up.
  mutable std::shared_ptr<const HwmonScan> hwmon_scan;
};

}  // namespace carbontracker
