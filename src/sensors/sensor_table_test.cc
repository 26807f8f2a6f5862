#include "sensors/sensor_table.h"

#include <gtest/gtest.h>

#include <string>

#include "common/clock.h"
#include "fakes/fake_powercap_tree.h"

namespace carbontracker {
namespace {

// The first CPU entry that finds devices wins: what the tracker does with the
// table, done here by hand.
ProbeResult first_cpu_sensor(const ProbeContext& ctx, std::string* winner) {
  for (const SensorEntry& e : sensor_table()) {
    if (e.component != ComponentKind::kCpu) continue;
    ProbeResult r = e.probe(ctx);
    if (r.sensor && !r.sensor->devices().empty()) {
      *winner = e.name;
      return r;
    }
  }
  return {};
}

TEST(SensorTableTest, CpuEntriesInOrder) {
  std::vector<std::string> cpu;
  for (const SensorEntry& e : sensor_table())
    if (e.component == ComponentKind::kCpu) cpu.push_back(e.name);
  ASSERT_EQ(cpu.size(), 3u);
  EXPECT_EQ(cpu[0], "rapl");
  EXPECT_EQ(cpu[1], "hwmon-grace");
  EXPECT_EQ(cpu[2], "cpu-estimate");
}

TEST(SensorTableTest, RaplWinsWhereReadableElseTheEstimate) {
  testing::TempDir powercap, proc, hwmon;
  testing::write_file(proc / "stat", "cpu  1 0 1 8 0 0 0 0 0 0\ncpu0 1 0 1 8 0 0 0 0 0 0\n");
  Environment env;
  env.powercap_root = powercap.path();
  env.hwmon_root = hwmon.path();
  env.proc_root = proc.path();
  FakeClock clock;
  ProbeContext ctx;
  ctx.env = &env;
  ctx.clock = &clock;

  std::string winner;
  ProbeResult r = first_cpu_sensor(ctx, &winner);
  ASSERT_TRUE(r.sensor);
  EXPECT_EQ(winner, "cpu-estimate");
  EXPECT_EQ(r.sensor->devices()[0].info.name, "cpu:0 (estimated)");

  testing::write_zone(powercap / "intel-rapl:0", "package-0", 1);
  r = first_cpu_sensor(ctx, &winner);
  ASSERT_TRUE(r.sensor);
  EXPECT_EQ(winner, "rapl");
  EXPECT_EQ(r.sensor->devices()[0].info.name, "cpu:0");
}

}  // namespace
}  // namespace carbontracker
