// End-to-end: the real carbontracker binary measuring fake hwmon trees
// (CARBONTRACKER_HWMON_ROOT): a Grace node, a Grace Hopper node with a fake
// NVML GPU, an x86 server with RAPL and a platform power meter, an amdgpu
// card without ROCm SMI and an Intel xe counter that wraps. Powers are
// constant (or the counter is set by the command), so the truth is exact:
// watts x the run's duration.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "fake_gpu/fake_gpu.h"
#include "fakes/fake_hwmon_tree.h"
#include "report/report_model.h"
#include "sensors/hwmon.h"
#include "sensors/rapl.h"

namespace carbontracker {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class HwmonCliTest : public ::testing::Test {
 protected:
  HwmonCliTest() {
    hwmon_ = dir_ / "hwmon";
    powercap_ = dir_ / "powercap";
    std::filesystem::create_directories(hwmon_);
    std::filesystem::create_directories(powercap_);
  }
  // Runs the CLI on the fake trees (no NVML unless env names one, no ROCm
  // SMI); returns its exit status, its output in output_.
  // as_user: a numeric uid (and gid) to run as, through setpriv.
  int run(const std::string& env, const std::string& args, const std::string& as_user = "") {
    std::string cmd =
        "env CARBONTRACKER_OFFLINE=1 CARBONTRACKER_ROCM_SMI_LIBRARY=/nonexistent.so "
        "CARBONTRACKER_NVML_LIBRARY=/nonexistent.so CARBONTRACKER_HWMON_ROOT=" +
        hwmon_ + " CARBONTRACKER_POWERCAP_ROOT=" + powercap_ + " " + env + " " + CT_CLI_PATH + " " +
        args;
    if (!as_user.empty())
      cmd = "setpriv --reuid=" + as_user + " --regid=" + as_user + " --clear-groups " + cmd;
    int status = std::system((cmd + " > " + dir_ / "output.txt" + " 2>&1").c_str());
    std::ifstream in(dir_ / "output.txt");
    std::stringstream ss;
    ss << in.rdbuf();
    output_ = ss.str();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  nlohmann::json record() const {
    std::ifstream in(dir_ / "out.json");
    return nlohmann::json::parse(in);
  }
  std::string json_arg() const { return "--json " + dir_ / "out.json"; }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string log_file(const std::string& suffix) const {
    for (const auto& e : std::filesystem::directory_iterator(dir_ / "logs"))
      if (e.path().string().ends_with(suffix)) return e.path().string();
    return "";
  }
  static const nlohmann::json& device(const nlohmann::json& j, const std::string& name) {
    for (const auto& d : j["devices"])
      if (d["name"] == name) return d;
    throw std::runtime_error("no device " + name + " in " + j.dump());
  }

  testing::TempDir dir_;
  std::string hwmon_, powercap_, output_;
};

TEST_F(HwmonCliTest, GraceTwoSocketsMeasuresEachSocketOnce) {
  int n = testing::write_grace_socket(hwmon_, 0, 0, 400, 180, 40);
  testing::write_grace_socket(hwmon_, n, 1, 380, 150, 30);
  ASSERT_EQ(run("", "--log-dir " + dir_ / "logs" + " --metrics-textfile " + dir_ / "m.prom" + " " +
                        json_arg() + " -- sleep 1"),
            0)
      << output_;
  EXPECT_THAT(output_, HasSubstr("The following components were found: CPU with device(s) "
                                 "grace:0, grace:1. NODE with device(s) module:0, module:1."));
  EXPECT_THAT(output_, HasSubstr("CarbonTracker: CPU measured (Grace Power Socket 0 and Grace "
                                 "Power Socket 1), node from the platform power meter, beside the "
                                 "totals; carbon intensity: "));
  EXPECT_THAT(output_, HasSubstr("The platform power meter measured "));
  nlohmann::json j = record();
  double s = j["total"]["duration_s"];
  EXPECT_GE(s, 1.0);
  EXPECT_NEAR(device(j, "grace:0")["energy_j"].get<double>(), 220 * s, 1e-6);
  EXPECT_NEAR(device(j, "grace:1")["energy_j"].get<double>(), 180 * s, 1e-6);
  EXPECT_EQ(device(j, "grace:0")["provenance"], "measured");
  EXPECT_EQ(device(j, "module:0")["component"], "node");
  EXPECT_EQ(device(j, "module:0")["provenance"], "platform power meter");
  EXPECT_NEAR(device(j, "module:1")["energy_j"].get<double>(), 380 * s, 1e-6);
  // The total is the CPU's: the modules are beside it.
  EXPECT_NEAR(j["total"]["energy_j"].get<double>(), 400 * s, 1e-6);
  EXPECT_NEAR(j["components"]["node"]["energy_j"].get<double>(), 780 * s, 1e-6);
  EXPECT_EQ(j["components"]["node"]["in_total"], false);

  // The text log: the lines the original's parser reads, in their format.
  std::string log = read(log_file("carbontracker.log"));
  EXPECT_THAT(log, HasSubstr("Average power usage (W) for cpu: 400"));
  EXPECT_THAT(log, HasSubstr("Average power usage (W) for node: 780"));
  std::string jsonl = read(log_file("carbontracker.jsonl"));
  EXPECT_THAT(jsonl, HasSubstr("\"provenance\":\"platform power meter\""));
  // The metrics: each node device with its component and provenance.
  EXPECT_THAT(read(dir_ / "m.prom"),
              HasSubstr("carbontracker_energy_joules_total{component=\"node\",device=\"module:0\","
                        "provenance=\"platform power meter\""));
  // Our parser reads it back, the node as a component of its own.
  ASSERT_EQ(run("", "--parse " + dir_ / "logs" + " --format json"), 0) << output_;
  EXPECT_THAT(output_, HasSubstr("\"node\""));
  // The report: the node's devices and provenance listed, its energy beside the total.
  report::Report rep = report::build_report(dir_ / "logs");
  ASSERT_EQ(rep.runs.size(), 1u);
  const report::RunReport& r = rep.runs[0];
  ASSERT_TRUE(r.energy_j);
  EXPECT_NEAR(*r.energy_j, 400 * s, 1e-3);
  bool node_row = false;
  for (const auto& d : r.devices)
    node_row |=
        d.name == "module:1" && d.component == "node" && d.provenance == "platform power meter";
  EXPECT_TRUE(node_row);
  ASSERT_EQ(run("", "--report " + dir_ / "logs" + " --output " + dir_ / "r.html"), 0) << output_;
  EXPECT_THAT(read(dir_ / "r.html"), HasSubstr("platform power meter"));
}

// A stepped power: the command marks two epochs and, between them, once the
// wrapper has logged the first, steps the meter from 100 W to 300 W. Each
// epoch reads one constant power throughout, so its truth is exact.
TEST_F(HwmonCliTest, SteppedPowerBetweenEpochsGivesEachEpochItsPower) {
  std::string path = testing::write_power_meter(hwmon_, 0, "Grace Power Socket 0", 100);
  std::string script =
      "echo epoch_start >&$CARBONTRACKER_EPOCH_FD; sleep 0.3; echo epoch_end "
      ">&$CARBONTRACKER_EPOCH_FD; n=0; until grep -qs \"Epoch 1:\" " +
      dir_ / "logs" +
      "/*_carbontracker.log; do n=$((n+1)); [ $n -gt 6000 ] && break; sleep 0.01; done; "
      "printf \"300000000\\n\" > " +
      path + ".new && mv " + path + ".new " + path +
      "; echo epoch_start >&$CARBONTRACKER_EPOCH_FD; sleep 0.3; echo epoch_end "
      ">&$CARBONTRACKER_EPOCH_FD";
  ASSERT_EQ(run("", "--log-dir " + dir_ / "logs" + " --epochs 2 " + json_arg() + " -- sh -c '" +
                        script + "'"),
            0)
      << output_;
  nlohmann::json j = record();
  ASSERT_EQ(j["epochs"].size(), 2u) << j.dump(2);
  for (int i = 0; i < 2; ++i) {
    double d = j["epochs"][i]["duration_s"];
    EXPECT_GT(d, 0);
    EXPECT_NEAR(j["epochs"][i]["energy_j"].get<double>(), (i == 0 ? 100 : 300) * d, 1e-6) << i;
  }
}

TEST_F(HwmonCliTest, GraceHopperCountsTheGpuOnceBesideTheModule) {
  // Module 900 W = Grace 200 W + a Hopper GPU (NVML: 250 W) + the rest.
  testing::write_grace_socket(hwmon_, 0, 0, 900, 170, 30);
  std::string script = (dir_ / "nvml.txt");
  std::ofstream(script) << "device\nname NVIDIA GH200 480GB\nuuid GPU-8f3c1a22-0000-1111-2222-"
                           "333344445555\nenergy 0\ntrace 250:1\n";
  ASSERT_EQ(run("CARBONTRACKER_NVML_LIBRARY=" + testing::fake_gpu_library_path("fake_nvml") +
                    " FAKE_NVML_SCRIPT=" + script,
                "--log-dir '' " + json_arg() + " -- sleep 1"),
            0)
      << output_;
  EXPECT_THAT(output_, HasSubstr("GPU with device(s) NVIDIA GH200 480GB. CPU with device(s) "
                                 "grace:0. NODE with device(s) module:0."));
  nlohmann::json j = record();
  double s = j["total"]["duration_s"];
  EXPECT_NEAR(j["components"]["gpu"]["energy_j"].get<double>(), 250 * s, 1e-6);
  EXPECT_NEAR(j["components"]["cpu"]["energy_j"].get<double>(), 200 * s, 1e-6);
  // The truth (CPU + GPU), not the truth + the GPU again through the module.
  EXPECT_NEAR(j["total"]["energy_j"].get<double>(), 450 * s, 1e-6);
  EXPECT_NEAR(j["components"]["node"]["energy_j"].get<double>(), 900 * s, 1e-6);
}

TEST_F(HwmonCliTest, X86PlatformMeterIsReportedBesideRaplAndGpu) {
  testing::write_zone(powercap_ + "/intel-rapl:0", "package-0", 1000);  // 0 W: constant
  testing::write_power_meter(hwmon_, 0, "", 312.5, 1000, false);
  testing::write_other_hwmon(hwmon_, 1, "coretemp");
  std::string script = (dir_ / "nvml.txt");
  std::ofstream(script) << "device\nname Tesla P100-PCIE-16GB\nuuid GPU-1\nenergy 0\n"
                           "trace 100:1\n";
  std::string env = "CARBONTRACKER_NVML_LIBRARY=" + testing::fake_gpu_library_path("fake_nvml") +
                    " FAKE_NVML_SCRIPT=" + script;
  ASSERT_EQ(run(env, "--log-dir '' --verbose 2 " + json_arg() + " -- sleep 1"), 0) << output_;
  EXPECT_THAT(output_, HasSubstr("CPU with device(s) cpu:0. NODE with device(s) meter:0."));
  // Skipped sensors are listed at verbose 2.
  EXPECT_THAT(output_, HasSubstr("hwmon1 (coretemp)"));
  nlohmann::json j = record();
  double s = j["total"]["duration_s"];
  EXPECT_NEAR(device(j, "meter:0")["energy_j"].get<double>(), 312.5 * s, 1e-6);
  // RAPL + GPU, unchanged by the meter.
  EXPECT_NEAR(j["total"]["energy_j"].get<double>(), 100 * s, 1e-6);
  EXPECT_NEAR(j["components"]["cpu"]["energy_j"].get<double>(), 0, 1e-9);

  // Asked for alone, the node is measured; without a meter, asking is an error.
  ASSERT_EQ(run("", "--log-dir '' --components node " + json_arg() + " -- true"), 0) << output_;
  EXPECT_EQ(record()["devices"].size(), 1u);
  std::filesystem::remove_all(hwmon_ + "/hwmon0");
  EXPECT_EQ(run("", "--log-dir '' --components node -- true"), 70);
  EXPECT_THAT(output_, HasSubstr("No node power meter available"));
  // Without --components node, no meter is no news on the console.
  ASSERT_EQ(run("", "--log-dir '' -- true"), 0) << output_;
  EXPECT_THAT(output_, Not(HasSubstr("node")));
}

TEST_F(HwmonCliTest, AmdgpuWithoutRocmSmiIsMeasuredThroughHwmon) {
  testing::write_amdgpu(hwmon_, 4, "0000:c3:00.0", 212.0);
  ASSERT_EQ(run("", "--log-dir '' --components gpu " + json_arg() + " -- sleep 0.5"), 0) << output_;
  EXPECT_THAT(output_, HasSubstr("GPU with device(s) amdgpu:0."));
  nlohmann::json j = record();
  double s = j["total"]["duration_s"];
  EXPECT_EQ(device(j, "amdgpu:0")["note"], "PCI 0000:c3:00.0");
  EXPECT_NEAR(j["total"]["energy_j"].get<double>(), 212 * s, 1e-6);
}

TEST_F(HwmonCliTest, IntelXeCounterWrapsDuringTheRun) {
  std::string path =
      testing::write_intel_gpu(hwmon_, 0, "xe", "0000:03:00.0", kIntelGpuEnergyRangeUj - 500);
  // The command moves the counter past its wrap: 500 uJ before, 1500 after.
  std::string command =
      "sh -c 'printf \"1500\\n\" > " + path + ".new && mv " + path + ".new " + path + "'";
  ASSERT_EQ(run("", "--log-dir '' --components gpu " + json_arg() + " -- " + command), 0)
      << output_;
  nlohmann::json j = record();
  EXPECT_NEAR(device(j, "xe:0")["energy_j"].get<double>(), 2000e-6, 1e-12);
  EXPECT_THAT(j["messages"].dump(), Not(HasSubstr("went back")));
}

TEST_F(HwmonCliTest, UnprivilegedUserMeasuresAWorldReadableTree) {
  if (geteuid() != 0) GTEST_SKIP() << "runs as root to drop to an unprivileged user";
  testing::write_grace_socket(hwmon_, 0, 0, 400, 180, 40);
  // Files 0444, directories 0755, as sysfs has them; a place to write the record.
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path()))
    if (!e.is_symlink()) chmod(e.path().c_str(), e.is_directory() ? 0755 : 0444);
  chmod(dir_.path().c_str(), 0755);
  std::filesystem::create_directories(dir_ / "out");
  chmod((dir_ / "out").c_str(), 0777);
  // The temporary directory's parents must be searchable.
  std::string args = "--log-dir '' --json " + dir_ / "out/out.json" + " -- sleep 0.5";
  // nobody (65534), the unprivileged user every Linux system has.
  ASSERT_EQ(run("HOME=/nonexistent", args, "65534"), 0) << output_;
  std::ifstream in(dir_ / "out/out.json");
  nlohmann::json j = nlohmann::json::parse(in);
  double s = j["total"]["duration_s"];
  EXPECT_NEAR(j["components"]["cpu"]["energy_j"].get<double>(), 220 * s, 1e-6);
  EXPECT_NEAR(j["components"]["node"]["energy_j"].get<double>(), 400 * s, 1e-6);
}

// An x86 server as an unprivileged user sees it: the platform meter is
// world-readable and measured; RAPL's energy_uj is root-only (Linux >= 5.10),
// which is said once, with the fix, and the CPU is estimated instead.
TEST_F(HwmonCliTest, UnprivilegedUserReadsTheMeterWhileRootOnlyRaplSaysWhyOnce) {
  if (geteuid() != 0) GTEST_SKIP() << "runs as root to drop to an unprivileged user";
  testing::write_zone(powercap_ + "/intel-rapl:0", "package-0", 1000);
  testing::write_power_meter(hwmon_, 0, "", 275, 1000, false);
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path()))
    if (!e.is_symlink()) chmod(e.path().c_str(), e.is_directory() ? 0755 : 0444);
  chmod((powercap_ + "/intel-rapl:0/energy_uj").c_str(), 0400);
  chmod(dir_.path().c_str(), 0755);
  std::filesystem::create_directories(dir_ / "out");
  chmod((dir_ / "out").c_str(), 0777);
  std::string args = "--log-dir '' --epochs 2 --json " + dir_ / "out/out.json" +
                     " -- sh -c 'for i in 1 2; do echo epoch_start >&$CARBONTRACKER_EPOCH_FD; "
                     "sleep 0.2; echo epoch_end >&$CARBONTRACKER_EPOCH_FD; done'";
  ASSERT_EQ(run("HOME=/nonexistent", args, "65534"), 0) << output_;
  std::string::size_type first = output_.find(kRaplPermissionSentence);
  ASSERT_NE(first, std::string::npos) << output_;
  EXPECT_EQ(output_.find(kRaplPermissionSentence, first + 1), std::string::npos) << output_;
  EXPECT_THAT(output_, HasSubstr("sudo chmod a+r " + powercap_ + "/intel-rapl:0/energy_uj"));
  std::ifstream in(dir_ / "out/out.json");
  nlohmann::json j = nlohmann::json::parse(in);
  double s = j["total"]["duration_s"];
  EXPECT_NEAR(j["components"]["node"]["energy_j"].get<double>(), 275 * s, 1e-6);
  EXPECT_EQ(device(j, "meter:0")["provenance"], "platform power meter");
  int cpu_devices = 0;
  for (const auto& d : j["devices"]) {
    if (d["component"] != "cpu") continue;
    ++cpu_devices;
    EXPECT_EQ(d["provenance"], "estimated") << d.dump();
  }
  EXPECT_GE(cpu_devices, 1) << j.dump();
}

}  // namespace
}  // namespace carbontracker
