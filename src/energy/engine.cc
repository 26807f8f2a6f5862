#include "energy/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace carbontracker {

namespace {
constexpr double kJoulesPerKwh = 3.6e6;
// Energy that may arrive within a zero-length interval (counter granularity).
constexpr double kSlackJ = 1.0;
// 1 / sqrt(12): the standard deviation of a uniform error of width w is w / sqrt(12).
constexpr double kInvSqrt12 = 0.2886751345948129;
}  // namespace

EnergyEngine::EnergyEngine(std::vector<SensorDevice> devices)
    : devices_(std::move(devices)), state_(devices_.size()) {}

void EnergyEngine::add(size_t i, double joules, double intensity_g_per_kwh) {
  state_[i].energy_j += joules;
  state_[i].co2_g += joules / kJoulesPerKwh * intensity_g_per_kwh;
}

void EnergyEngine::pause(size_t i) { state_[i].has_last = false; }

void EnergyEngine::apply(size_t i, double t_s, const Reading& reading, double intensity_g_per_kwh,
                         std::vector<std::string>& events, double read_end_s) {
  State& s = state_[i];
  const SensorDevice& dev = devices_[i];
  if (s.lost) return;
  if (reading.status == ReadStatus::kLost) {
    s.lost = true;
    events.push_back(fmt::format(
        "{} stopped answering ({}); its figures up to now are kept and it is no longer read.",
        dev.info.name, reading.message));
    return;
  }
  if (reading.status != ReadStatus::kOk) return;

  if (dev.kind == ReadingKind::kPower) {
    // An averaged reading stands for the middle of its window (sensor.h).
    t_s -= dev.power_average_s / 2.0;
    if (s.has_last && t_s > s.last_t_s) {
      double dt = t_s - s.last_t_s;
      add(i, (s.last_power_w + reading.power_w) / 2.0 * dt, intensity_g_per_kwh);
      // A step of power at an unknown instant of the interval (engine.h).
      double u_j = std::fabs(reading.power_w - s.last_power_w) * dt * kInvSqrt12;
      s.variance.integration_j2 += u_j * u_j;
      double u_g = u_j / kJoulesPerKwh * intensity_g_per_kwh;
      s.variance.integration_g2 += u_g * u_g;
    }
    s.last_power_w = reading.power_w;
    s.last_t_s = t_s;
    s.has_last = true;
    return;
  }

  if (s.has_last) {
    double dt = std::max(0.0, t_s - s.last_t_s);
    double read_end = std::max(t_s, read_end_s);
    // The longest time the two readings can span: see engine.h.
    double window_s = read_end - s.last_t_s + dev.counter_update_s;
    double range_j = static_cast<double>(dev.counter_range) * dev.counter_unit_j;
    if (dev.counter_range > 0 && dev.max_power_w > 0 && !s.gap_said &&
        dt > range_j / dev.max_power_w) {
      s.gap_said = true;
      events.push_back(fmt::format(
          "{} was not read for {:.3f} s, longer than the {:.3f} s in which its energy counter can "
          "wrap at {:g} W (the sampling thread was held up: a suspended process or an overloaded "
          "machine); that interval is counted with the fewest wraps that explain the readings and "
          "may be undercounted. Later gaps of {} are not reported.",
          dev.info.name, dt, range_j / dev.max_power_w, dev.max_power_w, dev.info.name));
    }
    if (reading.counter >= s.last_counter) {
      add(i, static_cast<double>(reading.counter - s.last_counter) * dev.counter_unit_j,
          intensity_g_per_kwh);
    } else {
      bool wrapped = false;
      if (dev.counter_range > 0 && s.last_counter < dev.counter_range) {
        uint64_t delta = dev.counter_range - s.last_counter + reading.counter;
        double joules = static_cast<double>(delta) * dev.counter_unit_j;
        // One wrap explains the jump only if the energy is plausible for the interval.
        if (joules <= dev.max_power_w * window_s * 1.5 + kSlackJ) {
          add(i, joules, intensity_g_per_kwh);
          wrapped = true;
        }
      }
      if (!wrapped)
        events.push_back(fmt::format(
            "The energy counter of {} went back from {} to {} (a reset, e.g. a driver reload or "
            "suspend); the {:.3f} s since the previous reading were not counted.",
            dev.info.name, s.last_counter, reading.counter, dt));
    }
  }
  if (s.has_last && t_s > s.last_t_s) {
    // Where within [t_s, read_end + counter lag] the reading stands is unknown.
    double joules = static_cast<double>(
                        reading.counter >= s.last_counter ? reading.counter - s.last_counter : 0) *
                    dev.counter_unit_j;
    double span_s = std::max(0.0, read_end_s - t_s) + dev.counter_update_s;
    double u_j = joules / (t_s - s.last_t_s) * span_s * kInvSqrt12;
    s.variance.edge_j2 = u_j * u_j;
    double u_g = u_j / kJoulesPerKwh * intensity_g_per_kwh;
    s.variance.edge_g2 = u_g * u_g;
  }
  s.last_counter = reading.counter;
  s.last_t_s = t_s;
  s.has_last = true;
}

double EnergyEngine::max_safe_interval_s() const {
  double interval = std::numeric_limits<double>::infinity();
  for (const SensorDevice& d : devices_) {
    if (d.max_interval_s > 0) interval = std::min(interval, d.max_interval_s);
    if (d.kind == ReadingKind::kEnergyCounter && d.counter_range > 0 && d.max_power_w > 0) {
      // At most half a wrap period at the highest plausible power.
      double range_j = static_cast<double>(d.counter_range) * d.counter_unit_j;
      interval = std::min(interval, range_j / (2.0 * d.max_power_w));
    }
  }
  return interval;
}

}  // namespace carbontracker
