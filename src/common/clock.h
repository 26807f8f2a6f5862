// One clock for the whole library: a steady clock for durations and the
// system clock for timestamps. Tests substitute FakeClock.
#pragma once

#include <atomic>

namespace carbontracker {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds on a monotonic clock (arbitrary origin).
  virtual double steady_s() const = 0;
  // Seconds since the Unix epoch.
  virtual double unix_s() const = 0;
};

class SystemClock : public Clock {
 public:
  double steady_s() const override;
  double unix_s() const override;
  static SystemClock& instance();
};

// A clock that moves only when told to.
class FakeClock : public Clock {
 public:
  explicit FakeClock(double start_s = 1000.0, double unix_offset_s = 1.7e9)
      : now_(start_s), unix_offset_(unix_offset_s) {}
  double steady_s() const override { return now_.load(); }
  double unix_s() const override { return now_.load() + unix_offset_; }
  void advance(double s) { now_.store(now_.load() + s); }
  void set(double s) { now_.store(s); }

 private:
  std::atomic<double> now_;
  double unix_offset_;
};

}  // namespace carbontracker
