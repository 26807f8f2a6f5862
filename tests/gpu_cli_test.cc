// End-to-end: the real carbontracker binary measuring the fake NVML's GPUs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "fake_gpu/fake_gpu.h"

namespace carbontracker {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Device 0 reads an energy counter at 250 W; device 1 only power, at 100 W.
const char* kScript = R"(device
name NVIDIA A100-SXM4-40GB
uuid GPU-8f3c1a22-0000-1111-2222-333344445555
trace 250:1
energy_start 5000000
device
name Tesla P100-PCIE-16GB
uuid GPU-11111111-0000-1111-2222-333344445555
energy 0
trace 100:1
)";

class GpuCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/gpu_cli_" + std::to_string(getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    script_ = dir_ + "/script.txt";
    std::ofstream(script_) << read_log() << kScript;
  }

  // Runs the CLI with the fake NVML; returns its exit status, output in output_.
  int run(const std::string& env, const std::string& args) {
    std::string cmd =
        "env CARBONTRACKER_OFFLINE=1 CARBONTRACKER_ROCM_SMI_LIBRARY=/nonexistent.so " + env + " " +
        CT_CLI_PATH + " --log-dir " + dir_ + "/logs " + args + " > " + dir_ + "/output.txt 2>&1";
    int status = std::system(cmd.c_str());
    std::ifstream in(dir_ + "/output.txt");
    std::stringstream ss;
    ss << in.rdbuf();
    output_ = ss.str();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string fake_env() const {
    return "CARBONTRACKER_NVML_LIBRARY=" + testing::fake_gpu_library_path("fake_nvml") +
           " FAKE_NVML_SCRIPT=" + script_;
  }
  nlohmann::json record() const {
    std::ifstream in(dir_ + "/out.json");
    return nlohmann::json::parse(in);
  }
  // The fake's log of the energy counter reads of `device` (read_log), in
  // order: (fake time s, counter mJ).
  std::vector<std::pair<double, double>> counter_reads(int device) const {
    std::ifstream in(dir_ + "/reads.txt");
    std::vector<std::pair<double, double>> out;
    for (std::string line; std::getline(in, line);) {
      std::istringstream fields(line);
      std::string what;
      int d;
      double t, mj;
      if (fields >> what >> d >> t >> mj && what == "energy" && d == device)
        out.emplace_back(t, mj);
    }
    return out;
  }
  // Whether energy_j is the counter's increase between two of those reads at
  // least min_apart_s apart (the later one being the last read when
  // ending_at_last): the truth from the very reads the tracker made, whatever
  // the machine's speed.
  static bool is_counter_increase(const std::vector<std::pair<double, double>>& reads,
                                  double energy_j, double min_apart_s, bool ending_at_last) {
    if (reads.empty()) return false;
    for (size_t j = ending_at_last ? reads.size() - 1 : 0; j < reads.size(); ++j)
      for (size_t i = 0; i < j; ++i)
        if (reads[j].first - reads[i].first >= min_apart_s &&
            std::abs((reads[j].second - reads[i].second) / 1000.0 - energy_j) < 1e-9)
          return true;
    return false;
  }

  std::string read_log() const { return "read_log " + dir_ + "/reads.txt\n"; }

  std::string dir_, script_, output_;
};

TEST_F(GpuCliTest, ReportsTheScriptedEnergyOfEachGpu) {
  ASSERT_EQ(run(fake_env(), "--components gpu --json " + dir_ + "/out.json -- sleep 2"), 0)
      << output_;
  EXPECT_THAT(output_,
              HasSubstr("GPU with device(s) NVIDIA A100-SXM4-40GB, Tesla P100-PCIE-16GB."));
  nlohmann::json j = record();
  const auto& devices = j["devices"];
  ASSERT_EQ(devices.size(), 2u) << j.dump(2);
  // The run's one epoch starts before the command and ends after it.
  double duration_s = j["total"]["duration_s"];
  EXPECT_GE(duration_s, 2.0);
  EXPECT_EQ(devices[0]["name"], "NVIDIA A100-SXM4-40GB");
  EXPECT_EQ(devices[0]["component"], "gpu");
  EXPECT_EQ(devices[0]["provenance"], "measured");
  EXPECT_EQ(devices[0]["source"],
            "NVML total energy counter (nvmlDeviceGetTotalEnergyConsumption)");
  // Exactly the counter's increase (mJ to J) over reads spanning the command.
  double counter_j = devices[0]["energy_j"];
  EXPECT_TRUE(is_counter_increase(counter_reads(0), counter_j, 2.0, false)) << counter_j;
  EXPECT_EQ(devices[1]["source"], "NVML power (nvmlDeviceGetPowerUsage), sampled at 10 Hz");
  // A constant 100 W integrated over the tracker's own sample times.
  EXPECT_NEAR(devices[1]["energy_j"].get<double>(), 100 * duration_s, 1e-6);
}

TEST_F(GpuCliTest, CudaVisibleDevicesChoosesTheGpus) {
  ASSERT_EQ(run("CUDA_VISIBLE_DEVICES=GPU-1111 " + fake_env(),
                "--components gpu --json " + dir_ + "/out.json -- sleep 0.5"),
            0)
      << output_;
  nlohmann::json j = record();
  ASSERT_EQ(j["devices"].size(), 1u);
  EXPECT_EQ(j["devices"][0]["name"], "Tesla P100-PCIE-16GB");
}

TEST_F(GpuCliTest, LostGpuKeepsItsEnergySoFar) {
  // The A100 is lost after its sixth energy read: the probe's, the sampler's
  // first and the run's start take at most three, so the run measures it at
  // least twice (its ticks come every 0.1 s, for the power-only P100).
  std::string script = read_log() + kScript;
  script.insert(script.find("device\nname Tesla"), "lost_after_reads 6\n");
  std::ofstream(script_) << script;
  ASSERT_EQ(run(fake_env(), "--components gpu --json " + dir_ + "/out.json -- sleep 3"), 0)
      << output_;
  nlohmann::json j = record();
  double lost_j = j["devices"][0]["energy_j"];
  // What it used before it was lost is kept (the counter's increase up to its
  // last successful read) ...
  EXPECT_GT(lost_j, 0);
  // ... and nothing after.
  std::vector<std::pair<double, double>> reads = counter_reads(0);
  ASSERT_EQ(reads.size(), 6u);
  EXPECT_TRUE(is_counter_increase(reads, lost_j, 0, true)) << lost_j;
  double duration_s = j["total"]["duration_s"];
  EXPECT_GE(duration_s, 3.0);
  EXPECT_NEAR(j["devices"][1]["energy_j"].get<double>(), 100 * duration_s, 1e-6);
  EXPECT_THAT(
      j["messages"].dump(),
      HasSubstr("GPU 0 (NVIDIA A100-SXM4-40GB): nvmlDeviceGetTotalEnergyConsumption failed: "
                "GPU is lost (NVML error 15)"));
}

TEST_F(GpuCliTest, DevicesByPidMeasuresTheGpuTheCommandUses) {
  // The command puts its own pid in the second GPU's process list, as a CUDA
  // program does once it has a context there.
  // It then waits (up to a minute) until the tracker has seen it in a
  // process list and read that GPU twice since: selected, and measured.
  std::string command =
      "sh -c 'echo compute_pids $$ >> " + script_ +
      "; i=0; until awk -v me=$$ '\\''$1 == \"pids\" && $2 == 2 { for (k = 4; k <= NF; k++) "
      "if ($k == me) seen = 1 } seen && $1 == \"power\" && $2 == 2 { n++ } END { exit n < 2 "
      "}'\\'' " +
      dir_ + "/reads.txt || [ $i -ge 1200 ]; do sleep 0.05; i=$((i + 1)); done'";
  std::ofstream(script_) << read_log() << "device\nname Other GPU\ncompute_pids 1\n" << kScript;
  ASSERT_EQ(run(fake_env(),
                "--components gpu --devices-by-pid --json " + dir_ + "/out.json -- " + command),
            0)
      << output_;
  nlohmann::json j = record();
  ASSERT_EQ(j["devices"].size(), 3u);
  double duration_s = j["total"]["duration_s"];
  EXPECT_EQ(j["devices"][0]["energy_j"].get<double>(), 0) << "someone else's GPU";
  EXPECT_EQ(j["devices"][1]["energy_j"].get<double>(), 0) << "not used by the command";
  double used_j = j["devices"][2]["energy_j"];
  EXPECT_GT(used_j, 0);  // selected at a re-check once the command ran
  EXPECT_LE(used_j, 100 * duration_s + 1);
}

TEST_F(GpuCliTest, NoGpuIsAnErrorOnlyWhenTheGpuWasAskedFor) {
  std::string env = "CARBONTRACKER_NVML_LIBRARY=/nonexistent/libnvidia-ml.so.1";
  EXPECT_EQ(run(env, "--components gpu -- true"), 70);
  EXPECT_THAT(output_, HasSubstr("No GPU(s) available: CARBONTRACKER_NVML_LIBRARY=/nonexistent/"
                                 "libnvidia-ml.so.1 does not load: no such file; "));
  run(env, "--verbose 2 -- true");
  EXPECT_THAT(output_, HasSubstr("No GPU found: CARBONTRACKER_NVML_LIBRARY=/nonexistent/"
                                 "libnvidia-ml.so.1 does not load: no such file; "));
  run(env, "-- true");  // verbose 1: a note, not said on the console
  EXPECT_THAT(output_, Not(HasSubstr("No GPU found")));
}

}  // namespace
}  // namespace carbontracker
