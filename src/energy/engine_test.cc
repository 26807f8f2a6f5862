#include "energy/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace carbontracker {
namespace {

SensorDevice counter_device(uint64_t range_uj, double max_power_w = 1000,
                            double counter_update_s = 0) {
  SensorDevice d;
  d.info.name = "cpu:0";
  d.kind = ReadingKind::kEnergyCounter;
  d.counter_unit_j = 1e-6;
  d.counter_range = range_uj;
  d.max_power_w = max_power_w;
  d.counter_update_s = counter_update_s;
  return d;
}

SensorDevice power_device() {
  SensorDevice d;
  d.info.name = "gpu";
  d.kind = ReadingKind::kPower;
  return d;
}

Reading counter(uint64_t v) {
  Reading r;
  r.counter = v;
  return r;
}

Reading power(double w) {
  Reading r;
  r.power_w = w;
  return r;
}

TEST(EnergyEngine, CounterDeltasAreSummed) {
  EnergyEngine e({counter_device(0)});
  std::vector<std::string> ev;
  e.apply(0, 0.0, counter(5'000'000), 100, ev);
  e.apply(0, 1.0, counter(15'000'000), 100, ev);
  e.apply(0, 2.0, counter(45'000'000), 100, ev);
  EXPECT_DOUBLE_EQ(e.energy_j(0), 40.0);
  EXPECT_DOUBLE_EQ(e.co2_g(0), 40.0 / 3.6e6 * 100);
  EXPECT_TRUE(ev.empty());
}

TEST(EnergyEngine, WrapAroundAddsTheRange) {
  // range 100 J; 15 W for 2 s crosses the wrap: 90 J -> 20 J is 30 J of energy.
  // At most 45 W, the counter covers 2.2 s: no reading here is a gap.
  EnergyEngine e({counter_device(100'000'000, 45)});
  std::vector<std::string> ev;
  e.apply(0, 0.0, counter(90'000'000), 481, ev);
  e.apply(0, 2.0, counter(20'000'000), 481, ev);
  EXPECT_DOUBLE_EQ(e.energy_j(0), 30.0);
  EXPECT_TRUE(ev.empty());
  // Several wraps, each seen.
  for (int k = 1; k <= 5; ++k)
    e.apply(0, 2.0 + k, counter((20'000'000 + k * 60'000'000ull) % 100'000'000), 481, ev);
  EXPECT_DOUBLE_EQ(e.energy_j(0), 30.0 + 5 * 60.0);
  EXPECT_TRUE(ev.empty());
}

TEST(EnergyEngine, BackwardsJumpBeyondOneWrapIsAResetAndDropped) {
  // 1000 W max: in 1 s at most ~1.5 kJ; a "wrap" would imply 999 kJ.
  EnergyEngine e({counter_device(1'000'000'000'000ull, 1000)});
  std::vector<std::string> ev;
  e.apply(0, 0.0, counter(500'000'000), 481, ev);
  e.apply(0, 1.0, counter(600'000'000), 481, ev);  // +100 J
  e.apply(0, 2.0, counter(1'000'000), 481, ev);    // reset
  e.apply(0, 3.0, counter(51'000'000), 481, ev);   // +50 J after the reset
  EXPECT_DOUBLE_EQ(e.energy_j(0), 150.0);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_NE(ev[0].find("reset"), std::string::npos);
}

// The case seen on a quiet machine: a tick read a counter that its writer
// had not refreshed for a few milliseconds, and an epoch boundary read it
// 1 ms later, just after a wrap. 3.5 J in 1 ms is implausible, but not over
// the time the two readings can span (1 ms + the refresh period).
TEST(EnergyEngine, WrapReadJustAfterAStaleReadingIsAWrap) {
  const uint64_t range = 20'000'000;
  EnergyEngine fresh({counter_device(range, 1000, 0.01)});
  std::vector<std::string> ev;
  fresh.apply(0, 10.000, counter(17'919'884), 481, ev, 10.0002);
  fresh.apply(0, 10.001, counter(1'452'837), 481, ev, 10.0012);
  EXPECT_NEAR(fresh.energy_j(0), 3.532953, 1e-9);
  EXPECT_TRUE(ev.empty()) << ev[0];

  // A counter that claims to be current (refresh 0) is judged over the read
  // times alone: then the same jump is a reset.
  EnergyEngine current({counter_device(range, 1000, 0)});
  current.apply(0, 10.000, counter(17'919'884), 481, ev, 10.0002);
  current.apply(0, 10.001, counter(1'452'837), 481, ev, 10.0012);
  EXPECT_EQ(current.energy_j(0), 0.0);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_NE(ev[0].find("went back from 17919884 to 1452837"), std::string::npos) << ev[0];
}

// A counter refreshed every 5 ms, wrapping every 67 ms at 300 W, read at
// uneven instants (ticks, boundary reads 1 ms after a tick, reads that took
// a while): the sum of the deltas is the energy between the first and the
// last refresh seen, exactly.
TEST(EnergyEngine, SteppedCounterReadWithJitterIsExact) {
  const uint64_t range = 20'000'000;
  const double watts = 300, refresh_s = 0.005;
  EnergyEngine e({counter_device(range, 1000, refresh_s)});
  auto published_uj = [&](double t) {
    return static_cast<uint64_t>(watts * refresh_s * std::floor(t / refresh_s) * 1e6);
  };
  std::vector<std::string> ev;
  double t = 0;
  const double gaps_s[] = {0.009, 0.001, 0.0097, 0.0003, 0.008, 0.001, 0.0099};
  const double read_s[] = {0.0001, 0.0004, 0.0, 0.002, 0.0001};
  double first_end = -1, read_end = 0;
  for (int k = 0; k < 700; ++k) {
    t = std::max(t + gaps_s[k % 7], read_end);  // reads are serialised
    read_end = t + read_s[k % 5];
    e.apply(0, t, counter(published_uj(read_end) % range), 481, ev, read_end);
    if (first_end < 0) first_end = read_end;
  }
  EXPECT_NEAR(e.energy_j(0), (published_uj(read_end) - published_uj(first_end)) * 1e-6, 1e-6);
  EXPECT_GT(e.energy_j(0), 50 * 20.0);  // wrapped over 50 times
  EXPECT_TRUE(ev.empty()) << ev[0];
}

// A sampler held up longer than the counter can cover at max_power_w (here
// 20 J at 1000 W: 20 ms) may have missed wraps: the fewest wraps that explain
// the readings are counted, and the gap is reported once per device.
TEST(EnergyEngine, GapLongerThanTheCounterCoversIsReportedOnce) {
  const uint64_t range = 20'000'000;
  EnergyEngine e({counter_device(range, 1000, 0.001), counter_device(0)});
  std::vector<std::string> ev;
  e.apply(0, 0.000, counter(1'000'000), 481, ev);
  e.apply(0, 0.010, counter(2'000'000), 481, ev);  // +1 J, within reach
  e.apply(0, 0.510, counter(5'000'000), 481, ev);  // 0.5 s later: +3 J (or 23, 43, ...)
  EXPECT_DOUBLE_EQ(e.energy_j(0), 4.0);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_NE(ev[0].find("cpu:0 was not read for 0.500 s, longer than the 0.020 s in which its "
                       "energy counter can wrap at 1000 W"),
            std::string::npos)
      << ev[0];
  e.apply(0, 1.510, counter(1'000'000), 481, ev);  // another gap, through a wrap: +16 J
  EXPECT_DOUBLE_EQ(e.energy_j(0), 20.0);
  EXPECT_EQ(ev.size(), 1u);  // said once
  // A counter that never wraps has no such gap.
  e.apply(1, 0.0, counter(0), 481, ev);
  e.apply(1, 100.0, counter(5'000'000), 481, ev);
  EXPECT_EQ(ev.size(), 1u);
}

TEST(EnergyEngine, CounterWithoutRangeGoingBackIsAReset) {
  EnergyEngine e({counter_device(0)});
  std::vector<std::string> ev;
  e.apply(0, 0.0, counter(10'000'000), 481, ev);
  e.apply(0, 1.0, counter(5'000'000), 481, ev);
  e.apply(0, 2.0, counter(7'000'000), 481, ev);
  EXPECT_DOUBLE_EQ(e.energy_j(0), 2.0);
  EXPECT_EQ(ev.size(), 1u);
}

TEST(EnergyEngine, PowerIsIntegratedByTrapezoid) {
  EnergyEngine e({power_device()});
  std::vector<std::string> ev;
  e.apply(0, 0.0, power(100), 481, ev);
  e.apply(0, 1.0, power(200), 481, ev);  // 150 J
  e.apply(0, 3.0, power(200), 481, ev);  // 400 J
  EXPECT_DOUBLE_EQ(e.energy_j(0), 550.0);
}

TEST(EnergyEngine, MixedSourcesAndIntensityIsTimeAligned) {
  EnergyEngine e({counter_device(0), power_device()});
  std::vector<std::string> ev;
  e.apply(0, 0.0, counter(0), 100, ev);
  e.apply(1, 0.0, power(50), 100, ev);
  e.apply(0, 1.0, counter(10'000'000), 100, ev);  // 10 J at 100 g/kWh
  e.apply(1, 1.0, power(50), 100, ev);            // 50 J at 100
  e.apply(0, 2.0, counter(20'000'000), 300, ev);  // 10 J at 300
  e.apply(1, 2.0, power(50), 300, ev);            // 50 J at 300
  EXPECT_DOUBLE_EQ(e.energy_j(0), 20.0);
  EXPECT_DOUBLE_EQ(e.energy_j(1), 100.0);
  EXPECT_NEAR(e.co2_g(0), (10 * 100 + 10 * 300) / 3.6e6, 1e-15);
  EXPECT_NEAR(e.co2_g(1), (50 * 100 + 50 * 300) / 3.6e6, 1e-15);
}

TEST(EnergyEngine, LostDeviceKeepsItsFiguresAndIsSaidOnce) {
  EnergyEngine e({counter_device(0)});
  std::vector<std::string> ev;
  e.apply(0, 0.0, counter(0), 481, ev);
  e.apply(0, 1.0, counter(7'000'000), 481, ev);
  Reading lost;
  lost.status = ReadStatus::kLost;
  lost.message = "GPU is lost";
  e.apply(0, 2.0, lost, 481, ev);
  e.apply(0, 3.0, lost, 481, ev);
  e.apply(0, 4.0, counter(99'000'000), 481, ev);
  EXPECT_DOUBLE_EQ(e.energy_j(0), 7.0);
  EXPECT_TRUE(e.lost(0));
  EXPECT_EQ(ev.size(), 1u);
}

TEST(EnergyEngine, RetryReadsAreSkippedWithoutLosingEnergy) {
  EnergyEngine e({counter_device(0)});
  std::vector<std::string> ev;
  e.apply(0, 0.0, counter(0), 481, ev);
  Reading retry;
  retry.status = ReadStatus::kRetry;
  e.apply(0, 1.0, retry, 481, ev);
  e.apply(0, 2.0, counter(9'000'000), 481, ev);
  EXPECT_DOUBLE_EQ(e.energy_j(0), 9.0);
}

TEST(EnergyEngine, PauseDoesNotCountTheGap) {
  EnergyEngine e({power_device()});
  std::vector<std::string> ev;
  e.apply(0, 0.0, power(100), 481, ev);
  e.apply(0, 1.0, power(100), 481, ev);
  e.pause(0);
  e.apply(0, 10.0, power(100), 481, ev);
  e.apply(0, 11.0, power(100), 481, ev);
  EXPECT_DOUBLE_EQ(e.energy_j(0), 200.0);
}

TEST(EnergyEngine, SafeIntervalKeepsCountersFromWrappingTwice) {
  // 50 J range at 1000 W: half a wrap period is 25 ms.
  EnergyEngine e({counter_device(50'000'000, 1000), power_device()});
  EXPECT_DOUBLE_EQ(e.max_safe_interval_s(), 0.025);
  SensorDevice sampled = power_device();
  sampled.max_interval_s = 0.1;
  EnergyEngine f({sampled});
  EXPECT_DOUBLE_EQ(f.max_safe_interval_s(), 0.1);
}

}  // namespace
}  // namespace carbontracker
