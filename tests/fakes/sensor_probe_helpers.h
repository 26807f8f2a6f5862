// What sensor tests ask of a probe's result: the names of the devices it
// found, and one read of all of them.
#pragma once

#include <string>
#include <vector>

#include "sensors/sensor.h"

namespace carbontracker::testing {

inline std::vector<std::string> device_names(const ProbeResult& r) {
  std::vector<std::string> out;
  if (r.sensor)
    for (const SensorDevice& d : r.sensor->devices()) out.push_back(d.info.name);
  return out;
}

inline std::vector<Reading> read_all(Sensor& s) {
  std::vector<Reading> out(s.devices().size());
  s.read(out);
  return out;
}

}  // namespace carbontracker::testing
