#include "sensors/hwmon.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common/clock.h"
#include "energy/engine.h"
#include "fakes/failing_file_reader.h"
#include "fakes/fake_hwmon_tree.h"
#include "fakes/sensor_probe_helpers.h"
#include "sensors/sensor_table.h"

namespace carbontracker {
namespace {

using testing::device_names;
using testing::read_all;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::TempDir;
using testing::write_file;

class HwmonTest : public ::testing::Test {
 protected:
  HwmonTest() {
    env_.hwmon_root = root_.path();
    ctx_.env = &env_;
    ctx_.clock = &clock_;
  }
  // A fresh start-up: the scan is made again.
  void rescan() { ctx_.hwmon_scan.reset(); }

  TempDir root_;
  Environment env_;
  FakeClock clock_;
  ProbeContext ctx_;
};

TEST_F(HwmonTest, GraceTwoSocketsCountsTheGraceRailOncePerSocket) {
  int n = testing::write_grace_socket(root_.path(), 0, 0, 400, 180, 40);
  testing::write_grace_socket(root_.path(), n, 1, 380, 150, 30);
  testing::write_other_hwmon(root_.path(), 20, "coretemp");

  ProbeResult cpu = probe_hwmon_grace(ctx_);
  ASSERT_TRUE(cpu.sensor) << cpu.unavailable_reason;
  EXPECT_THAT(device_names(cpu), ElementsAre("grace:0", "grace:1"));
  const auto& devs = cpu.sensor->devices();
  EXPECT_EQ(devs[0].info.component, ComponentKind::kCpu);
  EXPECT_EQ(devs[0].info.provenance, Provenance::kMeasured);
  EXPECT_EQ(devs[0].kind, ReadingKind::kPower);
  EXPECT_DOUBLE_EQ(devs[0].power_average_s, 0.05);
  EXPECT_THAT(devs[0].info.source, HasSubstr("Grace Power Socket 0"));
  EXPECT_THAT(devs[0].info.source, HasSubstr(root_.path() + "/hwmon1/device/power1_average"));
  std::vector<Reading> r = read_all(*cpu.sensor);
  EXPECT_EQ(r[0].status, ReadStatus::kOk);
  EXPECT_DOUBLE_EQ(r[0].power_w, 220.0);  // cpu + sysio of socket 0
  EXPECT_DOUBLE_EQ(r[1].power_w, 180.0);
  ASSERT_EQ(cpu.verbose_notes.size(), 1u);
  EXPECT_THAT(cpu.verbose_notes[0], HasSubstr("hwmon20 (coretemp)"));

  // The module rails are the node figure, beside; the scan is not made again.
  ProbeResult node = probe_hwmon_node(ctx_);
  ASSERT_TRUE(node.sensor);
  EXPECT_THAT(device_names(node), ElementsAre("module:0", "module:1"));
  EXPECT_EQ(node.sensor->devices()[0].info.component, ComponentKind::kNode);
  EXPECT_EQ(node.sensor->devices()[0].info.provenance, Provenance::kPlatformMeter);
  EXPECT_THAT(node.verbose_notes, IsEmpty());
  r = read_all(*node.sensor);
  EXPECT_DOUBLE_EQ(r[0].power_w, 400.0);
  EXPECT_DOUBLE_EQ(r[1].power_w, 380.0);
}

TEST_F(HwmonTest, GraceWithoutTheGraceRailCountsCpuPlusSysIo) {
  std::string root = root_.path();
  testing::write_power_meter(root, 0, "CPU Power Socket 0", 100, 50, /*in_device=*/false);
  testing::write_power_meter(root, 1, "SysIO Power Socket 0", 20, 50, /*in_device=*/false);
  ProbeResult cpu = probe_hwmon_grace(ctx_);
  ASSERT_TRUE(cpu.sensor);
  EXPECT_THAT(device_names(cpu), ElementsAre("cpu:0", "sysio:0"));
  std::vector<Reading> r = read_all(*cpu.sensor);
  EXPECT_DOUBLE_EQ(r[0].power_w + r[1].power_w, 120.0);
  // No module rail, no other meter: no node figure, and nothing to say.
  ProbeResult node = probe_hwmon_node(ctx_);
  EXPECT_FALSE(node.sensor);
  EXPECT_EQ(node.unavailable_reason, "");
}

TEST_F(HwmonTest, X86PlatformMeterIsTheNodeNeverTheCpu) {
  std::string root = root_.path();
  testing::write_power_meter(root, 0, "", 312.5, 1000, /*in_device=*/true);
  testing::write_other_hwmon(root, 1, "nvme");
  ProbeResult cpu = probe_hwmon_grace(ctx_);
  EXPECT_FALSE(cpu.sensor);
  EXPECT_EQ(cpu.unavailable_reason, "");
  ProbeResult node = probe_hwmon_node(ctx_);
  ASSERT_TRUE(node.sensor);
  EXPECT_THAT(device_names(node), ElementsAre("meter:0"));
  const SensorDevice& d = node.sensor->devices()[0];
  EXPECT_EQ(d.info.component, ComponentKind::kNode);
  EXPECT_STREQ(provenance_name(d.info.provenance), "platform power meter");
  EXPECT_DOUBLE_EQ(d.power_average_s, 1.0);
  EXPECT_DOUBLE_EQ(d.max_interval_s, 1.0);
  EXPECT_DOUBLE_EQ(read_all(*node.sensor)[0].power_w, 312.5);
}

TEST_F(HwmonTest, AmdgpuByPciAddressOnlyWithoutRocmSmi) {
  std::string root = root_.path();
  testing::write_amdgpu(root, 3, "0000:c3:00.0", 212.0);
  testing::write_amdgpu(root, 2, "0000:03:00.0", 95.5, /*input=*/true);
  ProbeResult gpu = probe_hwmon_amdgpu(ctx_);
  ASSERT_TRUE(gpu.sensor) << gpu.unavailable_reason;
  EXPECT_THAT(device_names(gpu), ElementsAre("amdgpu:0", "amdgpu:1"));
  EXPECT_EQ(gpu.sensor->devices()[0].info.note, "PCI 0000:03:00.0");
  EXPECT_THAT(gpu.sensor->devices()[0].info.source, HasSubstr("power1_input"));
  EXPECT_EQ(gpu.sensor->devices()[1].info.note, "PCI 0000:c3:00.0");
  EXPECT_EQ(gpu.sensor->devices()[0].info.component, ComponentKind::kGpu);
  std::vector<Reading> r = read_all(*gpu.sensor);
  EXPECT_DOUBLE_EQ(r[0].power_w, 95.5);
  EXPECT_DOUBLE_EQ(r[1].power_w, 212.0);

  // ROCm SMI measured the AMD GPUs: amdgpu's hwmon adds nothing.
  ctx_.found = {"rocm-smi"};
  ProbeResult again = probe_hwmon_amdgpu(ctx_);
  EXPECT_FALSE(again.sensor);
  ASSERT_EQ(again.notes.size(), 2u);
  EXPECT_THAT(again.notes[0], HasSubstr("ROCm SMI measures the AMD GPUs"));
}

TEST_F(HwmonTest, IntelGpuEnergyCounterWrapsAt2To63) {
  std::string path =
      testing::write_intel_gpu(root_.path(), 0, "xe", "0000:03:00.0", kIntelGpuEnergyRangeUj - 500);
  testing::write_intel_gpu(root_.path(), 1, "i915", "0000:04:00.0", 7);
  ProbeResult gpu = probe_hwmon_intel_gpu(ctx_);
  ASSERT_TRUE(gpu.sensor);
  EXPECT_THAT(device_names(gpu), ElementsAre("xe:0", "i915:0"));
  const SensorDevice& d = gpu.sensor->devices()[0];
  EXPECT_EQ(d.kind, ReadingKind::kEnergyCounter);
  EXPECT_EQ(d.counter_range, kIntelGpuEnergyRangeUj);

  // The engine sees the wrap: 500 uJ before it and 1500 after, over 1 s.
  EnergyEngine engine(gpu.sensor->devices());
  std::vector<std::string> events;
  std::vector<Reading> r = read_all(*gpu.sensor);
  engine.apply(0, 10.0, r[0], 100, events);
  write_file(path, "1500\n");
  r = read_all(*gpu.sensor);
  EXPECT_EQ(r[0].counter, 1500u);
  engine.apply(0, 11.0, r[0], 100, events);
  EXPECT_THAT(events, IsEmpty());
  EXPECT_NEAR(engine.energy_j(0), 2000e-6, 1e-12);
}

TEST_F(HwmonTest, UnreadableAndUnknownSensorsAreSkippedNotErrors) {
  std::string root = root_.path();
  testing::write_power_meter(root, 0, "Grace Power Socket 0", 100);
  write_file(root + "/hwmon0/device/power1_average", "N/A\n");  // junk
  testing::write_other_hwmon(root, 1, "acpitz");
  std::filesystem::create_directories(root + "/hwmon2");  // no name
  testing::write_amdgpu(root, 3, "0000:05:00.0", 10);
  std::filesystem::remove(root + "/hwmon3/power1_average");
  ProbeResult cpu = probe_hwmon_grace(ctx_);
  EXPECT_FALSE(cpu.sensor);
  EXPECT_THAT(cpu.warnings, IsEmpty());
  std::string all;
  for (const std::string& n : cpu.verbose_notes) all += n + "\n";
  EXPECT_THAT(all, HasSubstr("hwmon1 (acpitz)"));
  EXPECT_THAT(all, HasSubstr("hwmon2 (name: No such file or directory)"));
  EXPECT_THAT(all, HasSubstr("hwmon0 (power_meter) skipped: power1_average: no number"));
  ProbeResult gpu = probe_hwmon_amdgpu(ctx_);
  EXPECT_FALSE(gpu.sensor);
  EXPECT_THAT(gpu.unavailable_reason, HasSubstr("no readable amdgpu power sensor"));
}

TEST_F(HwmonTest, PermissionDeniedIsSkippedAndAVanishedFileIsLost) {
  std::string root = root_.path();
  std::string path = testing::write_power_meter(root, 0, "", 50, 100, false);
  auto files = std::make_shared<testing::FailingFileReader>();
  files->fail(path, EACCES);
  ProbeResult node = probe_hwmon_node(ctx_, files);
  EXPECT_FALSE(node.sensor);
  ASSERT_EQ(node.verbose_notes.size(), 1u);
  EXPECT_THAT(node.verbose_notes[0], HasSubstr("Permission denied"));

  rescan();
  node = probe_hwmon_node(ctx_);
  ASSERT_TRUE(node.sensor);
  std::filesystem::remove(path);
  std::vector<Reading> r = read_all(*node.sensor);
  EXPECT_EQ(r[0].status, ReadStatus::kLost);
}

// As sysfs lays it out: the class directory's entries are links into
// /sys/devices; a device no probe reads is told by its link alone.
TEST_F(HwmonTest, ClassLinksToOtherDevicesAreSkippedWithoutReadingThem) {
  namespace fs = std::filesystem;
  std::string devices = root_ / "devices";
  std::string hwmon = root_ / "class";
  fs::create_directories(hwmon);
  auto add = [&](const std::string& device_dir, int n, const std::string& name) {
    std::string dir = devices + "/" + device_dir + "/hwmon/hwmon" + std::to_string(n);
    write_file(dir + "/name", name + "\n");
    fs::create_symlink(dir, hwmon + "/hwmon" + std::to_string(n));
    return dir;
  };
  add("platform/coretemp.0", 0, "coretemp");
  std::string meter = add("LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00", 1, "power_meter");
  write_file(meter + "/power1_average", testing::microwatts(250));
  std::string gpu = add("pci0000:00/0000:03:00.0", 2, "amdgpu");
  write_file(gpu + "/power1_input", testing::microwatts(75));
  fs::create_symlink(devices + "/pci0000:00/0000:03:00.0", gpu + "/device");
  add("pci0000:00/0000:01:00.0/nvme/nvme0", 3, "nvme");
  env_.hwmon_root = hwmon;

  ProbeResult node = probe_hwmon_node(ctx_);
  ASSERT_TRUE(node.sensor);
  EXPECT_THAT(device_names(node), ElementsAre("meter:0"));
  ASSERT_EQ(node.verbose_notes.size(), 1u);
  EXPECT_THAT(node.verbose_notes[0],
              HasSubstr("hwmon0 (device coretemp.0), hwmon3 (device nvme0)"));
  ProbeResult amd = probe_hwmon_amdgpu(ctx_);
  ASSERT_TRUE(amd.sensor);
  EXPECT_EQ(amd.sensor->devices()[0].info.note, "PCI 0000:03:00.0");
  EXPECT_DOUBLE_EQ(read_all(*amd.sensor)[0].power_w, 75.0);
}

TEST_F(HwmonTest, NoRootIsNoSensorAndNoReason) {
  env_.hwmon_root = root_ / "absent";
  using Probe = ProbeResult (*)(const ProbeContext&);
  for (Probe probe : std::initializer_list<Probe>{&probe_hwmon_grace, &probe_hwmon_node,
                                                  &probe_hwmon_amdgpu, &probe_hwmon_intel_gpu}) {
    rescan();
    ProbeResult r = probe(ctx_);
    EXPECT_FALSE(r.sensor);
    EXPECT_EQ(r.unavailable_reason, "");
    EXPECT_THAT(r.verbose_notes, IsEmpty());
  }
}

// A reading of averaged power stands for the middle of its window: a step
// from 100 W to 300 W at t = 10 s, read every 0.5 s by a meter averaging over
// 0.5 s, integrates to the exact energy once the step has passed.
TEST(HwmonEngineTest, AveragedPowerIsPlacedAtTheMiddleOfItsWindow) {
  SensorDevice d;
  d.info.name = "meter:0";
  d.kind = ReadingKind::kPower;
  d.power_average_s = 0.5;
  EnergyEngine engine({d});
  std::vector<std::string> events;
  auto truth = [](double t) { return t <= 10 ? 100 * t : 1000 + 300 * (t - 10); };
  auto average = [&](double t) { return (truth(t) - truth(t - 0.5)) / 0.5; };
  double first = 8.0, last = 13.0;
  for (double t = first; t <= last + 1e-9; t += 0.5) {
    Reading r;
    r.power_w = average(t);
    engine.apply(0, t, r, 0, events);
  }
  // The readings cover [first - 0.5, last - 0.5] window by window.
  EXPECT_NEAR(engine.energy_j(0), truth(last - 0.25) - truth(first - 0.25), 1e-9);
}

TEST(HwmonTableTest, HwmonEntriesComeAfterTheLibrariesAndRapl) {
  std::vector<std::string> gpu, node;
  for (const SensorEntry& e : sensor_table()) {
    if (e.component == ComponentKind::kGpu) gpu.push_back(e.name);
    if (e.component == ComponentKind::kNode) node.push_back(e.name);
  }
  EXPECT_THAT(gpu, ElementsAre("nvml", "rocm-smi", "hwmon-amdgpu", "hwmon-intel-gpu"));
  EXPECT_THAT(node, ElementsAre("hwmon-node"));
}

}  // namespace
}  // namespace carbontracker
