// The sampling thread. It owns the sensors and the energy engine, reads every
// device at each tick and whenever the caller asks for a snapshot (epoch
// boundaries), and takes the carbon intensity valid at each reading.
//
// Implementation details: one mutex serialises sensor reads and engine
// updates, so a caller's snapshot waits at most for one read in flight.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "carbontracker/device.h"
#include "carbontracker/intensity_record.h"
#include "common/counted_thread.h"
#include "energy/engine.h"
#include "energy/intensity_feed.h"
#include "sensors/sensor.h"

namespace carbontracker {

class Clock;

struct Snapshot {
  double steady_s = 0;
  double unix_s = 0;
  std::vector<double> energy_j;  // accumulated per device since start
  std::vector<double> co2_g;
  std::vector<bool> lost;
  std::vector<SamplingVariance> sampling;  // per device (engine.h)
};

// What the sampling thread measured at one tick: the accumulated figures and
// each device's mean power since the previous tick (or the start).
struct TickSample {
  Snapshot totals;
  double interval_s = 0;        // since the previous tick (or the start)
  std::vector<double> power_w;  // per device over that interval
  double intensity_g_per_kwh = 0;
};

class Sampler {
 public:
  // say(message) is called (from any thread) once per distinct message.
  Sampler(std::vector<std::unique_ptr<Sensor>> sensors, IntensityFeed* intensity,
          const Clock& clock, double update_interval_s,
          std::function<void(const std::string&)> say);
  ~Sampler();  // stops and joins the thread

  const std::vector<DeviceInfo>& devices() const { return infos_; }
  // Seconds between two ticks of the thread.
  double tick_interval_s() const { return tick_s_; }

  // Reads every device (the start of the run) and starts the thread, whose
  // first tick comes one interval later. With_thread false defers the thread
  // to the first start_thread_if_due() call at or after that tick.
  void start(bool with_thread = true);
  // After start(false): starts the thread if its first tick is due (it ticks
  // at once) and returns -1; otherwise returns the seconds until it is due.
  // -1 as well when the thread runs, was never deferred or was stopped.
  double start_thread_if_due();
  void stop();
  // Called on the sampling thread after each of its ticks, outside the
  // sampler's locks (set before start()). The JSONL log's sample events, the
  // metrics and the progress line are fed from here; it must be quick.
  void set_on_tick(std::function<void(const TickSample&)> on_tick) {
    on_tick_ = std::move(on_tick);
  }
  // Reads every device now and returns the accumulated figures.
  Snapshot sample_now();
  // The intensity values used so far, each from when it was first used.
  std::vector<IntensityRecord> intensities() const;
  // The current intensity value (what the next reading would use).
  IntensityValue current_intensity();

 private:
  void run();
  void start_thread_locked();
  void read_all_locked(double t_s);
  // read_all_locked() that never throws: on the first exception it says once
  // that sampling stopped and reads nothing more (false then and after).
  bool read_all_guarded_locked(double t_s);
  void say_once(const std::string& message);
  Snapshot totals_locked(double steady_s, double unix_s) const;

  std::vector<std::unique_ptr<Sensor>> sensors_;
  std::vector<size_t> first_device_;  // index of each sensor's first device
  std::vector<DeviceInfo> infos_;
  EnergyEngine engine_;
  IntensityFeed* intensity_;
  const Clock& clock_;
  double tick_s_;
  std::function<void(const std::string&)> say_;

  mutable std::mutex mu_;  // guards everything below and sensor reads
  std::vector<Reading> readings_;
  std::vector<bool> selected_;
  double last_selection_s_ = -1e300;
  std::vector<IntensityRecord> intensities_;
  std::set<std::string> said_;
  bool failed_ = false;  // a read threw: no more reads
  std::function<void(const TickSample&)> on_tick_;
  Snapshot last_tick_;  // the previous tick's totals (the start's at first)

  std::mutex thread_mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool deferred_ = false;  // start(false) was called; no thread yet
  std::chrono::steady_clock::time_point first_tick_;
  CountedThread thread_;
};

}  // namespace carbontracker
