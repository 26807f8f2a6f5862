// scripts/gpu-check.sh, the real-hardware check, run here against the fake
// NVML and a fake nvidia-smi (one GPU at a constant 250 W), so that the
// script still works the day it meets a GPU.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "fake_gpu/fake_gpu.h"

namespace carbontracker {
namespace {

using ::testing::HasSubstr;

TEST(GpuCheckScriptTest, ComparesTrackerAndDriverEnergy) {
  std::string dir = ::testing::TempDir() + "/gpu_check_" + std::to_string(getpid());
  std::string script = dir + ".nvml.txt", output = dir + ".out.txt";
  std::ofstream(script) << "device\nname NVIDIA A100-SXM4-40GB\ntrace 250:1\n";
  std::string cmd =
      std::string("env PATH=") + CT_SOURCE_DIR + "/tests/fake_gpu:$PATH" +
      " CARBONTRACKER_NVML_LIBRARY=" + testing::fake_gpu_library_path("fake_nvml") +
      " FAKE_NVML_SCRIPT=" + script +
      " GPU_CHECK_FAKE=1 GPU_CHECK_SECONDS=2 GPU_CHECK_EPOCHS=2 GPU_CHECK_BENCH_MIN_TIME=0.01"
      " GPU_CHECK_EPOCH_SECONDS=1 bash " +
      CT_SOURCE_DIR + "/scripts/gpu-check.sh " + CT_CLI_PATH + " > " + output + " 2>&1";
  int status = std::system(cmd.c_str());
  std::stringstream text;
  text << std::ifstream(output).rdbuf();
  std::string out = text.str();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;

  // (a): tracker J, driver delta J and their ratios.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      out, m,
      std::regex(
          R"(\| 0: NVIDIA A100-SXM4-40GB \| NVML total energy counter \(nvmlDeviceGetTotalEnergyConsumption\) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \|)")))
      << out;
  double tracker_j = std::stod(m[1]), driver_j = std::stod(m[2]);
  EXPECT_GT(tracker_j, 250 * 1.9);
  EXPECT_NEAR(tracker_j / driver_j, std::stod(m[3]), 1e-3);
  // The idle-corrected ratio: the driver's window is taken from the readers'
  // own stamps (nvidia-smi's timestamp field), so however slowly the machine
  // starts the readers, the fake's 250 W over the tracker's window is what
  // the tracker measured.
  EXPECT_GT(std::stod(m[5]), 0.9);
  EXPECT_LT(std::stod(m[5]), 1.1);
  // (b): one row per epoch. How long an epoch lasted and how much of it the
  // driver's window holds depend on when the markers were handled; the
  // tracker's own energy over its own duration is the fake's 250 W.
  for (int epoch : {1, 2}) {
    ASSERT_TRUE(
        std::regex_search(out, m,
                          std::regex("\\| " + std::to_string(epoch) +
                                     R"( \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \|)")))
        << out;
    EXPECT_NEAR(std::stod(m[2]) / std::stod(m[1]), 250.0, 250.0 * 0.02) << "epoch " << epoch;
    EXPECT_GT(std::stod(m[3]), 0.0);
  }
  EXPECT_THAT(out, HasSubstr("## (c) Cost of one read through the real driver"));
}

}  // namespace
}  // namespace carbontracker
