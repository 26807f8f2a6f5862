// Cost of one sampling tick (every device read once, energy engine updated,
// intensity looked up) through the Sampler, per number of devices.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "energy/sampler.h"
#include "output/metrics.h"
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
      static_cast<double>(state.range(0)),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SamplerTickSimulatedDevices)->Arg(1)->Arg(4)->Arg(16);

// The same tick followed by what the sampling thread does for the live
// metrics (Tracker::Impl::on_tick): metrics off (range(1) == 0), the text
// re-rendered for the endpoint (1), and also written to the textfile (2).
void BM_TickWithMetrics(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int mode = static_cast<int>(state.range(1));
  std::vector<std::unique_ptr<Sensor>> sensors;
  for (int i = 0; i < n; ++i)
    sensors.push_back(make_simulated_sensor(ComponentKind::kCpu, "cpu", 100, 0.5));
  ConstantIntensity intensity;
  Sampler sampler(std::move(sensors), &intensity, SystemClock::instance(), 3600, nullptr);
  char dir[] = "/tmp/ct_tick_bench_XXXXXX";
  if (!mkdtemp(dir)) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  std::string textfile = std::string(dir) + "/carbontracker.prom";
  std::unique_ptr<LiveMetrics> metrics;
  if (mode > 0) {
    MetricsState st;
    st.version = "bench";
    st.labels = {"4711", "node-1", "0"};
    st.devices = sampler.devices();
    st.epochs_planned = 100;
    LiveMetricsOptions mo;
    if (mode == 2) mo.textfile = textfile;
    metrics = std::make_unique<LiveMetrics>(st, mo, nullptr);
  }
  TickSample tick;
  tick.interval_s = 10;
  tick.power_w.assign(static_cast<size_t>(n), 50.0);
  tick.intensity_g_per_kwh = 481;
  for (auto _ : state) {
    tick.totals = sampler.sample_now();
    if (metrics) metrics->on_tick(tick);
    benchmark::DoNotOptimize(tick);
  }
  metrics.reset();
  unlink(textfile.c_str());
  rmdir(dir);
}
BENCHMARK(BM_TickWithMetrics)->ArgsProduct({{1, 4, 16}, {0, 1, 2}});

}  // namespace
}  // namespace carbontracker
BENCHMARK_MAIN();
