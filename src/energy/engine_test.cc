#include "energy/engine.h"

#include <gtest/gtest.h>

namespace carbontracker {
namespace {

SensorDevice counter_device(uint64_t range_uj, double max_power_w = 1000) {
  SensorDevice d;
  d.info.name = "cpu:0";
  d.kind = ReadingKind::kEnergyCounter;
  d.counter_unit_j = 1e-6;
  d.counter_range = range_uj;
  d.max_power_w = max_power_w;
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
  // range 100 J; 30 W for 2 s crosses the wrap: 90 J -> 20 J is 30 J of energy... at 15 W/s.
  EnergyEngine e({counter_device(100'000'000)});
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
