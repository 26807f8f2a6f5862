// Tests of the ROCm SMI sensor through its real dlopen loader, against the
// fake library of tests/fake_gpu.
#include "sensors/gpu/rocm_smi_sensor.h"

#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_gpu/fake_gpu.h"
#include "fakes/fake_powercap_tree.h"

namespace carbontracker {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using testing::FakeGpuLibrary;
using ::testing::HasSubstr;
using testing::TempDir;
using testing::trace_energy_j;
using testing::write_fake_script;
using testing::write_file;

const char* kThreeGpus = R"(clock manual
device
name AMD Instinct MI250X
unique_id 0x1111aaaa2222bbbb
resolution 15.3
trace 500:0.3,90:0.7
energy_start 987654321
device
name AMD Instinct MI250X
unique_id 0x3333cccc4444dddd
resolution 15.3
trace 0:1
device
name Radeon Pro W6800
unique_id 0x5555eeee6666ffff
energy 0
trace 220:0.4,35:0.9
)";

class RocmSmiSensorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.loaded()) << fake_.path();
    env_.rocm_smi_library = fake_.path();
    ctx_.env = &env_;
  }
  void TearDown() override { unsetenv("FAKE_ROCM_SMI_SCRIPT"); }

  ProbeResult probe(const std::string& script) {
    write_fake_script("FAKE_ROCM_SMI_SCRIPT", script);
    return probe_rocm_smi(ctx_);
  }
  std::vector<Reading> read(Sensor& sensor, double t) {
    fake_.function<void(double)>("fake_rsmi_set_time_s")(t);
    std::vector<Reading> out;
    sensor.read(out);
    return out;
  }
  std::vector<std::string> names(const ProbeResult& r) {
    std::vector<std::string> out;
    for (const SensorDevice& d : r.sensor->devices())
      out.push_back(d.info.name + "/" + d.info.source);
    return out;
  }

  FakeGpuLibrary fake_{"fake_rocm_smi"};
  Environment env_;
  ProbeContext ctx_;
};

TEST_F(RocmSmiSensorTest, NamesTheMissingLibrary) {
  env_.rocm_smi_library = "/nonexistent/librocm_smi64.so";
  ProbeResult r = probe_rocm_smi(ctx_);
  EXPECT_EQ(r.sensor, nullptr);
  EXPECT_EQ(
      r.unavailable_reason,
      "CARBONTRACKER_ROCM_SMI_LIBRARY=/nonexistent/librocm_smi64.so does not load: no such file");
}

TEST_F(RocmSmiSensorTest, LibraryIsSearchedOnlyWhereADriverSignExists) {
  env_.rocm_smi_library.clear();
  {
    TempDir dir;
    env_.dev_root = dir / "dev";
    env_.sys_root = dir / "sys";
    ProbeResult r = probe_rocm_smi(ctx_);
    EXPECT_EQ(r.sensor, nullptr);
    EXPECT_EQ(r.unavailable_reason,
              "no AMD GPU driver (none of " + dir / "dev/kfd or " + dir / "sys/class/kfd exists)");
  }
  if (void* real = dlopen("librocm_smi64.so", RTLD_NOW | RTLD_LOCAL)) {
    dlclose(real);
    GTEST_SKIP() << "this machine has a real ROCm SMI";
  }
  for (std::string sign : {"dev/kfd", "sys/class/kfd/kfd/topology"}) {
    TempDir dir;
    write_file(dir / sign, "");
    env_.dev_root = dir / "dev";
    env_.sys_root = dir / "sys";
    ProbeResult r = probe_rocm_smi(ctx_);
    EXPECT_EQ(r.sensor, nullptr);
    EXPECT_EQ(r.unavailable_reason.rfind("no ROCm SMI library found (tried librocm_smi64.so, ", 0),
              0u)
        << r.unavailable_reason;
  }
  // A library named explicitly is always tried.
  TempDir empty;
  env_.dev_root = empty / "dev";
  env_.sys_root = empty / "sys";
  env_.rocm_smi_library = fake_.path();
  ProbeResult r = probe(kThreeGpus);
  ASSERT_NE(r.sensor, nullptr) << r.unavailable_reason;
  EXPECT_EQ(r.sensor->devices().size(), 3u);
}

TEST_F(RocmSmiSensorTest, InitFailureAndNoDevices) {
  ProbeResult r = probe("init_error 8\n");
  EXPECT_EQ(r.sensor, nullptr);
  EXPECT_THAT(r.unavailable_reason, HasSubstr("rsmi_init failed: "));
  r = probe("clock manual\n");
  EXPECT_EQ(r.unavailable_reason, "ROCm SMI found no GPU");
  EXPECT_EQ(fake_.function<int()>("fake_rsmi_live_inits")(), 0);
}

TEST_F(RocmSmiSensorTest, EnergyCounterTimesResolutionIsExact) {
  ProbeResult r = probe(kThreeGpus);
  ASSERT_NE(r.sensor, nullptr) << r.unavailable_reason;
  const auto& d = r.sensor->devices();
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].kind, ReadingKind::kEnergyCounter);
  EXPECT_NEAR(d[0].counter_unit_j, 15.3e-6, 1e-12);
  EXPECT_EQ(d[0].info.source, "ROCm SMI energy counter (rsmi_dev_energy_count_get)");
  EXPECT_EQ(d[0].info.component, ComponentKind::kGpu);
  std::vector<Reading> a = read(*r.sensor, 0.45), b = read(*r.sensor, 7.77);
  double got = (b[0].counter - a[0].counter) * d[0].counter_unit_j;
  double truth = trace_energy_j({{500, 0.3}, {90, 0.7}}, 0.45, 7.77);
  EXPECT_NEAR(got, truth, truth * 0.005);
  // A dual-die board that reports all its energy on one die: the other reads 0.
  EXPECT_EQ(b[1].counter, a[1].counter);
}

TEST_F(RocmSmiSensorTest, PowerFallback) {
  ProbeResult r = probe(kThreeGpus);
  ASSERT_NE(r.sensor, nullptr);
  const SensorDevice& d = r.sensor->devices()[2];
  EXPECT_EQ(d.kind, ReadingKind::kPower);
  EXPECT_DOUBLE_EQ(d.max_interval_s, 0.1);
  EXPECT_THAT(r.notes, Contains(HasSubstr("GPU 2 (Radeon Pro W6800) has no energy counter")));
  double energy_j = 0, last_w = read(*r.sensor, 0.03)[2].power_w;
  for (int i = 1; i <= 200; ++i) {
    double w = read(*r.sensor, 0.03 + i * 0.1)[2].power_w;
    energy_j += (last_w + w) / 2 * 0.1;
    last_w = w;
  }
  double truth = trace_energy_j({{220, 0.4}, {35, 0.9}}, 0.03, 20.03);
  EXPECT_NEAR(energy_j, truth, truth * 0.02);
}

TEST_F(RocmSmiSensorTest, VisibleDevices) {
  const std::string mi = "AMD Instinct MI250X/ROCm SMI energy counter (rsmi_dev_energy_count_get)";
  const std::string w6800 =
      "Radeon Pro W6800/ROCm SMI average power (rsmi_dev_power_ave_get), sampled at 10 Hz";
  env_.vars["ROCR_VISIBLE_DEVICES"] = "2,0";
  ProbeResult r = probe(kThreeGpus);
  ASSERT_NE(r.sensor, nullptr);
  EXPECT_EQ(names(r), (std::vector<std::string>{w6800, mi}));

  env_.vars["HIP_VISIBLE_DEVICES"] = "1";  // the second of ROCR's: physical 0
  r = probe(kThreeGpus);
  ASSERT_NE(r.sensor, nullptr);
  EXPECT_EQ(names(r), (std::vector<std::string>{mi}));

  env_.vars.erase("HIP_VISIBLE_DEVICES");
  env_.vars["ROCR_VISIBLE_DEVICES"] = "GPU-5555eeee";
  r = probe(kThreeGpus);
  ASSERT_NE(r.sensor, nullptr);
  EXPECT_EQ(names(r), (std::vector<std::string>{w6800}));

  env_.vars["ROCR_VISIBLE_DEVICES"] = "1,5";
  r = probe(kThreeGpus);
  ASSERT_NE(r.sensor, nullptr);
  EXPECT_EQ(r.sensor->devices().size(), 1u);
  EXPECT_THAT(r.warnings, Contains(HasSubstr("ROCR_VISIBLE_DEVICES=\"1,5\": invalid entry \"5\"")));

  env_.vars["ROCR_VISIBLE_DEVICES"] = "";
  r = probe(kThreeGpus);
  EXPECT_EQ(r.sensor, nullptr);
  EXPECT_THAT(r.unavailable_reason, HasSubstr("no AMD GPU visible (ROCR_VISIBLE_DEVICES=\"\""));
}

TEST_F(RocmSmiSensorTest, LostGpuStopsAndOthersGoOn) {
  std::string script = std::string(kThreeGpus) + "lost_after 2\n";
  ProbeResult r = probe(script);
  ASSERT_NE(r.sensor, nullptr);
  std::vector<Reading> out = read(*r.sensor, 3.0);
  EXPECT_EQ(out[0].status, ReadStatus::kOk);
  EXPECT_EQ(out[2].status, ReadStatus::kLost);
  EXPECT_THAT(out[2].message, AllOf(HasSubstr("GPU 2 (Radeon Pro W6800): rsmi_dev_power_ave_get"),
                                    HasSubstr("ROCm SMI status 4294967295")));
}

}  // namespace
}  // namespace carbontracker
