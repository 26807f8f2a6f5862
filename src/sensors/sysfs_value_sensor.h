// The read loop of a sensor over sysfs attribute files that hold one unsigned
// integer each (RAPL's energy_uj, hwmon's power and energy files), shared by
// those sensors: a vanished file (ENOENT, ENODEV) loses its device for good,
// any other failure is retried at the next tick. Derived (CRTP, no virtual
// call per device) says what a value becomes and words the two messages:
//   void set_value(size_t i, uint64_t value, Reading& r);
//   std::string lost_message(size_t i, int err);     // err: an errno
//   std::string failure_message(size_t i, int err);  // an errno, or -1: no number
#pragma once

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sensors/file_reader.h"
#include "sensors/sensor.h"

namespace carbontracker {

template <class Derived>
class SysfsValueSensor : public Sensor {
 public:
  SysfsValueSensor(std::vector<SensorDevice> devices, std::vector<std::string> paths,
                   std::shared_ptr<const FileReader> files)
      : devices_(std::move(devices)),
        paths_(std::move(paths)),
        lost_(devices_.size(), false),
        files_(std::move(files)) {}

  const std::vector<SensorDevice>& devices() const override { return devices_; }

  void read(std::vector<Reading>& out) override {
    Derived& self = static_cast<Derived&>(*this);
    if (out.size() != devices_.size()) out.resize(devices_.size());
    for (size_t i = 0; i < devices_.size(); ++i) {
      Reading& r = out[i];
      if (lost_[i]) {
        r.status = ReadStatus::kLost;
        continue;
      }
      uint64_t value = 0;
      int err = read_u64(*files_, paths_[i].c_str(), &value);
      if (err == 0) {
        r.status = ReadStatus::kOk;
        self.set_value(i, value, r);
        r.message.clear();
      } else if (err == ENOENT || err == ENODEV) {
        lost_[i] = true;
        r.status = ReadStatus::kLost;
        r.message = self.lost_message(i, err);
      } else {
        r.status = ReadStatus::kRetry;
        r.message = self.failure_message(i, err);
      }
    }
  }

 protected:
  std::vector<SensorDevice> devices_;
  std::vector<std::string> paths_;

 private:
  std::vector<bool> lost_;
  std::shared_ptr<const FileReader> files_;
};

}  // namespace carbontracker
