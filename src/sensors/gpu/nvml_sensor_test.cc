// Tests of the NVML sensor through its real dlopen loader, against the fake
// NVML libraries of tests/fake_gpu scripted per test.
#include "sensors/gpu/nvml_sensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "energy/engine.h"
#include "fake_gpu/fake_gpu.h"
#include "fakes/fake_powercap_tree.h"
#include "sensors/sensor_table.h"

namespace carbontracker {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using testing::FakeGpuLibrary;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::TempDir;
using testing::trace_energy_j;
using testing::write_fake_script;
using testing::write_file;

// Two unlike boards: A100 with two MIG instances, and a V100.
const char* kTwoGpus = R"(clock manual
device
name NVIDIA A100-SXM4-40GB
uuid GPU-8f3c1a22-0000-1111-2222-333344445555
mig MIG-aaaa0000-0000-1111-2222-333344445555 MIG-bbbb0000-0000-1111-2222-333344445555
trace 300:0.5,100:1.5
energy_start 123456789000
device
name Tesla V100-SXM2-16GB
uuid GPU-8f3d9b10-6666-7777-8888-999900001111
trace 200:1
)";

class NvmlSensorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.loaded()) << fake_.path();
    env_.nvml_library = fake_.path();
    ctx_.env = &env_;
  }
  void TearDown() override { unsetenv("FAKE_NVML_SCRIPT"); }

  ProbeResult probe(const std::string& script) {
    write_fake_script("FAKE_NVML_SCRIPT", script);
    return probe_nvml(ctx_);
  }
  void set_time(double t) { fake_.function<void(double)>("fake_nvml_set_time_s")(t); }
  int live_inits() { return fake_.function<int()>("fake_nvml_live_inits")(); }
  std::vector<Reading> read(Sensor& sensor, double t) {
    set_time(t);
    std::vector<Reading> out;
    sensor.read(out);
    return out;
  }

  FakeGpuLibrary fake_{"fake_nvml"};
  Environment env_;
  ProbeContext ctx_;
};

TEST_F(NvmlSensorTest, NamesTheMissingLibrary) {
  env_.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  ProbeResult r = probe_nvml(ctx_);
  EXPECT_EQ(r.sensor, nullptr);
  EXPECT_EQ(
      r.unavailable_reason,
      "CARBONTRACKER_NVML_LIBRARY=/nonexistent/libnvidia-ml.so.1 does not load: no such file");
}

TEST_F(NvmlSensorTest, NamesWhyALibraryDoesNotLoad) {
  std::string path = ::testing::TempDir() + "/not_a_library.so";
  std::ofstream(path) << "not ELF\n";
  env_.nvml_library = path;
  ProbeResult r = probe_nvml(ctx_);
  EXPECT_EQ(r.sensor, nullptr);
  EXPECT_THAT(r.unavailable_reason, AllOf(HasSubstr("CARBONTRACKER_NVML_LIBRARY=" + path +
                                                    " does not load (tried " + path + " ("),
                                          Not(HasSubstr("no such file"))));
}

// Without a driver sign the library search (dozens of system calls) is not made.
TEST_F(NvmlSensorTest, NoDriverSignMeansNoLibrarySearch) {
  TempDir dir;
  env_.dev_root = dir / "dev";
  env_.proc_root = dir / "proc";
  env_.sys_root = dir / "sys";
  env_.nvml_library.clear();
  ProbeResult r = probe_nvml(ctx_);
  EXPECT_EQ(r.sensor, nullptr);
  EXPECT_EQ(r.unavailable_reason, "no NVIDIA driver (none of " + dir / "dev/nvidiactl, " +
                                      dir / "dev/dxg, " + dir / "proc/driver/nvidia or " +
                                      dir / "sys/module/nvidia exists)");
  // A library named explicitly is always tried.
  env_.nvml_library = fake_.path();
  r = probe(kTwoGpus);
  ASSERT_NE(r.sensor, nullptr) << r.unavailable_reason;
  EXPECT_EQ(r.sensor->devices().size(), 2u);
}

TEST_F(NvmlSensorTest, DefaultSonamesAreTriedInOrderWhereADriverSignExists) {
  if (void* real = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL)) {
    dlclose(real);
    GTEST_SKIP() << "this machine has a real NVML";
  }
  env_.nvml_library.clear();
  for (std::string sign : {"dev/nvidiactl", "proc/driver/nvidia/version"}) {
    TempDir dir;
    write_file(dir / sign, "");
    env_.dev_root = dir / "dev";
    env_.proc_root = dir / "proc";
    env_.sys_root = dir / "sys";
    ProbeResult r = probe_nvml(ctx_);
    EXPECT_EQ(r.sensor, nullptr);
    EXPECT_EQ(r.unavailable_reason,
              "no NVIDIA driver library found (tried libnvidia-ml.so.1, libnvidia-ml.so)")
        << sign;
  }
}

TEST_F(NvmlSensorTest, InitFailureIsTheReason) {
  ProbeResult r = probe("init_error 9\ndevice\nname X\n");
  EXPECT_EQ(r.sensor, nullptr);
  EXPECT_EQ(r.unavailable_reason,
            "nvmlInit failed: Driver Not Loaded (NVML error 9); the NVIDIA kernel driver is not "
            "loaded");
  EXPECT_EQ(live_inits(), 0);
}

TEST_F(NvmlSensorTest, ZeroDevices) {
  ProbeResult r = probe("clock manual\n");
  EXPECT_EQ(r.sensor, nullptr);
  EXPECT_EQ(r.unavailable_reason, "NVML found no GPU");
  EXPECT_EQ(live_inits(), 0) << "nvmlShutdown after a probe that found nothing";
}

TEST_F(NvmlSensorTest, DeviceCountFailure) {
  ProbeResult r = probe("count_error 999\ndevice\n");
  EXPECT_EQ(r.sensor, nullptr);
  EXPECT_EQ(r.unavailable_reason, "nvmlDeviceGetCount failed: Unknown Error (NVML error 999)");
}

TEST_F(NvmlSensorTest, DescribesEachGpuAndShutsDownOnDestruction) {
  ProbeResult r = probe(kTwoGpus);
  ASSERT_NE(r.sensor, nullptr) << r.unavailable_reason;
  EXPECT_EQ(live_inits(), 1);
  const auto& devices = r.sensor->devices();
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].info.name, "NVIDIA A100-SXM4-40GB");
  EXPECT_EQ(devices[1].info.name, "Tesla V100-SXM2-16GB");
  for (const SensorDevice& d : devices) {
    EXPECT_EQ(d.info.component, ComponentKind::kGpu);
    EXPECT_EQ(d.info.provenance, Provenance::kMeasured);
    EXPECT_EQ(d.info.source, "NVML total energy counter (nvmlDeviceGetTotalEnergyConsumption)");
    EXPECT_EQ(d.info.note, "");
    EXPECT_EQ(d.kind, ReadingKind::kEnergyCounter);
    EXPECT_DOUBLE_EQ(d.counter_unit_j, 1e-3);
    EXPECT_EQ(d.counter_range, 0u);
    EXPECT_DOUBLE_EQ(d.max_power_w, 1500.0);
  }
  EXPECT_THAT(r.warnings, IsEmpty());
  EXPECT_THAT(r.sensor->selected(), (std::vector<bool>{true, true}));
  r.sensor.reset();
  EXPECT_EQ(live_inits(), 0);
}

TEST_F(NvmlSensorTest, PrefersTheNewestVersionedSymbols) {
  ProbeResult r = probe(kTwoGpus);
  ASSERT_NE(r.sensor, nullptr);
  ctx_.devices_by_pid = true;
  ProbeResult by_pid = probe(kTwoGpus);
  ASSERT_NE(by_pid.sensor, nullptr);
  by_pid.sensor->selected();
  std::string calls = fake_.function<const char*()>("fake_nvml_calls")();
  EXPECT_THAT(calls, AllOf(HasSubstr("nvmlInit_v2,"), HasSubstr("nvmlDeviceGetCount_v2,"),
                           HasSubstr("nvmlDeviceGetHandleByIndex_v2,"),
                           HasSubstr("nvmlDeviceGetComputeRunningProcesses_v3,"),
                           HasSubstr("nvmlDeviceGetGraphicsRunningProcesses_v3,")));
  EXPECT_THAT(calls, AllOf(Not(HasSubstr("nvmlInit,")), Not(HasSubstr("nvmlDeviceGetCount,")),
                           Not(HasSubstr("nvmlDeviceGetComputeRunningProcesses,"))));
}

TEST_F(NvmlSensorTest, EnergyCounterIsExactPerEpoch) {
  ProbeResult r = probe(kTwoGpus);
  ASSERT_NE(r.sensor, nullptr);
  const std::vector<std::pair<double, double>> trace0{{300, 0.5}, {100, 1.5}}, trace1{{200, 1}};
  // Epoch boundaries at odd times, one epoch shorter than a trace cycle.
  const std::vector<double> boundaries{0.37, 1.12, 4.93, 5.41, 12.0};
  std::vector<Reading> prev = read(*r.sensor, boundaries[0]);
  double unit_j = r.sensor->devices()[0].counter_unit_j;
  for (size_t i = 1; i < boundaries.size(); ++i) {
    std::vector<Reading> now = read(*r.sensor, boundaries[i]);
    ASSERT_EQ(now[0].status, ReadStatus::kOk);
    ASSERT_EQ(now[1].status, ReadStatus::kOk);
    double truth0 = trace_energy_j(trace0, boundaries[i - 1], boundaries[i]);
    double truth1 = trace_energy_j(trace1, boundaries[i - 1], boundaries[i]);
    double got0 = static_cast<double>(now[0].counter - prev[0].counter) * unit_j;
    double got1 = static_cast<double>(now[1].counter - prev[1].counter) * unit_j;
    EXPECT_NEAR(got0, truth0, truth0 * 0.005) << "epoch " << i;
    EXPECT_NEAR(got1, truth1, truth1 * 0.005) << "epoch " << i;
    prev = now;
  }
  // The counter is the driver's own, 64-bit and far from zero.
  EXPECT_GT(prev[0].counter, 123456789000u);
}

TEST_F(NvmlSensorTest, TwoGpusAreBothReadAndSum) {
  ProbeResult r = probe(kTwoGpus);
  ASSERT_NE(r.sensor, nullptr);
  std::vector<Reading> a = read(*r.sensor, 2.0);
  std::vector<Reading> b = read(*r.sensor, 10.0);
  double total_j = 0;
  for (size_t i = 0; i < 2; ++i) total_j += (b[i].counter - a[i].counter) * 1e-3;
  // 4 cycles of 300 W × 0.5 s + 100 W × 1.5 s, and 200 W for 8 s.
  EXPECT_NEAR(total_j, 4 * (150 + 150) + 1600, 0.01);
}

TEST_F(NvmlSensorTest, PowerFallbackWithinTwoPercentOnABurstyTrace) {
  const char* script = R"(clock manual
device
name Tesla P100-PCIE-16GB
uuid GPU-00000000-1111-2222-3333-444444444444
energy 0
trace 350:0.37,60:0.81,250:0.23,40:1.1
)";
  ProbeResult r = probe(script);
  ASSERT_NE(r.sensor, nullptr) << r.unavailable_reason;
  const SensorDevice& d = r.sensor->devices()[0];
  EXPECT_EQ(d.kind, ReadingKind::kPower);
  EXPECT_DOUBLE_EQ(d.max_interval_s, 0.1);
  EXPECT_EQ(d.info.source, "NVML power (nvmlDeviceGetPowerUsage), sampled at 10 Hz");
  EXPECT_THAT(r.notes, Contains(HasSubstr("GPU 0 (Tesla P100-PCIE-16GB) has no energy counter "
                                          "(nvmlDeviceGetTotalEnergyConsumption: Not Supported")));
  // The sampling thread ticks at the device's max_interval_s and the energy
  // engine integrates the readings.
  EnergyEngine engine(r.sensor->devices());
  std::vector<std::string> events;
  const double t0 = 0.05, t1 = 30.05;
  for (int i = 0; i <= 300; ++i) {
    double t = t0 + i * d.max_interval_s;
    std::vector<Reading> now = read(*r.sensor, t);
    ASSERT_EQ(now[0].status, ReadStatus::kOk);
    engine.apply(0, t, now[0], 0, events);
  }
  double energy_j = engine.energy_j(0);
  EXPECT_THAT(events, IsEmpty());
  double truth = trace_energy_j({{350, 0.37}, {60, 0.81}, {250, 0.23}, {40, 1.1}}, t0, t1);
  EXPECT_NEAR(energy_j, truth, truth * 0.02);
  EXPECT_GT(truth, 3000);
}

TEST_F(NvmlSensorTest, GpuWithNeitherEnergyNorPowerIsLeftOutWithAWarning) {
  ProbeResult r = probe("device\nname Old\nenergy 0\npower 0\ndevice\nname Good\n");
  ASSERT_NE(r.sensor, nullptr);
  ASSERT_EQ(r.sensor->devices().size(), 1u);
  EXPECT_EQ(r.sensor->devices()[0].info.name, "Good");
  EXPECT_THAT(r.warnings, Contains(HasSubstr("GPU 0 (Old): neither energy nor power can be read")));
}

TEST_F(NvmlSensorTest, LostGpuStopsAndTheOtherGoesOn) {
  std::string script = std::string(kTwoGpus) + "lost_after 3\n";  // the V100 is lost at t = 3 s
  ProbeResult r = probe(script);
  ASSERT_NE(r.sensor, nullptr);
  std::vector<Reading> a = read(*r.sensor, 1.0);
  ASSERT_EQ(a[1].status, ReadStatus::kOk);
  std::vector<Reading> b = read(*r.sensor, 4.0);
  EXPECT_EQ(b[0].status, ReadStatus::kOk);
  EXPECT_EQ(b[1].status, ReadStatus::kLost);
  EXPECT_EQ(b[1].message,
            "GPU 1 (Tesla V100-SXM2-16GB): nvmlDeviceGetTotalEnergyConsumption failed: GPU is lost "
            "(NVML error 15)");
  std::vector<Reading> c = read(*r.sensor, 6.0);
  EXPECT_EQ(c[0].status, ReadStatus::kOk);
  EXPECT_GT(c[0].counter, b[0].counter);
  EXPECT_EQ(c[1].status, ReadStatus::kLost);
}

TEST_F(NvmlSensorTest, DriverUnloadedAndUnknownAreLostOthersAreRetried) {
  for (auto [code, status] : {std::pair{9, ReadStatus::kLost}, std::pair{999, ReadStatus::kLost},
                              std::pair{10, ReadStatus::kRetry}}) {
    ProbeResult r = probe("clock manual\ndevice\nname G\nlost_after 1\nlost_error " +
                          std::to_string(code) + "\n");
    ASSERT_NE(r.sensor, nullptr);
    std::vector<Reading> out = read(*r.sensor, 2.0);
    EXPECT_EQ(out[0].status, status) << code;
    EXPECT_THAT(out[0].message, HasSubstr("(NVML error " + std::to_string(code) + ")"));
  }
}

TEST_F(NvmlSensorTest, CudaVisibleDevicesForms) {
  struct Case {
    const char* value;
    std::vector<std::string> names;
    std::string note;
  };
  const std::string a100 = "NVIDIA A100-SXM4-40GB", v100 = "Tesla V100-SXM2-16GB";
  const std::vector<Case> cases = {
      {"1", {v100}, ""},
      {"1,0", {v100, a100}, ""},
      {"GPU-8f3d9b10-6666-7777-8888-999900001111", {v100}, ""},
      {"GPU-8f3c", {a100}, ""},
      {"MIG-bbbb0000-0000-1111-2222-333344445555",
       {a100},
       "whole board (MIG instance MIG-bbbb0000-0000-1111-2222-333344445555)"},
  };
  env_.vars["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID";
  for (const Case& c : cases) {
    env_.vars["CUDA_VISIBLE_DEVICES"] = c.value;
    ProbeResult r = probe(kTwoGpus);
    ASSERT_NE(r.sensor, nullptr) << c.value << ": " << r.unavailable_reason;
    std::vector<std::string> names;
    for (const SensorDevice& d : r.sensor->devices()) names.push_back(d.info.name);
    EXPECT_EQ(names, c.names) << c.value;
    EXPECT_EQ(r.sensor->devices()[0].info.note, c.note) << c.value;
    EXPECT_THAT(r.warnings, IsEmpty()) << c.value;
  }
}

TEST_F(NvmlSensorTest, MigInstanceFoundByEnumerationWhenUuidLookupKnowsBoardsOnly) {
  env_.vars["CUDA_VISIBLE_DEVICES"] = "MIG-aaaa0000-0000-1111-2222-333344445555";
  ProbeResult r = probe(std::string("mig_by_uuid 0\n") + kTwoGpus);
  ASSERT_NE(r.sensor, nullptr) << r.unavailable_reason;
  ASSERT_EQ(r.sensor->devices().size(), 1u);
  EXPECT_EQ(r.sensor->devices()[0].info.name, "NVIDIA A100-SXM4-40GB");
  EXPECT_EQ(r.sensor->devices()[0].info.note,
            "whole board (MIG instance MIG-aaaa0000-0000-1111-2222-333344445555)");
}

TEST_F(NvmlSensorTest, CudaVisibleDevicesNoneVisible) {
  for (const char* value : {"", "NoDevFiles"}) {
    env_.vars["CUDA_VISIBLE_DEVICES"] = value;
    ProbeResult r = probe(kTwoGpus);
    EXPECT_EQ(r.sensor, nullptr);
    EXPECT_EQ(r.unavailable_reason,
              "no GPU visible (CUDA_VISIBLE_DEVICES=\"" + std::string(value) + "\")");
    EXPECT_EQ(live_inits(), 0);
  }
}

TEST_F(NvmlSensorTest, CudaVisibleDevicesInvalidEntryStopsTheList) {
  env_.vars["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID";
  env_.vars["CUDA_VISIBLE_DEVICES"] = "1,GPU-ffff,0";
  ProbeResult r = probe(kTwoGpus);
  ASSERT_NE(r.sensor, nullptr);
  ASSERT_EQ(r.sensor->devices().size(), 1u);
  EXPECT_EQ(r.sensor->devices()[0].info.name, "Tesla V100-SXM2-16GB");
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], AllOf(HasSubstr("invalid entry \"GPU-ffff\" (no GPU has this UUID)"),
                                   HasSubstr("(\"0\") are ignored")));
}

TEST_F(NvmlSensorTest, IndicesOnMixedGpusWarnAboutCudaOrder) {
  env_.vars["CUDA_VISIBLE_DEVICES"] = "0";
  ProbeResult r = probe(kTwoGpus);
  ASSERT_NE(r.sensor, nullptr);
  EXPECT_THAT(r.warnings, Contains(HasSubstr("CUDA_DEVICE_ORDER=PCI_BUS_ID")));
}

// A child process of the test, alive until the object is destroyed.
class ChildProcess {
 public:
  ChildProcess() {
    pid_ = fork();
    if (pid_ == 0) {
      pause();
      _exit(0);
    }
  }
  ~ChildProcess() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
};

TEST_F(NvmlSensorTest, DevicesByPidFollowsTheProcessTree) {
  ChildProcess child;
  ASSERT_GT(child.pid(), 0);
  ctx_.devices_by_pid = true;
  env_.vars["CUDA_VISIBLE_DEVICES"] = "0";  // ignored: the process lists decide
  // No process on any GPU yet.
  std::string path = write_fake_script("FAKE_NVML_SCRIPT", kTwoGpus);
  ProbeResult r = probe_nvml(ctx_);
  ASSERT_NE(r.sensor, nullptr) << r.unavailable_reason;
  EXPECT_EQ(r.sensor->devices().size(), 2u);
  EXPECT_THAT(r.notes, Contains(AllOf(HasSubstr("no process is visible on any GPU"),
                                      HasSubstr("host PID namespace"))));
  EXPECT_EQ(r.sensor->selected(), (std::vector<bool>{false, false}));
  EXPECT_DOUBLE_EQ(r.sensor->devices()[0].max_interval_s, 2.0) << "re-checked every 2 s";

  // The child starts using the V100, behind 40 processes of others (more
  // than the first buffer holds); someone else uses the A100.
  std::string others;
  for (int pid = 4000000; pid < 4000040; ++pid) others += std::to_string(pid) + " ";
  std::string script = kTwoGpus;
  script.insert(script.find("device\nname Tesla"), "compute_pids 1\n");
  script += "graphics_pids " + others + std::to_string(child.pid()) + "\n";
  std::ofstream(path) << script;
  EXPECT_EQ(r.sensor->selected(), (std::vector<bool>{false, true}));

  // Once used, a GPU stays selected.
  std::ofstream(path) << kTwoGpus;
  EXPECT_EQ(r.sensor->selected(), (std::vector<bool>{false, true}));
}

TEST_F(NvmlSensorTest, DevicesByPidNoteWhenOnlyOthersRunOnTheGpus) {
  ctx_.devices_by_pid = true;
  std::string script = std::string(kTwoGpus) + "compute_pids 1\n";
  ProbeResult r = probe(script);
  ASSERT_NE(r.sensor, nullptr);
  EXPECT_THAT(r.notes, Contains(HasSubstr("no GPU runs the tracked process or its children yet")));
}

TEST(NvmlSensorOldDriverTest, MissingOptionalSymbolsFallBack) {
  FakeGpuLibrary fake("fake_nvml_old");
  ASSERT_TRUE(fake.loaded());
  Environment env;
  env.nvml_library = fake.path();
  ProbeContext ctx;
  ctx.env = &env;
  ctx.devices_by_pid = true;
  ChildProcess child;
  write_fake_script("FAKE_NVML_SCRIPT",
                    "clock manual\ndevice\nname Tesla K80\ntrace 150:1\n"
                    "compute_pids 7 8 9 " +
                        std::to_string(child.pid()) + "\n");
  ProbeResult r = probe_nvml(ctx);
  ASSERT_NE(r.sensor, nullptr) << r.unavailable_reason;
  const SensorDevice& d = r.sensor->devices()[0];
  EXPECT_EQ(d.kind, ReadingKind::kPower);
  EXPECT_THAT(r.notes,
              Contains(HasSubstr("(nvmlDeviceGetTotalEnergyConsumption: not in this NVML)")));
  // The unversioned process list has the older, shorter record.
  EXPECT_EQ(r.sensor->selected(), (std::vector<bool>{true}));
  std::vector<Reading> out;
  r.sensor->read(out);
  EXPECT_EQ(out[0].status, ReadStatus::kOk);
  EXPECT_DOUBLE_EQ(out[0].power_w, 150.0);
  std::string calls = fake.function<const char*()>("fake_nvml_calls")();
  EXPECT_THAT(calls, AllOf(HasSubstr("nvmlInit,"), HasSubstr("nvmlDeviceGetHandleByIndex,"),
                           HasSubstr("nvmlDeviceGetComputeRunningProcesses,")));
  unsetenv("FAKE_NVML_SCRIPT");
}

TEST(NvmlSensorOldDriverTest, MissingRequiredSymbolUnloadsTheLibrary) {
  Environment env;
  env.nvml_library = testing::fake_gpu_library_path("fake_nvml_no_name");
  ProbeContext ctx;
  ctx.env = &env;
  ProbeResult r = probe_nvml(ctx);
  EXPECT_EQ(r.sensor, nullptr);
  EXPECT_EQ(r.unavailable_reason, env.nvml_library +
                                      " lacks the NVML function nvmlDeviceGetName (driver too old, "
                                      "or not NVML); it was unloaded");
  EXPECT_EQ(dlopen(env.nvml_library.c_str(), RTLD_NOW | RTLD_NOLOAD), nullptr);
}

TEST(SensorTableTest, ListsBothGpuSensors) {
  const auto& table = sensor_table();
  auto find = [&](const char* name) {
    return std::find_if(table.begin(), table.end(),
                        [&](const SensorEntry& e) { return std::string(e.name) == name; });
  };
  ASSERT_NE(find("nvml"), table.end());
  ASSERT_NE(find("rocm-smi"), table.end());
  EXPECT_EQ(find("nvml")->component, ComponentKind::kGpu);
  EXPECT_EQ(find("rocm-smi")->component, ComponentKind::kGpu);
  EXPECT_EQ(find("nvml")->probe, &probe_nvml);
}

}  // namespace
}  // namespace carbontracker
