#include "sensors/rapl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "fakes/failing_file_reader.h"
#include "fakes/fake_powercap_tree.h"
#include "fakes/sensor_probe_helpers.h"

namespace carbontracker {
namespace {

using testing::device_names;
using testing::read_all;

using ::testing::Contains;
using ::testing::ElementsAre;
using testing::FailingFileReader;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::TempDir;
using testing::write_file;
using testing::write_zone;

class RaplTest : public ::testing::Test {
 protected:
  RaplTest() {
    env_.powercap_root = root_.path();
    ctx_.env = &env_;
    ctx_.clock = &clock_;
  }
  std::string zone(const std::string& rel) const { return root_ / rel; }
  ProbeResult probe() { return probe_rapl(ctx_); }

  TempDir root_;
  Environment env_;
  FakeClock clock_;
  ProbeContext ctx_;
};

TEST_F(RaplTest, SingleSocketCountsPackageAndDramOnly) {
  // The original's test vector: core, uncore and psys are not counted.
  write_zone(zone("intel-rapl:0"), "package-0", 1000, 262143328850ULL);
  write_zone(zone("intel-rapl:0/intel-rapl:0:0"), "core", 11);
  write_zone(zone("intel-rapl:0/intel-rapl:0:1"), "uncore", 12);
  write_zone(zone("intel-rapl:0/intel-rapl:0:2"), "dram", 2000, 65712999613ULL);
  write_zone(zone("intel-rapl:1"), "psys", 13);

  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor) << r.unavailable_reason;
  EXPECT_THAT(device_names(r), ElementsAre("cpu:0", "dram:0"));
  EXPECT_THAT(r.warnings, IsEmpty());
  const auto& devs = r.sensor->devices();
  EXPECT_EQ(devs[0].info.component, ComponentKind::kCpu);
  EXPECT_EQ(devs[0].info.provenance, Provenance::kMeasured);
  EXPECT_EQ(devs[0].info.source, "RAPL energy counter " + root_.path() + "/intel-rapl:0/energy_uj");
  EXPECT_EQ(devs[1].info.source,
            "RAPL energy counter " + root_.path() + "/intel-rapl:0/intel-rapl:0:2/energy_uj");
  EXPECT_EQ(devs[0].kind, ReadingKind::kEnergyCounter);
  EXPECT_DOUBLE_EQ(devs[0].counter_unit_j, 1e-6);
  EXPECT_EQ(devs[0].counter_range, 262143328850ULL);
  EXPECT_EQ(devs[1].counter_range, 65712999613ULL);
  EXPECT_DOUBLE_EQ(devs[0].max_power_w, 1000.0);
  EXPECT_DOUBLE_EQ(devs[0].counter_update_s, 0.01);

  auto readings = read_all(*r.sensor);
  ASSERT_EQ(readings.size(), 2u);
  EXPECT_EQ(readings[0].status, ReadStatus::kOk);
  EXPECT_EQ(readings[0].counter, 1000u);
  EXPECT_EQ(readings[1].counter, 2000u);

  write_file(zone("intel-rapl:0/energy_uj"), "1500\n");
  readings = read_all(*r.sensor);
  EXPECT_EQ(readings[0].counter, 1500u);
}

TEST_F(RaplTest, TwoSocketsInNumericOrder) {
  write_zone(zone("intel-rapl:1"), "package-1", 30);
  write_zone(zone("intel-rapl:1/intel-rapl:1:0"), "dram", 40);
  write_zone(zone("intel-rapl:0"), "package-0", 10);
  write_zone(zone("intel-rapl:0/intel-rapl:0:0"), "dram", 20);

  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(device_names(r), ElementsAre("cpu:0", "dram:0", "cpu:1", "dram:1"));
  auto readings = read_all(*r.sensor);
  EXPECT_EQ(readings[0].counter, 10u);
  EXPECT_EQ(readings[1].counter, 20u);
  EXPECT_EQ(readings[2].counter, 30u);
  EXPECT_EQ(readings[3].counter, 40u);
}

TEST_F(RaplTest, SysfsLayoutWithTopLevelLinksCountsEachZoneOnce) {
  // /sys/class/powercap lists every zone at the top level as a link, and the
  // sub-zones are also nested inside their package's directory.
  write_zone(zone("devices/intel-rapl:0"), "package-0", 5);
  write_zone(zone("devices/intel-rapl:0/intel-rapl:0:0"), "core", 6);
  write_zone(zone("devices/intel-rapl:0/intel-rapl:0:1"), "dram", 7);
  std::filesystem::create_directory(zone("intel-rapl"));  // the control type, not a zone
  std::filesystem::create_directory_symlink("devices/intel-rapl:0", zone("intel-rapl:0"));
  std::filesystem::create_directory_symlink("devices/intel-rapl:0/intel-rapl:0:0",
                                            zone("intel-rapl:0:0"));
  std::filesystem::create_directory_symlink("devices/intel-rapl:0/intel-rapl:0:1",
                                            zone("intel-rapl:0:1"));

  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(device_names(r), ElementsAre("cpu:0", "dram:0"));
  EXPECT_EQ(r.sensor->devices()[1].info.source,
            "RAPL energy counter " + root_.path() + "/intel-rapl:0:1/energy_uj");
  auto readings = read_all(*r.sensor);
  EXPECT_EQ(readings[1].counter, 7u);
}

TEST_F(RaplTest, PsysAloneWhereNoPackageZone) {
  write_zone(zone("intel-rapl:0"), "psys", 77);
  write_zone(zone("intel-rapl:0/intel-rapl:0:0"), "dram", 88);

  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(device_names(r), ElementsAre("psys:0"));
  EXPECT_EQ(read_all(*r.sensor)[0].counter, 77u);
  EXPECT_THAT(r.notes, Contains(HasSubstr("intel-rapl:0:0 (dram) not counted")));
}

TEST_F(RaplTest, PsysIgnoredWherePackagesExist) {
  write_zone(zone("intel-rapl:0"), "package-0", 1);
  write_zone(zone("intel-rapl:1"), "psys", 2);
  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(device_names(r), ElementsAre("cpu:0"));
  EXPECT_THAT(r.notes, Contains(HasSubstr("intel-rapl:1 (psys) not counted")));
}

TEST_F(RaplTest, MmioTwinOfMsrZoneCountedOnce) {
  write_zone(zone("intel-rapl:0"), "package-0", 100);
  write_zone(zone("intel-rapl-mmio:0"), "package-0", 101);

  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(device_names(r), ElementsAre("cpu:0"));
  EXPECT_THAT(r.sensor->devices()[0].info.source, HasSubstr("/intel-rapl:0/energy_uj"));
  EXPECT_THAT(r.notes, Contains(HasSubstr("intel-rapl-mmio:0 (package-0) is the same counter as "
                                          "intel-rapl:0")));
}

TEST_F(RaplTest, MmioZoneWithoutMsrTwinIsUsed) {
  write_zone(zone("intel-rapl:0"), "package-0", 100);
  write_zone(zone("intel-rapl-mmio:1"), "package-1", 200);
  write_zone(zone("intel-rapl-mmio:1/intel-rapl-mmio:1:0"), "dram", 300);

  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(device_names(r), ElementsAre("cpu:0", "cpu:1", "dram:1"));
  auto readings = read_all(*r.sensor);
  EXPECT_EQ(readings[1].counter, 200u);
  EXPECT_EQ(readings[2].counter, 300u);
}

TEST_F(RaplTest, MmioOnlyMachineUsesMmio) {
  write_zone(zone("intel-rapl-mmio:0"), "package-0", 9);
  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(device_names(r), ElementsAre("cpu:0"));
}

TEST_F(RaplTest, MirroredDieCountersCountedOnce) {
  // Multi-die parts: one zone per die, all mirroring the socket counter.
  write_zone(zone("intel-rapl:0"), "package-0", 123456789, 65532610987ULL);
  write_zone(zone("intel-rapl:1"), "package-0", 123456789, 65532610987ULL);
  write_zone(zone("intel-rapl:2"), "package-1", 987654321, 65532610987ULL);
  write_zone(zone("intel-rapl:3"), "package-1", 987654321, 65532610987ULL);

  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(device_names(r), ElementsAre("cpu:0", "cpu:2"));
  EXPECT_THAT(r.notes, Contains(HasSubstr("intel-rapl:1 (package-0) mirrors intel-rapl:0")));
  EXPECT_THAT(r.notes, Contains(HasSubstr("intel-rapl:3 (package-1) mirrors intel-rapl:2")));
}

TEST_F(RaplTest, EqualZeroCountersAreNotMirrors) {
  write_zone(zone("intel-rapl:0"), "package-0", 0);
  write_zone(zone("intel-rapl:1"), "package-1", 0);
  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(device_names(r), ElementsAre("cpu:0", "cpu:1"));
}

TEST_F(RaplTest, EqualCountersWithDifferentRangesAreNotMirrors) {
  write_zone(zone("intel-rapl:0"), "package-0", 500, 1000000);
  write_zone(zone("intel-rapl:1"), "package-1", 500, 2000000);
  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(device_names(r), ElementsAre("cpu:0", "cpu:1"));
}

TEST_F(RaplTest, ManyPackagesWithMultiDigitIndices) {
  for (int i = 0; i < 12; ++i) {
    std::string pkg = "intel-rapl:" + std::to_string(i);
    write_zone(zone(pkg), "package-" + std::to_string(i), 1000 + i);
    write_zone(zone(pkg + "/" + pkg + ":0"), "core", 1);
    write_zone(zone(pkg + "/" + pkg + ":10"), "dram", 5000 + i);
  }
  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  std::vector<std::string> expected;
  for (int i = 0; i < 12; ++i) {
    expected.push_back("cpu:" + std::to_string(i));
    expected.push_back("dram:" + std::to_string(i));
  }
  EXPECT_EQ(device_names(r), expected);
  auto readings = read_all(*r.sensor);
  EXPECT_EQ(readings[20].counter, 1010u);  // cpu:10
  EXPECT_EQ(readings[23].counter, 5011u);  // dram:11
}

TEST_F(RaplTest, IgnoresEntriesThatAreNotZones) {
  write_zone(zone("intel-rapl:0"), "package-0", 1);
  write_zone(zone("intel-rapl:x"), "package-9", 1);
  write_zone(zone("intel-rapl:1:"), "package-9", 1);
  write_zone(zone("intel-rapl:2:3:4"), "package-9", 1);
  write_zone(zone("dtpm"), "package-9", 1);
  write_zone(zone("intel-rapl:0/intel-rapl:5:0"), "dram", 1);  // another package's index
  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(device_names(r), ElementsAre("cpu:0"));
}

TEST_F(RaplTest, UnreadableRangeGivesZeroRange) {
  write_zone(zone("intel-rapl:0"), "package-0", 1);
  std::filesystem::remove(zone("intel-rapl:0/max_energy_range_uj"));
  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  EXPECT_EQ(r.sensor->devices()[0].counter_range, 0u);
}

TEST_F(RaplTest, PermissionDeniedGivesNoSensorAndOneWarningWithTheFix) {
  write_zone(zone("intel-rapl:0"), "package-0", 1);
  write_zone(zone("intel-rapl:0/intel-rapl:0:0"), "core", 1);
  write_zone(zone("intel-rapl:0/intel-rapl:0:1"), "dram", 1);
  write_zone(zone("intel-rapl:1"), "package-1", 2);
  auto files = std::make_shared<FailingFileReader>();
  const std::string pkg0 = zone("intel-rapl:0/energy_uj");
  const std::string core0 = zone("intel-rapl:0/intel-rapl:0:0/energy_uj");
  const std::string dram0 = zone("intel-rapl:0/intel-rapl:0:1/energy_uj");
  const std::string pkg1 = zone("intel-rapl:1/energy_uj");
  for (const std::string& p : {pkg0, core0, dram0, pkg1}) files->fail(p, EACCES);

  ProbeResult r = probe_rapl(ctx_, files);
  EXPECT_FALSE(r.sensor);
  EXPECT_THAT(r.unavailable_reason, HasSubstr("permission denied"));
  EXPECT_THAT(r.unavailable_reason, HasSubstr("estimated"));
  ASSERT_EQ(r.warnings.size(), 1u);
  const std::string& w = r.warnings[0];
  EXPECT_EQ(
      w.rfind("Could not read CPU/DRAM energy consumption due to lack of read-permissions.\n", 0),
      0u)
      << w;
  EXPECT_THAT(w, HasSubstr("\n\t\tsudo chmod a+r " + pkg0 + "\n"));
  EXPECT_THAT(w, HasSubstr("\n\t\tsudo chmod a+r " + dram0 + "\n"));
  EXPECT_THAT(w, HasSubstr("\n\t\tsudo chmod a+r " + pkg1 + "\n"));
  EXPECT_THAT(w, Not(HasSubstr(core0)));  // not counted, so not asked for
  EXPECT_THAT(w, HasSubstr("/etc/udev/rules.d/"));
  EXPECT_THAT(w, HasSubstr("SUBSYSTEM==\"powercap\""));
  EXPECT_THAT(w, HasSubstr("sudo chmod a+r " + root_.path() + "/intel-rapl*/energy_uj"));
  EXPECT_THAT(w, HasSubstr("estimated instead"));
}

TEST_F(RaplTest, PermissionDeniedOnOneZoneStillFallsBack) {
  // Counting only the readable zones would under-report silently.
  write_zone(zone("intel-rapl:0"), "package-0", 1);
  write_zone(zone("intel-rapl:0/intel-rapl:0:2"), "dram", 1);
  auto files = std::make_shared<FailingFileReader>();
  files->fail(zone("intel-rapl:0/intel-rapl:0:2/energy_uj"), EPERM);
  ProbeResult r = probe_rapl(ctx_, files);
  EXPECT_FALSE(r.sensor);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0],
              HasSubstr("sudo chmod a+r " + zone("intel-rapl:0/intel-rapl:0:2/energy_uj")));
  EXPECT_THAT(r.warnings[0], Not(HasSubstr("sudo chmod a+r " + zone("intel-rapl:0/energy_uj"))));
}

TEST_F(RaplTest, ChmodDeniesReadForNonRootUsers) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads mode-000 files; covered by the injected EACCES";
  write_zone(zone("intel-rapl:0"), "package-0", 1);
  std::filesystem::permissions(zone("intel-rapl:0/energy_uj"), std::filesystem::perms::none);
  ProbeResult r = probe();
  EXPECT_FALSE(r.sensor);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], HasSubstr(kRaplPermissionSentence));
}

TEST_F(RaplTest, NoPowercapRootIsUnavailableNotAnError) {
  env_.powercap_root = root_ / "missing";
  ProbeResult r = probe();
  EXPECT_FALSE(r.sensor);
  EXPECT_THAT(r.unavailable_reason, HasSubstr(root_ / "missing"));
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST_F(RaplTest, NoUsableZoneIsUnavailable) {
  write_zone(zone("intel-rapl:0"), "core", 1);
  write_zone(zone("intel-rapl-mmio:0"), "uncore", 1);
  ProbeResult r = probe();
  EXPECT_FALSE(r.sensor);
  EXPECT_THAT(r.unavailable_reason, HasSubstr("no readable package, dram or psys zone"));
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST_F(RaplTest, ZoneWithoutCounterAtProbeIsSkipped) {
  write_zone(zone("intel-rapl:0"), "package-0", 1);
  write_zone(zone("intel-rapl:1"), "package-1", 1);
  write_file(zone("intel-rapl:1/energy_uj"), "garbage\n");
  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  EXPECT_THAT(device_names(r), ElementsAre("cpu:0"));
  EXPECT_THAT(r.notes, Contains(HasSubstr("intel-rapl:1 (package-1) skipped")));
}

TEST_F(RaplTest, ZoneVanishingMidRunIsLost) {
  write_zone(zone("intel-rapl:0"), "package-0", 10);
  write_zone(zone("intel-rapl:1"), "package-1", 20);
  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  ASSERT_EQ(read_all(*r.sensor)[1].status, ReadStatus::kOk);

  std::filesystem::remove_all(zone("intel-rapl:1"));
  auto readings = read_all(*r.sensor);
  EXPECT_EQ(readings[0].status, ReadStatus::kOk);
  EXPECT_EQ(readings[0].counter, 10u);
  EXPECT_EQ(readings[1].status, ReadStatus::kLost);
  EXPECT_THAT(readings[1].message, HasSubstr("intel-rapl:1"));
  EXPECT_THAT(readings[1].message, HasSubstr("cpu:1"));

  // Lost stays lost, even if a zone of that name comes back (a new counter).
  write_zone(zone("intel-rapl:1"), "package-1", 5);
  EXPECT_EQ(read_all(*r.sensor)[1].status, ReadStatus::kLost);
}

TEST_F(RaplTest, NoDeviceErrorIsLost) {
  write_zone(zone("intel-rapl:0"), "package-0", 10);
  auto files = std::make_shared<FailingFileReader>();
  ProbeResult r = probe_rapl(ctx_, files);
  ASSERT_TRUE(r.sensor);
  files->fail(zone("intel-rapl:0/energy_uj"), ENODEV);
  EXPECT_EQ(read_all(*r.sensor)[0].status, ReadStatus::kLost);
}

TEST_F(RaplTest, GarbageOrEmptyContentIsRetried) {
  write_zone(zone("intel-rapl:0"), "package-0", 10);
  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  for (const char* bad : {"", "\n", "abc\n", "-5\n", "12x\n", "99999999999999999999999\n",
                          "1234567890123456789012345678901234567890\n"}) {
    write_file(zone("intel-rapl:0/energy_uj"), bad);
    auto readings = read_all(*r.sensor);
    EXPECT_EQ(readings[0].status, ReadStatus::kRetry) << "content: '" << bad << "'";
    EXPECT_THAT(readings[0].message, HasSubstr("intel-rapl:0"));
  }
  write_file(zone("intel-rapl:0/energy_uj"), "42\n");
  auto readings = read_all(*r.sensor);
  EXPECT_EQ(readings[0].status, ReadStatus::kOk);
  EXPECT_EQ(readings[0].counter, 42u);
  EXPECT_THAT(readings[0].message, IsEmpty());
}

TEST_F(RaplTest, OtherReadErrorsAreRetried) {
  write_zone(zone("intel-rapl:0"), "package-0", 10);
  auto files = std::make_shared<FailingFileReader>();
  ProbeResult r = probe_rapl(ctx_, files);
  ASSERT_TRUE(r.sensor);
  files->fail(zone("intel-rapl:0/energy_uj"), EIO);
  auto readings = read_all(*r.sensor);
  EXPECT_EQ(readings[0].status, ReadStatus::kRetry);
  EXPECT_THAT(readings[0].message, HasSubstr(std::strerror(EIO)));
}

TEST_F(RaplTest, ReadResizesTheOutputVector) {
  write_zone(zone("intel-rapl:0"), "package-0", 10);
  write_zone(zone("intel-rapl:1"), "package-1", 11);
  ProbeResult r = probe();
  ASSERT_TRUE(r.sensor);
  std::vector<Reading> out;
  r.sensor->read(out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].counter, 11u);
}

}  // namespace
}  // namespace carbontracker
