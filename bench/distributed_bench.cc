// Cost at tracker construction of deciding who measures a node: the launcher
// detection from the environment, and the node lock where the launcher does
// not name the local rank (first taker, and a process that finds it held).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tracker/distributed.h"

namespace carbontracker {
namespace {

namespace fs = std::filesystem;

Environment torchrun_env() {
  Environment env = Environment::from_process_env();
  env.vars.insert({{"RANK", "5"},
                   {"LOCAL_RANK", "1"},
                   {"WORLD_SIZE", "8"},
                   {"LOCAL_WORLD_SIZE", "4"},
                   {"GROUP_RANK", "1"},
                   {"TORCHELASTIC_RUN_ID", "bench"},
                   {"MASTER_ADDR", "10.0.0.1"},
                   {"MASTER_PORT", "29500"}});
  return env;
}

fs::path bench_dir() {
  char tmpl[] = "/tmp/ct_bench_lock_XXXXXX";
  return mkdtemp(tmpl);
}

// Reading the process environment (done once per tracker anyway) and
// recognising the launcher in it.
void BM_ReadEnvironmentAndDetect(benchmark::State& state) {
  setenv("RANK", "5", 1);
  setenv("LOCAL_RANK", "1", 1);
  setenv("WORLD_SIZE", "8", 1);
  setenv("MASTER_ADDR", "10.0.0.1", 1);
  for (auto _ : state) benchmark::DoNotOptimize(detect_launcher(Environment::from_process_env()));
  for (const char* v : {"RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR"}) unsetenv(v);
}
BENCHMARK(BM_ReadEnvironmentAndDetect);

// The whole decision where the launcher names the local rank (no lock).
void BM_ResolveByLocalRank(benchmark::State& state) {
  Environment env = torchrun_env();
  for (auto _ : state) benchmark::DoNotOptimize(resolve_distributed("auto", env, "host", 1));
}
BENCHMARK(BM_ResolveByLocalRank);

// The first process of a job takes the node lock: open + flock + pid write.
void BM_ResolveTakingTheNodeLock(benchmark::State& state) {
  fs::path dir = bench_dir();
  Environment env;
  env.vars = {{"PMI_RANK", "0"}, {"PMI_SIZE", "8"}};
  long job = 0;
  for (auto _ : state) {
    env.vars["PMI_KVSNAME"] = "kvs_" + std::to_string(++job);  // a new job each time
    benchmark::DoNotOptimize(resolve_distributed("auto", env, "host", 1, dir));
  }
  fs::remove_all(dir);
}
// Each lock taken stays held (its descriptor open) until the process ends,
// as in a tracker: few iterations, to stay far below the descriptor limit.
BENCHMARK(BM_ResolveTakingTheNodeLock)->Iterations(200);

// Another process of the job holds the lock: open + failed flock + reading
// the holder's pid.
void BM_ResolveFindingTheLockHeld(benchmark::State& state) {
  fs::path dir = bench_dir();
  std::string path = (dir / NodeLock::file_name("mpich:held")).string();
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  flock(fd, LOCK_EX);
  [[maybe_unused]] ssize_t n = write(fd, "4242\n", 5);
  Environment env;
  env.vars = {{"PMI_RANK", "1"}, {"PMI_SIZE", "8"}, {"PMI_KVSNAME", "held"}};
  for (auto _ : state) benchmark::DoNotOptimize(resolve_distributed("auto", env, "host", 1, dir));
  close(fd);
  fs::remove_all(dir);
}
BENCHMARK(BM_ResolveFindingTheLockHeld);

}  // namespace
}  // namespace carbontracker

BENCHMARK_MAIN();
