// Cost of one GPU read (one sampling tick per GPU) through the dlopen'ed
// driver library: the fake NVML and ROCm SMI of tests/fake_gpu (build them
// first: cmake --build build --target gpu_bench fake_nvml fake_rocm_smi), and
// the real NVML where the machine has one (BM_NvmlReadReal; skipped without).
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "sensors/gpu/nvml_sensor.h"
#include "sensors/gpu/process_tree.h"
#include "sensors/gpu/rocm_smi_sensor.h"

namespace carbontracker {
namespace {

std::string fake_library(const char* name) {
  return std::string(CT_BINARY_DIR) + "/tests/fake_gpu/lib" + name + ".so";
}

void write_script(const char* env_var, int gpus, bool energy) {
  std::string path = "/tmp/gpu_bench_" + std::to_string(getpid()) + "_" + env_var + ".txt";
  std::ofstream out(path);
  for (int i = 0; i < gpus; ++i) {
    out << "device\nname Bench GPU " << i << "\nuuid GPU-" << i
        << "0000000-0000-0000-0000-000000000000\n"
        << "unique_id " << (i + 1) << "\ntrace 300:0.5,100:0.5\nenergy " << (energy ? 1 : 0)
        << "\n";
  }
  setenv(env_var, path.c_str(), 1);
}

void run_reads(benchmark::State& state, ProbeResult (*probe)(const ProbeContext&),
               const Environment& env) {
  ProbeContext ctx;
  ctx.env = &env;
  ProbeResult r = probe(ctx);
  if (!r.sensor) {
    state.SkipWithError(("no sensor: " + r.unavailable_reason).c_str());
    return;
  }
  std::vector<Reading> out;
  for (auto _ : state) {
    r.sensor->read(out);
    benchmark::DoNotOptimize(out.data());
  }
  size_t gpus = r.sensor->devices().size();
  state.counters["gpus"] = static_cast<double>(gpus);
  state.counters["per_gpu_read"] =
      benchmark::Counter(static_cast<double>(state.iterations() * gpus),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_NvmlReadFake(benchmark::State& state) {
  write_script("FAKE_NVML_SCRIPT", static_cast<int>(state.range(0)), state.range(1) != 0);
  Environment env;
  env.nvml_library = fake_library("fake_nvml");
  run_reads(state, probe_nvml, env);
  state.SetLabel(state.range(1) ? "energy counter" : "power");
}
BENCHMARK(BM_NvmlReadFake)->ArgsProduct({{1, 8}, {1, 0}});

void BM_RocmSmiReadFake(benchmark::State& state) {
  write_script("FAKE_ROCM_SMI_SCRIPT", static_cast<int>(state.range(0)), state.range(1) != 0);
  Environment env;
  env.rocm_smi_library = fake_library("fake_rocm_smi");
  run_reads(state, probe_rocm_smi, env);
  state.SetLabel(state.range(1) ? "energy counter" : "power");
}
BENCHMARK(BM_RocmSmiReadFake)->ArgsProduct({{1, 8}, {1, 0}});

// The real driver, every GPU the process may see (CUDA_VISIBLE_DEVICES applies).
void BM_NvmlReadReal(benchmark::State& state) {
  Environment env = Environment::from_process_env();
  env.nvml_library.clear();
  run_reads(state, probe_nvml, env);
}
BENCHMARK(BM_NvmlReadReal);

// devices_by_pid's re-check walks /proc for the tracked process's descendants.
void BM_ProcessTreeOfThisProcess(benchmark::State& state) {
  size_t pids = 0;
  for (auto _ : state) pids = process_tree_pids("/proc", static_cast<int>(getpid())).size();
  state.counters["pids_in_tree"] = static_cast<double>(pids);
}
BENCHMARK(BM_ProcessTreeOfThisProcess)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace carbontracker

BENCHMARK_MAIN();
