#include "energy/sampler.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "common/clock.h"
#include "sensors/simulated.h"

namespace carbontracker {
namespace {

TEST(Sampler, EachTickReportsTheTotalsAndThePowerSinceThePreviousTick) {
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(make_simulated_sensor(ComponentKind::kCpu, "sim", 100.0, 0.5));
  sensors.push_back(make_simulated_sensor(ComponentKind::kGpu, "simgpu", 300.0, 1.0));
  Sampler sampler(std::move(sensors), nullptr, SystemClock::instance(), 0.01, nullptr);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<TickSample> ticks;
  sampler.set_on_tick([&](const TickSample& s) {
    std::lock_guard<std::mutex> lock(mu);
    ticks.push_back(s);
    cv.notify_all();
  });
  sampler.start();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return ticks.size() >= 3; }));
  }
  sampler.stop();
  std::lock_guard<std::mutex> lock(mu);
  double previous_end = 0;
  for (size_t k = 0; k < ticks.size(); ++k) {
    const TickSample& t = ticks[k];
    ASSERT_EQ(t.power_w.size(), 2u);
    EXPECT_NEAR(t.power_w[0], 50.0, 1e-6);  // 100 W x 0.5
    EXPECT_NEAR(t.power_w[1], 300.0, 1e-6);
    EXPECT_GT(t.interval_s, 0);
    if (k > 0) {
      EXPECT_NEAR(t.totals.steady_s - ticks[k - 1].totals.steady_s, t.interval_s, 1e-9);
    }
    // The totals are the sums of power x interval over the ticks so far
    // (plus any reading between them; none here).
    EXPECT_NEAR(t.totals.energy_j[0], previous_end + 50.0 * t.interval_s, 1e-6);
    previous_end = t.totals.energy_j[0];
  }
}

}  // namespace
}  // namespace carbontracker
