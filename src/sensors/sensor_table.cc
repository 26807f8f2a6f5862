#include "sensors/sensor_table.h"

namespace carbontracker {

const std::vector<SensorEntry>& sensor_table() {
  static const std::vector<SensorEntry> table = {};
  return table;
}

}  // namespace carbontracker
