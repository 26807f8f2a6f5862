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
#include "fakes/fake_hwmon_tree.h"
#include "output/metrics.h"
#include "sensors/hwmon.h"
#include "sensors/rapl.h"
#include "sensors/simulated.h"

namespace carbontracker {
namespace {

class ConstantIntensity : public IntensityFeed {
 public:
  IntensityValue current() override {
    IntensityValue v;
    v.g_per_kwh = 481;
    v.source = "bench";
    v.location = "bench";
    return v;
  }
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

// A whole tick with real sensors on fake trees (files in /tmp), side by side:
// today's x86 node (RAPL, 2 packages + 2 DRAM zones: 4 counters) against a
// Grace node (hwmon, 2 sockets x 4 rails = 8 power files, of which the tick
// reads the 2 Grace rails (CPU) and the 2 module rails (node)).
void BM_SamplerTickRapl2Sockets(benchmark::State& state) {
  testing::TempDir root;
  for (int i = 0; i < 2; ++i) {
    std::string zone = root / ("intel-rapl:" + std::to_string(i));
    testing::write_zone(zone, "package-" + std::to_string(i), 1000 + 7 * i);
    testing::write_zone(zone + "/intel-rapl:" + std::to_string(i) + ":0", "dram", 2000 + 7 * i);
  }
  Environment env;
  env.powercap_root = root.path();
  ProbeContext ctx;
  ctx.env = &env;
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(probe_rapl(ctx).sensor);
  ConstantIntensity intensity;
  Sampler sampler(std::move(sensors), &intensity, SystemClock::instance(), 3600, nullptr);
  state.counters["files_read"] = static_cast<double>(sampler.devices().size());
  for (auto _ : state) benchmark::DoNotOptimize(sampler.sample_now());
}
BENCHMARK(BM_SamplerTickRapl2Sockets);

void BM_SamplerTickGrace2Sockets(benchmark::State& state) {
  testing::TempDir root;
  int n = testing::write_grace_socket(root.path(), 0, 0, 400, 180, 40);
  testing::write_grace_socket(root.path(), n, 1, 380, 150, 30);
  Environment env;
  env.hwmon_root = root.path();
  ProbeContext ctx;
  ctx.env = &env;
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(probe_hwmon_grace(ctx).sensor);
  sensors.push_back(probe_hwmon_node(ctx).sensor);
  ConstantIntensity intensity;
  Sampler sampler(std::move(sensors), &intensity, SystemClock::instance(), 3600, nullptr);
  state.counters["files_read"] = static_cast<double>(sampler.devices().size());
  for (auto _ : state) benchmark::DoNotOptimize(sampler.sample_now());
}
BENCHMARK(BM_SamplerTickGrace2Sockets);

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
