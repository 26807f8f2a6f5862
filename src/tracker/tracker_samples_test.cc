// The JSONL log's per-tick sample lines, written by the tracker from its
// sampling thread while the caller's thread writes the other lines (this
// directory's tests also run under ThreadSanitizer).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "carbontracker/tracker.h"
#include "common/clock.h"
#include "fakes/fake_powercap_tree.h"
#include "tracker/tracker_internal.h"

namespace carbontracker {
namespace {

namespace fs = std::filesystem;

using carbontracker::testing::TempDir;  // tests/fakes/fake_powercap_tree.h

std::vector<nlohmann::json> jsonl_lines(const fs::path& dir) {
  std::vector<nlohmann::json> lines;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".jsonl") continue;
    std::ifstream f(entry.path());
    for (std::string line; std::getline(f, line);) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

TEST(TrackerSamples, EachTickWritesThePowerOfEachDevice) {
  TempDir dir;
  FakeClock clock;
  std::ostringstream console;
  InternalOptions o;
  o.clock = &clock;
  o.epochs = 2;
  o.monitor_epochs = 2;
  o.sim_cpu = "Intel Xeon Gold 6130";
  o.sim_cpu_tdp = 125;  // x 0.5 = 62.5 W
  o.sim_gpu = "NVIDIA A100";
  o.sim_gpu_watts = 400;
  o.sim_gpu_util = 0.75;  // 300 W
  o.environment = Environment{};
  o.environment->powercap_root = (fs::path(dir.path()) / "none").string();
  o.environment->proc_root = (fs::path(dir.path()) / "none").string();
  o.environment->nvml_library = (fs::path(dir.path()) / "none.so").string();
  o.environment->rocm_smi_library = (fs::path(dir.path()) / "none.so").string();
  o.environment->offline = true;
  o.environment->zone_tab = (fs::path(dir.path()) / "none").string();
  o.environment->localtime_path = (fs::path(dir.path()) / "none").string();
  o.environment->cache_dir = (fs::path(dir.path()) / "cache").string();
  o.console = &console;
  o.log_dir = (fs::path(dir.path()) / "logs").string();
  o.update_interval = 0.02;
  {
    InternalTracker tracker(o);
    for (int epoch = 0; epoch < 2; ++epoch) {
      tracker.epoch_start();
      // Ticks come on the real clock; the energy follows the fake one.
      for (int i = 0; i < 15; ++i) {
        clock.advance(0.02);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      tracker.epoch_end();
    }
  }
  std::vector<nlohmann::json> lines = jsonl_lines(fs::path(dir.path()) / "logs");
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines.front()["schema"], 3);
  EXPECT_EQ(lines.back()["event"], "totals");
  ASSERT_EQ(lines.front()["devices"].size(), 2u);
  EXPECT_EQ(lines.front()["devices"][0]["component"], "gpu");
  int samples = 0, with_time = 0;
  double last_time = 0;
  for (const nlohmann::json& j : lines) {
    if (j["event"] != "sample") continue;
    ++samples;
    ASSERT_EQ(j["power_w"].size(), 2u);
    EXPECT_GE(j["time"].get<double>(), last_time);
    last_time = j["time"].get<double>();
    if (j["interval_s"].get<double>() > 0) {
      ++with_time;
      EXPECT_EQ(j["power_w"][0], 300.0);
      EXPECT_EQ(j["power_w"][1], 62.5);
    } else {
      EXPECT_EQ(j["power_w"], nlohmann::json({0.0, 0.0}));
    }
    EXPECT_GT(j["g_per_kwh"].get<double>(), 0);
  }
  EXPECT_GE(samples, 5);
  EXPECT_GE(with_time, 1);
  EXPECT_LE(last_time, lines.back()["time"].get<double>());
}

}  // namespace
}  // namespace carbontracker
