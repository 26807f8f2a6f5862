// Cost of one sampling tick (every device read once, energy engine updated,
// intensity looked up) through the Sampler, per number of devices.
#include <benchmark/benchmark.h>

#include <memory>
#include <optional>
#include <vector>

#include "common/clock.h"
#include "energy/sampler.h"
#include "sensors/simulated.h"

namespace carbontracker {
namespace {

class ConstantIntensity : public IntensitySource {
 public:
  IntensityValue current() override {
    IntensityValue v;
    v.g_per_kwh = 481;
    v.source = "bench";
    v.location = "bench";
    return v;
  }
  std::optional<IntensityValue> forecast(double) override { return std::nullopt; }
};

void BM_SamplerTickSimulatedDevices(benchmark::State& state) {
  std::vector<std::unique_ptr<Sensor>> sensors;
  for (int i = 0; i < state.range(0); ++i)
    sensors.push_back(make_simulated_sensor(ComponentKind::kCpu, "cpu", 100, 0.5));
  ConstantIntensity intensity;
  Sampler sampler(std::move(sensors), &intensity, SystemClock::instance(), 3600, nullptr);
  for (auto _ : state) benchmark::DoNotOptimize(sampler.sample_now());
  state.counters["per_device_ns"] = benchmark::Counter(
      static_cast<double>(state.range(0)), benchmark::Counter::kIsIterationInvariantRate |
                                                benchmark::Counter::kInvert);
}
BENCHMARK(BM_SamplerTickSimulatedDevices)->Arg(1)->Arg(4)->Arg(16);

}  // namespace
}  // namespace carbontracker
BENCHMARK_MAIN();
