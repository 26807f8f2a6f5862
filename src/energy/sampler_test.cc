#include "energy/sampler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

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

// A simulated sensor whose reads throw from the `fail_at`-th on.
class ThrowingSensor : public Sensor {
 public:
  explicit ThrowingSensor(int fail_at)
      : inner_(make_simulated_sensor(ComponentKind::kCpu, "sim", 100.0, 0.5)), fail_at_(fail_at) {}
  const std::vector<SensorDevice>& devices() const override { return inner_->devices(); }
  void read(std::vector<Reading>& out) override {
    if (++reads >= fail_at_) throw std::runtime_error("sensor exploded");
    inner_->read(out);
  }
  std::atomic<int> reads{0};

 private:
  std::unique_ptr<Sensor> inner_;
  int fail_at_;
};

TEST(Sampler, AThrowingSensorStopsSamplingWithTheFiguresSoFar) {
  std::vector<std::unique_ptr<Sensor>> sensors;
  auto owned = std::make_unique<ThrowingSensor>(3);  // start, one tick, then throws
  ThrowingSensor* sensor = owned.get();
  sensors.push_back(std::move(owned));
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> said;
  std::vector<TickSample> ticks;
  Sampler sampler(std::move(sensors), nullptr, SystemClock::instance(), 0.01,
                  [&](const std::string& m) {
                    std::lock_guard<std::mutex> lock(mu);
                    said.push_back(m);
                    cv.notify_all();
                  });
  sampler.set_on_tick([&](const TickSample& s) {
    std::lock_guard<std::mutex> lock(mu);
    ticks.push_back(s);
  });
  sampler.start();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return !said.empty(); }));
  }
  Snapshot after = sampler.sample_now();
  Snapshot again = sampler.sample_now();
  sampler.stop();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(said, std::vector<std::string>{
                      "Energy sampling stopped after an internal error (sensor exploded): the "
                      "figures are those measured so far."});
  EXPECT_EQ(sensor->reads.load(), 3);  // nothing read after the failure
  ASSERT_EQ(ticks.size(), 1u);
  ASSERT_EQ(after.energy_j.size(), 1u);
  EXPECT_GT(after.energy_j[0], 0);
  EXPECT_DOUBLE_EQ(after.energy_j[0], ticks[0].totals.energy_j[0]);
  EXPECT_DOUBLE_EQ(again.energy_j[0], after.energy_j[0]);
}

}  // namespace
}  // namespace carbontracker
