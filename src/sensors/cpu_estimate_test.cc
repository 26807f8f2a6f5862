#include "sensors/cpu_estimate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "fakes/failing_file_reader.h"
#include "fakes/fake_powercap_tree.h"

namespace carbontracker {
namespace {

using testing::FailingFileReader;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::TempDir;
using testing::write_file;

std::string cpuinfo(const std::string& vendor, int family, int model, int stepping,
                    const std::string& name, int processors = 2) {
  std::string out;
  for (int i = 0; i < processors; ++i) {
    out += "processor\t: " + std::to_string(i) + "\n";
    out += "vendor_id\t: " + vendor + "\n";
    out += "cpu family\t: " + std::to_string(family) + "\n";
    out += "model\t\t: " + std::to_string(model) + "\n";
    out += "model name\t: " + name + "\n";
    out += "stepping\t: " + std::to_string(stepping) + "\n";
    out += "flags\t\t: fpu vme de pse\n\n";
  }
  return out;
}

// user nice system idle iowait irq softirq steal guest guest_nice, then per vCPU.
std::string stat(uint64_t user, uint64_t system, uint64_t idle, uint64_t iowait, int vcpus = 2,
                 uint64_t guest = 0) {
  std::string out = "cpu  " + std::to_string(user) + " 0 " + std::to_string(system) + " " +
                    std::to_string(idle) + " " + std::to_string(iowait) + " 0 0 0 " +
                    std::to_string(guest) + " 0\n";
  for (int i = 0; i < vcpus; ++i) out += "cpu" + std::to_string(i) + " 1 0 1 1 0 0 0 0 0 0\n";
  out += "intr 12345 0 0 0\nctxt 999\nbtime 1700000000\nprocesses 42\n";
  return out;
}

class CpuEstimateTest : public ::testing::Test {
 protected:
  CpuEstimateTest() {
    env_.proc_root = proc_.path();
    ctx_.env = &env_;
    ctx_.clock = &clock_;
  }
  Reading read_cpu(Sensor& s) {
    std::vector<Reading> out(s.devices().size());
    s.read(out);
    return out[0];
  }

  TempDir proc_;
  Environment env_;
  FakeClock clock_{1000.0};
  ProbeContext ctx_;
};

TEST(CpuPowerModelTest, IntelFamiliesByModelNumber) {
  auto cascade = cpu_power_model(
      cpuinfo("GenuineIntel", 6, 85, 7, "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz"));
  EXPECT_EQ(cascade.family, "Intel Cascade Lake");
  EXPECT_DOUBLE_EQ(cascade.min_w, 0.64);
  EXPECT_DOUBLE_EQ(cascade.max_w, 3.97);

  auto skylake_sp = cpu_power_model(
      cpuinfo("GenuineIntel", 6, 85, 4, "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz"));
  EXPECT_EQ(skylake_sp.family, "Intel Skylake");
  EXPECT_DOUBLE_EQ(skylake_sp.min_w, 0.65);
  EXPECT_DOUBLE_EQ(skylake_sp.max_w, 4.26);
  EXPECT_EQ(cpu_power_model(cpuinfo("GenuineIntel", 6, 94, 3, "Intel(R) Core(TM) i7-6700")).family,
            "Intel Skylake");

  auto haswell = cpu_power_model(
      cpuinfo("GenuineIntel", 6, 63, 2, "Intel(R) Xeon(R) CPU E5-2680 v3 @ 2.50GHz"));
  EXPECT_EQ(haswell.family, "Intel Haswell");
  EXPECT_DOUBLE_EQ(haswell.min_w, 1.0);
  EXPECT_DOUBLE_EQ(haswell.max_w, 4.74);
}

TEST(CpuPowerModelTest, AmdEpycByModelNumberOrName) {
  auto rome =
      cpu_power_model(cpuinfo("AuthenticAMD", 23, 49, 0, "AMD EPYC 7742 64-Core Processor"));
  EXPECT_EQ(rome.family, "AMD EPYC 2nd Gen");
  EXPECT_DOUBLE_EQ(rome.min_w, 0.47);
  EXPECT_DOUBLE_EQ(rome.max_w, 1.69);
  // Cloud names hide the model number sometimes; the name still tells.
  EXPECT_EQ(cpu_power_model(cpuinfo("AuthenticAMD", 23, 0, 0, "AMD EPYC 7B12")).family,
            "AMD EPYC 2nd Gen");

  auto milan =
      cpu_power_model(cpuinfo("AuthenticAMD", 25, 1, 1, "AMD EPYC 7763 64-Core Processor"));
  EXPECT_EQ(milan.family, "AMD EPYC 3rd Gen");
  EXPECT_DOUBLE_EQ(milan.min_w, 0.45);
  EXPECT_DOUBLE_EQ(milan.max_w, 2.02);
  EXPECT_EQ(cpu_power_model(cpuinfo("AuthenticAMD", 25, 99, 0, "AMD EPYC 7R13 Processor")).family,
            "AMD EPYC 3rd Gen");
}

TEST(CpuPowerModelTest, OthersGetTheAverage) {
  for (const std::string& text :
       {cpuinfo("GenuineIntel", 6, 143, 8, "Intel(R) Xeon(R) Platinum 8480+"),  // Sapphire Rapids
        cpuinfo("AuthenticAMD", 23, 1, 2, "AMD EPYC 7601 32-Core Processor"),   // 1st gen
        cpuinfo("AuthenticAMD", 25, 17, 1, "AMD EPYC 9654 96-Core Processor"),  // 4th gen
        cpuinfo("GenuineIntel", 15, 85, 7, "not family 6"),
        std::string("processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\n"),  // arm64
        std::string()}) {
    auto m = cpu_power_model(text);
    EXPECT_EQ(m.family, "average of all families") << text;
    EXPECT_DOUBLE_EQ(m.min_w, 0.74);
    EXPECT_DOUBLE_EQ(m.max_w, 3.5);
  }
}

TEST(CpuPowerModelTest, OnlyTheFirstProcessorBlockCounts) {
  std::string text = cpuinfo("GenuineIntel", 6, 85, 7, "first", 1) +
                     cpuinfo("AuthenticAMD", 23, 49, 0, "second", 1);
  EXPECT_EQ(cpu_power_model(text).family, "Intel Cascade Lake");
}

TEST_F(CpuEstimateTest, DevicesNamesAndSources) {
  write_file(proc_ / "cpuinfo",
             cpuinfo("GenuineIntel", 6, 85, 7, "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz"));
  write_file(proc_ / "stat", stat(100, 50, 800, 50));
  write_file(proc_ / "meminfo",
             "MemTotal:       24536940 kB\nMemFree:         1000000 kB\nMemAvailable:    2 kB\n");

  ProbeResult r = probe_cpu_estimate(ctx_);
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(r.warnings, IsEmpty());
  const auto& devs = r.sensor->devices();
  ASSERT_EQ(devs.size(), 2u);
  EXPECT_EQ(devs[0].info.name, "cpu:0 (estimated)");
  EXPECT_EQ(devs[0].info.component, ComponentKind::kCpu);
  EXPECT_EQ(devs[0].info.provenance, Provenance::kEstimated);
  EXPECT_EQ(devs[0].info.source,
            "estimated: per-vCPU linear model (SPECpower via Cloud Carbon Footprint, Intel Cascade "
            "Lake: 0.64-3.97 W per vCPU), 2 vCPUs, utilisation from " +
                proc_.path() + "/stat");
  EXPECT_EQ(devs[0].kind, ReadingKind::kEnergyCounter);
  EXPECT_EQ(devs[0].counter_range, 0u);
  EXPECT_DOUBLE_EQ(devs[0].counter_unit_j, 1e-6);

  EXPECT_EQ(devs[1].info.name, "dram:0 (estimated)");
  EXPECT_EQ(devs[1].info.provenance, Provenance::kEstimated);
  EXPECT_EQ(devs[1].info.source, "estimated: 0.392 W/GB (Cloud Carbon Footprint) x 23.4 GB");
  EXPECT_EQ(devs[1].kind, ReadingKind::kPower);

  std::vector<Reading> out(2);
  r.sensor->read(out);
  EXPECT_EQ(out[1].status, ReadStatus::kOk);
  EXPECT_DOUBLE_EQ(out[1].power_w, 24536940.0 / 1048576.0 * 0.392);
}

// The probe reads only the start of cpuinfo and meminfo where it holds the
// lines it needs, and the whole file where it does not: the figures are the same.
TEST_F(CpuEstimateTest, LargeCpuinfoAndMeminfoGiveTheSameModelAndRam) {
  const std::string padding = "bogus\t\t: " + std::string(3000, 'x') + "\n";
  // 64 processors (about 9 KB): the identity lines are in the first KB.
  write_file(proc_ / "cpuinfo", cpuinfo("GenuineIntel", 6, 85, 7, "Cascade Lake", 64));
  write_file(proc_ / "stat", stat(100, 50, 800, 50, 64));
  write_file(proc_ / "meminfo", "MemTotal:       24536940 kB\n" + padding);
  ProbeResult r = probe_cpu_estimate(ctx_);
  ASSERT_TRUE(r.sensor);
  const auto& devs = r.sensor->devices();
  ASSERT_EQ(devs.size(), 2u);
  EXPECT_THAT(devs[0].info.source,
              HasSubstr("Intel Cascade Lake: 0.64-3.97 W per vCPU), 64 vCPUs"));
  EXPECT_EQ(devs[1].info.source, "estimated: 0.392 W/GB (Cloud Carbon Footprint) x 23.4 GB");

  // The identity lines and MemTotal after the first KB: read whole.
  write_file(proc_ / "cpuinfo",
             "processor\t: 0\n" + padding + cpuinfo("AuthenticAMD", 23, 49, 0, "AMD EPYC 7742", 1));
  write_file(proc_ / "meminfo", padding + "MemTotal:       1048576 kB\n");
  r = probe_cpu_estimate(ctx_);
  ASSERT_TRUE(r.sensor);
  ASSERT_EQ(r.sensor->devices().size(), 2u);
  EXPECT_THAT(r.sensor->devices()[0].info.source, HasSubstr("AMD EPYC 2nd Gen"));
  EXPECT_EQ(r.sensor->devices()[1].info.source,
            "estimated: 0.392 W/GB (Cloud Carbon Footprint) x 1.0 GB");

  // No utilisation from stat: the vCPUs are counted in the whole cpuinfo.
  write_file(proc_ / "cpuinfo", cpuinfo("GenuineIntel", 6, 85, 7, "Cascade Lake", 64));
  write_file(proc_ / "stat", "garbage\n");
  r = probe_cpu_estimate(ctx_);
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(r.sensor->devices()[0].info.source, HasSubstr("64 vCPUs"));
}

TEST_F(CpuEstimateTest, IntegratesTheLinearModelOverStatDeltas) {
  write_file(proc_ / "cpuinfo", cpuinfo("GenuineIntel", 6, 85, 7, "Cascade Lake"));
  // Guest time (here 10) is part of user time already and must not be added.
  write_file(proc_ / "stat", stat(100, 50, 800, 50, 2, 10));
  write_file(proc_ / "meminfo", "MemTotal: 1048576 kB\n");
  ProbeResult r = probe_cpu_estimate(ctx_);
  ASSERT_TRUE(r.sensor);

  Reading first = read_cpu(*r.sensor);
  EXPECT_EQ(first.status, ReadStatus::kOk);
  EXPECT_EQ(first.counter, 0u);

  // +30 busy of +100 total: u = 0.3 over 10 s.
  write_file(proc_ / "stat", stat(120, 60, 860, 60, 2, 10));
  clock_.advance(10.0);
  const double e1_uj = 2 * (0.64 + 0.3 * (3.97 - 0.64)) * 10.0 * 1e6;  // 32.78 J
  EXPECT_NEAR(static_cast<double>(read_cpu(*r.sensor).counter), e1_uj, 1.0);

  // Fully busy for 5 s.
  write_file(proc_ / "stat", stat(200, 80, 860, 60, 2, 10));
  clock_.advance(5.0);
  const double e2_uj = e1_uj + 2 * 3.97 * 5.0 * 1e6;
  EXPECT_NEAR(static_cast<double>(read_cpu(*r.sensor).counter), e2_uj, 1.0);

  // No tick elapsed: the last utilisation stands.
  clock_.advance(1.0);
  const double e3_uj = e2_uj + 2 * 3.97 * 1.0 * 1e6;
  EXPECT_NEAR(static_cast<double>(read_cpu(*r.sensor).counter), e3_uj, 1.0);

  // All idle (iowait counts as idle) for 2 s.
  write_file(proc_ / "stat", stat(200, 80, 900, 100, 2, 10));
  clock_.advance(2.0);
  const double e4_uj = e3_uj + 2 * 0.64 * 2.0 * 1e6;
  EXPECT_NEAR(static_cast<double>(read_cpu(*r.sensor).counter), e4_uj, 1.0);
}

TEST_F(CpuEstimateTest, VcpusCountedFromStatLines) {
  write_file(proc_ / "stat", stat(0, 0, 100, 0, 16));
  ProbeResult r = probe_cpu_estimate(ctx_);
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(r.sensor->devices()[0].info.source, HasSubstr("average of all families: 0.74-3.5 W"));
  EXPECT_THAT(r.sensor->devices()[0].info.source, HasSubstr(", 16 vCPUs,"));
  EXPECT_DOUBLE_EQ(r.sensor->devices()[0].max_power_w, 16 * 3.5);

  read_cpu(*r.sensor);
  write_file(proc_ / "stat", stat(50, 0, 150, 0, 16));  // u = 0.5
  clock_.advance(4.0);
  EXPECT_NEAR(static_cast<double>(read_cpu(*r.sensor).counter),
              16 * (0.74 + 0.5 * 2.76) * 4.0 * 1e6, 1.0);
}

// Files are read with a small buffer first; one that fills it is read again
// with a larger one, so a big machine's /proc/stat (here 81 KB) counts whole.
TEST_F(CpuEstimateTest, FilesLargerThanTheFirstBufferAreReadWhole) {
  std::string text = stat(0, 0, 100, 0, 3000);
  ASSERT_GT(text.size(), 64u << 10);
  write_file(proc_ / "stat", text);
  ProbeResult r = probe_cpu_estimate(ctx_);
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(r.sensor->devices()[0].info.source, HasSubstr(", 3000 vCPUs,"));
}

TEST_F(CpuEstimateTest, UnreadableStatAssumesHalfUtilisation) {
  write_file(proc_ / "cpuinfo", cpuinfo("GenuineIntel", 6, 63, 2, "Haswell", 4));
  auto files = std::make_shared<FailingFileReader>();
  files->fail(proc_ / "stat", EACCES);
  ProbeResult r = probe_cpu_estimate(ctx_, files);
  ASSERT_TRUE(r.sensor);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], HasSubstr(proc_ / "stat"));
  EXPECT_THAT(r.warnings[0], HasSubstr("50 % utilisation"));
  const std::string& source = r.sensor->devices()[0].info.source;
  EXPECT_THAT(source, HasSubstr("Intel Haswell: 1-4.74 W per vCPU"));
  EXPECT_THAT(source, HasSubstr("4 vCPUs"));  // from cpuinfo's processor lines
  EXPECT_THAT(source, HasSubstr("utilisation assumed 0.5"));

  EXPECT_EQ(read_cpu(*r.sensor).counter, 0u);
  clock_.advance(10.0);
  EXPECT_NEAR(static_cast<double>(read_cpu(*r.sensor).counter), 4 * (1.0 + 0.5 * 3.74) * 10.0 * 1e6,
              1.0);
}

TEST_F(CpuEstimateTest, MissingFilesStillGiveASensor) {
  ProbeResult r = probe_cpu_estimate(ctx_);  // empty proc root
  ASSERT_TRUE(r.sensor);
  ASSERT_EQ(r.sensor->devices().size(), 1u);  // no meminfo: no RAM device
  EXPECT_EQ(r.sensor->devices()[0].info.name, "cpu:0 (estimated)");
  EXPECT_THAT(r.sensor->devices()[0].info.source, HasSubstr("average of all families"));
  EXPECT_THAT(r.sensor->devices()[0].info.source, HasSubstr("1 vCPU, utilisation assumed 0.5"));
  EXPECT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.notes, ::testing::Contains(HasSubstr("RAM is not counted")));

  read_cpu(*r.sensor);
  clock_.advance(2.0);
  EXPECT_NEAR(static_cast<double>(read_cpu(*r.sensor).counter), (0.74 + 0.5 * 2.76) * 2e6, 1.0);
}

TEST_F(CpuEstimateTest, GarbageFilesNeverFail) {
  write_file(proc_ / "stat", "garbage\n");
  write_file(proc_ / "cpuinfo", ":::\n\n\nmodel : x\n");
  write_file(proc_ / "meminfo", "MemTotal: lots kB\n");
  ProbeResult r = probe_cpu_estimate(ctx_);
  ASSERT_TRUE(r.sensor);
  EXPECT_EQ(r.sensor->devices().size(), 1u);
  EXPECT_THAT(r.sensor->devices()[0].info.source, HasSubstr("utilisation assumed 0.5"));
}

TEST_F(CpuEstimateTest, StatFailingMidRunKeepsTheLastUtilisation) {
  write_file(proc_ / "stat", stat(0, 0, 100, 0, 1));
  auto files = std::make_shared<FailingFileReader>();
  ProbeResult r = probe_cpu_estimate(ctx_, files);
  ASSERT_TRUE(r.sensor);
  read_cpu(*r.sensor);
  write_file(proc_ / "stat", stat(100, 0, 100, 0, 1));  // u = 1
  clock_.advance(1.0);
  const double e1_uj = 3.5e6;
  EXPECT_NEAR(static_cast<double>(read_cpu(*r.sensor).counter), e1_uj, 1.0);
  files->fail(proc_ / "stat", EIO);
  clock_.advance(1.0);
  Reading r2 = read_cpu(*r.sensor);
  EXPECT_EQ(r2.status, ReadStatus::kOk);
  EXPECT_NEAR(static_cast<double>(r2.counter), 2 * e1_uj, 1.0);
}

TEST_F(CpuEstimateTest, CounterNeverGoesBackwardsWhenStatDoes) {
  write_file(proc_ / "stat", stat(500, 0, 500, 0, 1));
  ProbeResult r = probe_cpu_estimate(ctx_);
  ASSERT_TRUE(r.sensor);
  uint64_t prev = read_cpu(*r.sensor).counter;
  write_file(proc_ / "stat", stat(10, 0, 10, 0, 1));  // e.g. a container's stat replaced
  for (int i = 0; i < 3; ++i) {
    clock_.advance(1.0);
    uint64_t now = read_cpu(*r.sensor).counter;
    EXPECT_GT(now, prev);
    prev = now;
  }
}

}  // namespace
}  // namespace carbontracker

namespace carbontracker {
namespace {

TEST(CpuEstimateThisMachineTest, RealProcGivesOneVcpuPerOnlineCpu) {
  Environment env;  // the real /proc
  ProbeContext ctx;
  ctx.env = &env;
  ctx.clock = &SystemClock::instance();
  ProbeResult r = probe_cpu_estimate(ctx);
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(r.warnings, ::testing::IsEmpty());
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  EXPECT_THAT(r.sensor->devices()[0].info.source,
              ::testing::HasSubstr(", " + std::to_string(online) + " vCPU"));
  EXPECT_THAT(r.sensor->devices()[0].info.source,
              ::testing::HasSubstr("utilisation from /proc/stat"));
}

}  // namespace
}  // namespace carbontracker
