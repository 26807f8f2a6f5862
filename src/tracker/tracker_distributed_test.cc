// The tracker under a distributed launcher: one process per node measures.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "carbontracker/tracker.h"
#include "common/clock.h"
#include "fake_gpu/fake_gpu.h"
#include "fakes/fake_powercap_tree.h"
#include "tracker/tracker_internal.h"

namespace carbontracker {
namespace {

namespace fs = std::filesystem;

using carbontracker::testing::TempDir;  // tests/fakes/fake_powercap_tree.h

FakeClock& test_clock() {
  static FakeClock clock;
  return clock;
}

InternalOptions rank_options(const TempDir& dir, std::ostream& console, int rank) {
  Environment env;
  env.powercap_root = (fs::path(dir.path()) / "no-powercap").string();
  env.proc_root = (fs::path(dir.path()) / "no-proc").string();
  env.nvml_library = (fs::path(dir.path()) / "no-libnvidia-ml.so").string();
  env.rocm_smi_library = (fs::path(dir.path()) / "no-librocm_smi64.so").string();
  env.offline = true;
  env.zone_tab = (fs::path(dir.path()) / "no-zone.tab").string();
  env.localtime_path = (fs::path(dir.path()) / "no-localtime").string();
  env.cache_dir = (fs::path(dir.path()) / "cache").string();
  env.vars = {{"RANK", std::to_string(rank)},
              {"LOCAL_RANK", std::to_string(rank)},
              {"WORLD_SIZE", "2"},
              {"LOCAL_WORLD_SIZE", "2"},
              {"GROUP_RANK", "0"},
              {"MASTER_ADDR", "127.0.0.1"},
              {"MASTER_PORT", "29500"},
              // Local rank 0 takes the job's node lock: in this test's own
              // directory, or a test run at the same time would hold it.
              {"XDG_RUNTIME_DIR", dir.path()}};
  InternalOptions o;
  o.clock = &test_clock();
  o.epochs = 2;
  o.monitor_epochs = 2;
  o.sim_cpu = "Test CPU";
  o.sim_cpu_tdp = 100;
  o.environment = env;
  o.console = &console;
  o.update_interval = 0.05;
  o.log_dir = (fs::path(dir.path()) / "logs").string();
  return o;
}

void run_two_epochs(Tracker& t) {
  for (int e = 0; e < 2; ++e) {
    t.epoch_start();
    test_clock().advance(10);
    t.epoch_end();
  }
  t.stop();
}

std::string read_all(const fs::path& dir) {
  std::string all;
  for (const auto& f : fs::directory_iterator(dir)) {
    std::ifstream in(f.path());
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  return all;
}

TEST(TrackerDistributed, OtherRanksMeasureNothingSayNothingWriteNothing) {
  TempDir dir;
  std::ostringstream console;
  InternalTracker t(rank_options(dir, console, 1));
  EXPECT_FALSE(t.monitoring());
  run_two_epochs(t);
  EXPECT_EQ(console.str(), "");
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / "logs"));
  RunResult r = t.result();
  EXPECT_FALSE(r.distributed.measures);
  EXPECT_EQ(r.distributed.measured_by, "local rank 0");
  EXPECT_EQ(r.distributed.message, "rank 1 of 2: node measured by local rank 0");
  EXPECT_EQ(r.messages, std::vector<std::string>{r.distributed.message});
  EXPECT_TRUE(r.devices.empty());
  EXPECT_TRUE(r.epochs.empty());
  EXPECT_TRUE(r.finished);
}

TEST(TrackerDistributed, OtherRanksSayWhoMeasuresAtVerbose2) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = rank_options(dir, console, 1);
  o.verbose = 2;
  InternalTracker t(o);
  EXPECT_EQ(console.str(), "CarbonTracker: rank 1 of 2: node measured by local rank 0\n");
}

TEST(TrackerDistributed, LocalRankZeroMeasuresAndLogsTheJob) {
  TempDir dir;
  std::ostringstream console;
  InternalTracker t(rank_options(dir, console, 0));
  run_two_epochs(t);
  RunResult r = t.result();
  EXPECT_TRUE(r.distributed.measures);
  EXPECT_EQ(r.epochs.size(), 2u);
  EXPECT_NEAR(r.energy_j(false), 2 * 10 * 100 * 0.5, 1e-6);
  // A note: in the log, on the console at verbose 2 only.
  EXPECT_EQ(console.str().find("rank 0 of 2 (torchrun): measures node 0 of 1"), std::string::npos)
      << console.str();
  std::string logs = read_all(fs::path(dir.path()) / "logs");
  EXPECT_NE(logs.find(" - rank 0 of 2 (torchrun): measures node 0 of 1"), std::string::npos);
  EXPECT_NE(logs.find(R"("job":"torchrun:127.0.0.1:29500")"), std::string::npos) << logs;
  EXPECT_NE(logs.find(R"("launcher":"torchrun")"), std::string::npos);
  EXPECT_NE(logs.find(R"("rank":"0")"), std::string::npos);
  EXPECT_NE(logs.find(R"("world_size":"2")"), std::string::npos);
  EXPECT_NE(logs.find(R"("node":"0")"), std::string::npos);
  EXPECT_NE(logs.find(R"("nodes":"1")"), std::string::npos);
}

// Two trackers of one Slurm job step that both claim local rank 0 on this
// node (two trainings started in one batch script without srun): the first
// measures, the second says so at verbose 1 and measures nothing.
TEST(TrackerDistributed, ASecondClaimToLocalRankZeroSaysSoAndMeasuresNothing) {
  TempDir dir;
  auto batch = [&](std::ostream& console) {
    InternalOptions o = rank_options(dir, console, 0);
    o.environment->vars = {{"SLURM_JOB_ID", "91"},       {"SLURM_PROCID", "0"},
                           {"SLURM_LOCALID", "0"},       {"SLURM_NTASKS", "1"},
                           {"SLURM_JOB_NUM_NODES", "1"}, {"XDG_RUNTIME_DIR", dir.path()}};
    return o;
  };
  int ready[2], release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  pid_t first = fork();
  if (first == 0) {
    std::ostringstream console;
    InternalTracker t(batch(console));
    char c = t.result().distributed.measures ? 'y' : 'n';
    [[maybe_unused]] ssize_t n = write(ready[1], &c, 1);
    n = read(release[0], &c, 1);
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  EXPECT_EQ(c, 'y');
  std::ostringstream console;
  InternalOptions o = batch(console);
  o.log_dir = (fs::path(dir.path()) / "second-logs").string();
  InternalTracker second(o);
  EXPECT_FALSE(second.monitoring());
  run_two_epochs(second);
  RunResult r = second.result();
  EXPECT_FALSE(r.distributed.measures);
  EXPECT_TRUE(r.epochs.empty());
  EXPECT_EQ(console.str(), "CarbonTracker: " + r.distributed.message + "\n");
  EXPECT_NE(r.distributed.message.find("rank 0 of 1: node measured by pid " +
                                       std::to_string(first) + ", holder of the node lock "),
            std::string::npos)
      << r.distributed.message;
  EXPECT_NE(r.distributed.message.find("both claim local rank 0 of job 91 on this node"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / "second-logs"));
  ASSERT_EQ(write(release[1], "x", 1), 1);
  waitpid(first, nullptr, 0);
  for (int fd : {ready[0], ready[1], release[0], release[1]}) close(fd);
}

TEST(TrackerDistributed, OffMeasuresInEveryRankAndSaysSo) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = rank_options(dir, console, 1);
  o.distributed = "off";
  InternalTracker t(o);
  run_two_epochs(t);
  EXPECT_EQ(t.result().epochs.size(), 2u);
  EXPECT_NE(console.str().find("CarbonTracker: distributed=off: rank 1 of 2 (torchrun) measures "
                               "everything this node shows"),
            std::string::npos)
      << console.str();
  EXPECT_NE(read_all(fs::path(dir.path()) / "logs").find(R"("distributed":"off")"),
            std::string::npos);
}

TEST(TrackerDistributed, ABadPolicyIsAnInvalidArgument) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = rank_options(dir, console, 0);
  o.distributed = "on";
  try {
    InternalTracker t(o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_STREQ(e.what(), "Argument distributed expected \"auto\" or \"off\", got 'on'.");
  }
}

// With devices_by_pid the node's measuring rank counts the GPUs of every
// local rank: its siblings under the launcher's process, not only its own
// descendants. This test process plays the launcher; "rank 1" (a child
// that only waits) runs on the GPU, "rank 0" (another child) builds the
// tracker and reports through its exit status whether the GPU counts.
TEST(TrackerDistributed, DevicesByPidCountsTheGpusOfEveryLocalRank) {
  pid_t rank1 = fork();
  if (rank1 == 0) {
    pause();
    _exit(0);
  }
  testing::write_fake_script(
      "FAKE_NVML_SCRIPT",
      "clock manual\ndevice\nname NVIDIA A100-SXM4-40GB\nuuid "
      "GPU-8f3c1a22-0000-1111-2222-333344445555\ntrace 300:1\ncompute_pids " +
          std::to_string(rank1) + "\n");
  for (const char* policy : {"auto", "off"}) {
    TempDir dir;
    pid_t rank0 = fork();
    if (rank0 == 0) {
      std::ostringstream console;
      InternalOptions o = rank_options(dir, console, 0);
      o.sim_cpu.reset();
      o.sim_cpu_tdp.reset();
      o.components = "gpu";
      o.devices_by_pid = true;
      o.distributed = policy;
      o.environment->proc_root = "/proc";
      o.environment->nvml_library = testing::fake_gpu_library_path("fake_nvml");
      InternalTracker t(o);
      t.stop();
      std::string logs = read_all(fs::path(dir.path()) / "logs");
      bool counted = logs.find("no GPU runs the tracked process") == std::string::npos;
      bool said = logs.find("devices_by_pid: GPUs used by the processes under pid " +
                            std::to_string(getppid())) != std::string::npos;
      _exit(counted && said ? 10 : counted ? 11 : said ? 12 : 13);
    }
    int status = 0;
    waitpid(rank0, &status, 0);
    ASSERT_TRUE(WIFEXITED(status)) << policy;
    // auto: counted, and the log says whose processes count; off: rank 0's
    // own descendants only, so rank 1's GPU does not count.
    EXPECT_EQ(WEXITSTATUS(status), std::string(policy) == "auto" ? 10 : 13) << policy;
  }
  kill(rank1, SIGTERM);
  waitpid(rank1, nullptr, 0);
  unsetenv("FAKE_NVML_SCRIPT");
}

}  // namespace
}  // namespace carbontracker
