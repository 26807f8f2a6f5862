// The tracker under a distributed launcher: one process per node measures.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "carbontracker/tracker.h"
#include "common/clock.h"

namespace carbontracker {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/ct_trackdist_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

FakeClock& test_clock() {
  static FakeClock clock;
  return clock;
}

TrackerOptions rank_options(const TempDir& dir, std::ostream& console, int rank) {
  Environment env;
  env.powercap_root = (dir.path / "no-powercap").string();
  env.proc_root = (dir.path / "no-proc").string();
  env.nvml_library = (dir.path / "no-libnvidia-ml.so").string();
  env.rocm_smi_library = (dir.path / "no-librocm_smi64.so").string();
  env.offline = true;
  env.zone_tab = (dir.path / "no-zone.tab").string();
  env.localtime_path = (dir.path / "no-localtime").string();
  env.cache_dir = (dir.path / "cache").string();
  env.vars = {{"RANK", std::to_string(rank)},
              {"LOCAL_RANK", std::to_string(rank)},
              {"WORLD_SIZE", "2"},
              {"LOCAL_WORLD_SIZE", "2"},
              {"GROUP_RANK", "0"},
              {"MASTER_ADDR", "127.0.0.1"},
              {"MASTER_PORT", "29500"}};
  TrackerOptions o;
  o.clock = &test_clock();
  o.epochs = 2;
  o.monitor_epochs = 2;
  o.sim_cpu = "Test CPU";
  o.sim_cpu_tdp = 100;
  o.environment = env;
  o.console = &console;
  o.update_interval = 0.05;
  o.log_dir = (dir.path / "logs").string();
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
  Tracker t(rank_options(dir, console, 1));
  EXPECT_FALSE(t.monitoring());
  run_two_epochs(t);
  EXPECT_EQ(console.str(), "");
  EXPECT_FALSE(fs::exists(dir.path / "logs"));
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
  TrackerOptions o = rank_options(dir, console, 1);
  o.verbose = 2;
  Tracker t(o);
  EXPECT_EQ(console.str(), "CarbonTracker: rank 1 of 2: node measured by local rank 0\n");
}

TEST(TrackerDistributed, LocalRankZeroMeasuresAndLogsTheJob) {
  TempDir dir;
  std::ostringstream console;
  Tracker t(rank_options(dir, console, 0));
  run_two_epochs(t);
  RunResult r = t.result();
  EXPECT_TRUE(r.distributed.measures);
  EXPECT_EQ(r.epochs.size(), 2u);
  EXPECT_NEAR(r.energy_j(false), 2 * 10 * 100 * 0.5, 1e-6);
  EXPECT_NE(console.str().find("CarbonTracker: rank 0 of 2 (torchrun): measures node 0 of 1"),
            std::string::npos)
      << console.str();
  std::string logs = read_all(dir.path / "logs");
  EXPECT_NE(logs.find(R"("job":"torchrun:127.0.0.1:29500")"), std::string::npos) << logs;
  EXPECT_NE(logs.find(R"("launcher":"torchrun")"), std::string::npos);
  EXPECT_NE(logs.find(R"("rank":"0")"), std::string::npos);
  EXPECT_NE(logs.find(R"("world_size":"2")"), std::string::npos);
  EXPECT_NE(logs.find(R"("node":"0")"), std::string::npos);
  EXPECT_NE(logs.find(R"("nodes":"1")"), std::string::npos);
}

TEST(TrackerDistributed, OffMeasuresInEveryRankAndSaysSo) {
  TempDir dir;
  std::ostringstream console;
  TrackerOptions o = rank_options(dir, console, 1);
  o.distributed = "off";
  Tracker t(o);
  run_two_epochs(t);
  EXPECT_EQ(t.result().epochs.size(), 2u);
  EXPECT_NE(console.str().find("CarbonTracker: distributed=off: rank 1 of 2 (torchrun) measures "
                               "everything this node shows"),
            std::string::npos)
      << console.str();
  EXPECT_NE(read_all(dir.path / "logs").find(R"("distributed":"off")"), std::string::npos);
}

TEST(TrackerDistributed, ABadPolicyIsAnInvalidArgument) {
  TempDir dir;
  std::ostringstream console;
  TrackerOptions o = rank_options(dir, console, 0);
  o.distributed = "on";
  try {
    Tracker t(o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_STREQ(e.what(), "Argument distributed expected \"auto\" or \"off\", got 'on'.");
  }
}

}  // namespace
}  // namespace carbontracker
