// The energy engine: turns sensor readings into joules per device.
//
// Counter devices: each new reading adds the delta to the previous reading,
// with wraparound handled against the counter's range. A backwards jump that
// one wrap cannot explain at a plausible power (max_power_w) is a reset
// (driver reload, suspend): that interval is dropped and reported. The power
// is judged over the longest time the two readings can span: from the start
// of the previous read to the end of this one, plus the counter's refresh
// period (a reading can be that stale), so that a wrap read a millisecond
// after a tick is not mistaken for a reset.
// A gap between two readings longer than the counter can cover at
// max_power_w (it could have wrapped more than once unseen) is counted with
// the fewest wraps that explain the readings and reported, once per device.
// Power devices: integrated by the trapezoid rule on the readings' timestamps;
// a reading averaged over the device's power_average_s stands for the middle
// of that window (t - power_average_s / 2).
//
// Each added amount of energy is also multiplied by the carbon intensity
// valid at that reading, so CO2 is time-aligned with energy.
//
// The engine also keeps the variance of its own sampling error
// (doc/uncertainty.md): for power devices, each trapezoid's integration
// error, |P2 - P1| x dt / sqrt(12) (a change of power at an unknown instant
// of the interval), summed in quadrature; for counters, the read-time
// jitter of the latest reading (the read took from t_s to read_end_s and
// the counter may lag by counter_update_s: the mean power of the last
// interval times that span / sqrt(12)), which a window's two edges add.
// Not thread-safe: the sampler serialises calls.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sensors/sensor.h"

namespace carbontracker {

// The variances of a device's sampling error (engine.h, above).
struct SamplingVariance {
  double integration_j2 = 0;  // the power integration's, accumulated (J^2)
  double integration_g2 = 0;  // the same in CO2eq (g^2)
  double edge_j2 = 0;         // the latest counter reading's instant (J^2)
  double edge_g2 = 0;         // the same in CO2eq (g^2)
};

class EnergyEngine {
 public:
  explicit EnergyEngine(std::vector<SensorDevice> devices);

  // Applies a reading of device i taken at t_s (steady clock; the read began
  // at or after t_s and ended by read_end_s, which defaults to t_s). Messages
  // about what happened (a dropped reset, a lost device, a gap) are appended
  // to `events`.
  void apply(size_t i, double t_s, const Reading& reading, double intensity_g_per_kwh,
             std::vector<std::string>& events, double read_end_s = -1);
  // Forgets the last reading of device i, so the time until its next reading
  // is not counted (used while a device is not selected).
  void pause(size_t i);

  double energy_j(size_t i) const { return state_[i].energy_j; }
  double co2_g(size_t i) const { return state_[i].co2_g; }
  bool lost(size_t i) const { return state_[i].lost; }
  // Accumulated variance of the power integration (J^2 and g^2), and that
  // of the latest counter reading's instant (0 for power devices and before
  // the second reading).
  const SamplingVariance& sampling_variance(size_t i) const { return state_[i].variance; }
  double sampling_var_j2(size_t i) const { return state_[i].variance.integration_j2; }
  double sampling_var_co2_g2(size_t i) const { return state_[i].variance.integration_g2; }
  double edge_var_j2(size_t i) const { return state_[i].variance.edge_j2; }
  double edge_var_co2_g2(size_t i) const { return state_[i].variance.edge_g2; }
  bool has_reading(size_t i) const { return state_[i].has_last; }
  size_t size() const { return devices_.size(); }
  const SensorDevice& device(size_t i) const { return devices_[i]; }

  // Longest interval between two readings that keeps every counter from
  // wrapping twice unseen and meets every device's own max_interval_s.
  double max_safe_interval_s() const;

 private:
  struct State {
    bool has_last = false;
    bool lost = false;
    bool gap_said = false;
    uint64_t last_counter = 0;
    double last_power_w = 0;
    double last_t_s = 0;
    double energy_j = 0;
    double co2_g = 0;
    SamplingVariance variance;
  };
  void add(size_t i, double joules, double intensity_g_per_kwh);

  std::vector<SensorDevice> devices_;
  std::vector<State> state_;
};

}  // namespace carbontracker
