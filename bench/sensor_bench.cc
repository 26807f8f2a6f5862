// Cost of one sensor read: RAPL zones on a fake powercap tree (1, 2, 4
// zones; the per_zone counter divides by the zone count) and the CPU
// estimate on a fixture /proc and on this machine's /proc.
//
// The fake tree lives on the file system of $TMPDIR (tmpfs or disk), so the
// RAPL figure is the sensor's own cost (path handling, open/read/close,
// parsing); on real sysfs the kernel adds its MSR read.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "common/clock.h"
#include "fakes/fake_powercap_tree.h"
#include "sensors/cpu_estimate.h"
#include "sensors/rapl.h"

namespace carbontracker {
namespace {

void BM_RaplRead(benchmark::State& state) {
  const int zones = static_cast<int>(state.range(0));
  testing::TempDir root;
  for (int i = 0; i < zones; ++i)
    testing::write_zone(root / ("intel-rapl:" + std::to_string(i)), "package-" + std::to_string(i),
                        1000000 + i);
  Environment env;
  env.powercap_root = root.path();
  ProbeContext ctx;
  ctx.env = &env;
  ctx.clock = &SystemClock::instance();
  ProbeResult r = probe_rapl(ctx);
  if (!r.sensor || static_cast<int>(r.sensor->devices().size()) != zones) {
    state.SkipWithError("probe did not find the fake zones");
    return;
  }
  std::vector<Reading> out(r.sensor->devices().size());
  for (auto _ : state) {
    r.sensor->read(out);
    benchmark::DoNotOptimize(out.data());
  }
  if (out[0].status != ReadStatus::kOk) state.SkipWithError("read failed");
  state.counters["per_zone"] = benchmark::Counter(
      zones, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_RaplRead)->Arg(1)->Arg(2)->Arg(4);

void run_estimate(benchmark::State& state, const Environment& env) {
  ProbeContext ctx;
  ctx.env = &env;
  ctx.clock = &SystemClock::instance();
  ProbeResult r = probe_cpu_estimate(ctx);
  std::vector<Reading> out(r.sensor->devices().size());
  for (auto _ : state) {
    r.sensor->read(out);
    benchmark::DoNotOptimize(out.data());
  }
}

void BM_CpuEstimateReadFixture(benchmark::State& state) {
  testing::TempDir proc;
  std::string stat = "cpu  1000 0 500 8000 100 0 0 0 0 0\n";
  for (int i = 0; i < 64; ++i) stat += "cpu" + std::to_string(i) + " 10 0 5 80 1 0 0 0 0 0\n";
  stat += "intr 1 2 3\nctxt 4\nbtime 5\n";
  testing::write_file(proc / "stat", stat);
  testing::write_file(proc / "cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\n");
  testing::write_file(proc / "meminfo", "MemTotal: 16000000 kB\n");
  Environment env;
  env.proc_root = proc.path();
  run_estimate(state, env);
}
BENCHMARK(BM_CpuEstimateReadFixture);

void BM_CpuEstimateReadThisMachine(benchmark::State& state) { run_estimate(state, Environment()); }
BENCHMARK(BM_CpuEstimateReadThisMachine);

}  // namespace
}  // namespace carbontracker

BENCHMARK_MAIN();
