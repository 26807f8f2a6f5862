#include "model/uncertainty_budget.h"

#include <gtest/gtest.h>

#include <cmath>

#include "energy/engine.h"
#include "output/console_text.h"

namespace carbontracker {
namespace {

DeviceInfo device(std::string name, std::string source,
                  Provenance provenance = Provenance::kMeasured,
                  ComponentKind component = ComponentKind::kCpu) {
  DeviceInfo d;
  d.name = std::move(name);
  d.source = std::move(source);
  d.provenance = provenance;
  d.component = component;
  return d;
}

TEST(UncertaintyTable, EmbeddedTableHasEveryClassTheBudgetUses) {
  const UncertaintyTable& t = UncertaintyTable::embedded();
  for (const char* c :
       {"rapl:package:intel", "rapl:package:amd",   "rapl:dram:intel",     "rapl:dram:amd",
        "rapl:other",         "nvml:energy",        "nvml:power",          "rocm:energy",
        "rocm:power",         "hwmon:energy",       "hwmon:power",         "platform:meter",
        "measured:other",     "estimate:cpu",       "estimate:dram",       "simulated",
        "intensity:live",     "intensity:forecast", "intensity:table",     "intensity:world",
        "pue:default",        "pue:user",           "prediction:one-epoch"}) {
    EXPECT_TRUE(t.has(c)) << c;
    EXPECT_FALSE(t.get(c).label.empty()) << c;
    EXPECT_FALSE(t.get(c).basis.empty()) << c;
  }
  EXPECT_EQ(t.get("simulated").relative_u, 0);
  EXPECT_EQ(t.get("pue:user").relative_u, 0);
  EXPECT_GT(t.get("estimate:cpu").relative_u, t.get("rapl:package:intel").relative_u);
  EXPECT_GT(t.get("intensity:table").relative_u, t.get("intensity:live").relative_u);
}

TEST(UncertaintyTable, MalformedLinesAreSkippedAndUnknownClassesFallBack) {
  UncertaintyTable t(
      "class,label,relative_u,distribution,basis,reference\n"
      "a,A,0.1,normal,assumed,x\n"
      "b,B,minus,normal,assumed,x\n"
      "c,C,-1,normal,assumed,x\n"
      "d,D\n");
  EXPECT_EQ(t.classes().size(), 1u);
  EXPECT_DOUBLE_EQ(t.get("a").relative_u, 0.1);
  EXPECT_EQ(t.get("zzz").name, "measured:other");
}

TEST(UncertaintyTable, DeviceClasses) {
  EXPECT_EQ(device_class(device("cpu:0", "RAPL energy counter /x/energy_uj"), "intel"),
            "rapl:package:intel");
  EXPECT_EQ(device_class(device("cpu:1", "RAPL energy counter /x/energy_uj"), "amd"),
            "rapl:package:amd");
  EXPECT_EQ(device_class(device("dram:0", "RAPL energy counter /x/energy_uj"), ""),
            "rapl:dram:intel");
  EXPECT_EQ(device_class(device("psys:0", "RAPL energy counter /x/energy_uj"), ""), "rapl:other");
  EXPECT_EQ(device_class(device("A100",
                                "NVML total energy counter (nvmlDeviceGetTotalEnergy"
                                "Consumption)"),
                         ""),
            "nvml:energy");
  EXPECT_EQ(
      device_class(device("A100", "NVML power (nvmlDeviceGetPowerUsage), sampled at 10 Hz"), ""),
      "nvml:power");
  EXPECT_EQ(
      device_class(device("MI250", "ROCm SMI energy counter (rsmi_dev_energy_count_get)"), ""),
      "rocm:energy");
  EXPECT_EQ(device_class(device("MI50", "ROCm SMI average power (rsmi_dev_power_ave_get)"), ""),
            "rocm:power");
  EXPECT_EQ(device_class(device("i915:0", "Intel GPU energy counter /x (PCI 0)"), ""),
            "hwmon:energy");
  EXPECT_EQ(device_class(device("amdgpu:0", "amdgpu hwmon power /x (PCI 0), sampled"), ""),
            "hwmon:power");
  EXPECT_EQ(
      device_class(device("cpu:0 (estimated)", "estimated: 16 vCPUs", Provenance::kEstimated), ""),
      "estimate:cpu");
  EXPECT_EQ(
      device_class(
          device("dram:0 (estimated)", "estimated: 0.392 W/GB x 2 GB", Provenance::kEstimated), ""),
      "estimate:dram");
  EXPECT_EQ(device_class(device("sim", "simulated: 10 W", Provenance::kSimulated), ""),
            "simulated");
  EXPECT_EQ(device_class(device("meter:0", "x", Provenance::kPlatformMeter), ""), "platform:meter");
  EXPECT_EQ(cpu_vendor_of("processor\t: 0\nvendor_id\t: AuthenticAMD\n"), "amd");
  EXPECT_EQ(cpu_vendor_of("processor\t: 0\nvendor_id\t: GenuineIntel\n"), "intel");
  EXPECT_EQ(cpu_vendor_of("processor\t: 0\n"), "");
}

TEST(UncertaintyTable, IntensityClassesAndKeys) {
  IntensityRecord r;
  r.location = "DK";
  r.source = "Electricity Maps 2025 country average (offline table)";
  EXPECT_EQ(intensity_use(r).cls, "intensity:table");
  EXPECT_EQ(intensity_use(r).key, "intensity:table:DK:2025");
  r.source = "Electricity Maps (live, 2026-12-05T08:00Z)";
  EXPECT_EQ(intensity_use(r).cls, "intensity:live");
  r.forecast = true;
  r.source = "Energi Data Service forecast";
  EXPECT_EQ(intensity_use(r).cls, "intensity:forecast");
  r.forecast = false;
  r.location = "UNDETECTED";
  r.source = "Ember world average (offline table)";
  EXPECT_EQ(intensity_use(r).cls, "intensity:world");
  EXPECT_EQ(intensity_use(r).key, "intensity:world");
}

TEST(UncertaintyBudget, WindowTermsForACounterTableIntensityAndDefaultPue) {
  UncertaintyBudget b({device("cpu:0", "RAPL energy counter /x")}, 1.58, false, "intel");
  DeviceFigure f;
  f.energy_j = 3.6e6;  // 1 kWh
  f.co2_g = 100;
  f.sampling_var_j2 = 3.6e4 * 3.6e4;  // 0.01 kWh
  f.sampling_var_co2_g2 = 1;
  IntensityRecord r;
  r.location = "DK";
  r.source = "Electricity Maps 2025 zone average (offline table)";
  Uncertainty u = b.window({f}, intensity_use(r));
  ASSERT_EQ(u.energy_kwh.terms.size(), 3u);  // sensor, sampling, PUE
  EXPECT_DOUBLE_EQ(u.energy_kwh.terms[0].u, 0.05 * 1.58);
  EXPECT_EQ(u.energy_kwh.terms[0].key, "sensor:rapl:package:intel:cpu:0");
  EXPECT_EQ(u.energy_kwh.terms[0].source, "RAPL package counter (Intel) (cpu:0)");
  EXPECT_DOUBLE_EQ(u.energy_kwh.terms[1].u, 0.01 * 1.58);
  EXPECT_EQ(u.energy_kwh.terms[1].key, "");
  EXPECT_DOUBLE_EQ(u.energy_kwh.terms[2].u, 0.15 * 1.58);
  EXPECT_EQ(u.energy_kwh.terms[2].key, "pue:default");
  ASSERT_EQ(u.co2_g.terms.size(), 4u);  // sensor, sampling, intensity, PUE
  EXPECT_NEAR(u.co2_g.terms[2].u, 0.25 * 100 * 1.58, 1e-9);
  EXPECT_EQ(u.co2_g.terms[2].key, "intensity:table:DK:2025");
  EXPECT_EQ(short_source(u.co2_g.dominant()->source), "intensity: yearly average");
  // The figures' own combination: quadrature of the independent groups.
  EXPECT_NEAR(u.energy_kwh.standard(), 1.58 * std::sqrt(0.05 * 0.05 + 0.01 * 0.01 + 0.15 * 0.15),
              1e-12);
}

TEST(UncertaintyBudget, GivenPueAndSimulatedDevicesAddNothing) {
  UncertaintyBudget b({device("sim", "simulated", Provenance::kSimulated)}, 1.2, true, "");
  DeviceFigure f;
  f.energy_j = 1000;
  f.co2_g = 1;
  IntensityRecord r;
  r.location = "DK";
  r.source = "Electricity Maps (live)";
  Uncertainty u = b.window({f}, intensity_use(r));
  EXPECT_TRUE(u.energy_kwh.terms.empty());
  ASSERT_EQ(u.co2_g.terms.size(), 1u);
  EXPECT_NEAR(u.co2_g.terms[0].u, 0.05 * 1.2, 1e-12);
}

TEST(UncertaintyBudget, NodeFigureIsLeftOutLikeTheTotals) {
  UncertaintyBudget b({device("cpu:0", "RAPL energy counter /x"),
                       device("meter:0", "x", Provenance::kPlatformMeter, ComponentKind::kNode)},
                      1.0, true, "intel");
  DeviceFigure f;
  f.energy_j = 3.6e6;
  Uncertainty u = b.window({f, f}, {"intensity:live", "k", "d"});
  ASSERT_EQ(u.energy_kwh.terms.size(), 1u);
  EXPECT_NE(u.energy_kwh.terms[0].source.find("cpu:0"), std::string::npos);
}

TEST(UncertaintyBudget, TotalAddsSensorTermsLinearlyAndSamplingInQuadrature) {
  UncertaintyBudget b({device("cpu:0", "RAPL energy counter /x")}, 1.0, true, "intel");
  DeviceFigure f;
  f.energy_j = 3.6e6;
  f.sampling_var_j2 = 3.6e4 * 3.6e4;
  Uncertainty w = b.window({f}, {"intensity:live", "k", "d"});
  Uncertainty t = UncertaintyBudget::total({w, w, w, w});
  ASSERT_EQ(t.energy_kwh.terms.size(), 2u);
  EXPECT_DOUBLE_EQ(t.energy_kwh.terms[0].u, 4 * 0.05);
  EXPECT_DOUBLE_EQ(t.energy_kwh.terms[1].u, 2 * 0.01);
}

TEST(UncertaintyBudget, TotalOfEpochsNeedsEveryEpochsUncertainty) {
  EpochRecord with, without;
  with.uncertainty = Uncertainty{};
  with.uncertainty->co2_g.terms = {{"x", "k", 1}};
  EXPECT_FALSE(UncertaintyBudget::total(std::vector<EpochRecord>{}));
  EXPECT_FALSE(UncertaintyBudget::total(std::vector<EpochRecord>{with, without}));
  std::optional<Uncertainty> t = UncertaintyBudget::total(std::vector<EpochRecord>{with, with});
  ASSERT_TRUE(t);
  EXPECT_DOUBLE_EQ(t->co2_g.standard(), 2);
}

TEST(UncertaintyBudget, PredictionScalesTheMeasuredTermsAndAddsTheSpread) {
  UncertaintyBudget b({device("sim", "simulated", Provenance::kSimulated)}, 1.0, true, "");
  std::vector<EpochRecord> epochs;
  for (double kwh : {1.0, 1.2, 0.8}) {
    EpochRecord e;
    e.energy_j = {kwh * 3.6e6};
    e.co2_g = {kwh * 100};
    e.uncertainty = Uncertainty{};
    epochs.push_back(e);
  }
  std::optional<Uncertainty> u = b.prediction(epochs, 10, 100, {"intensity:live", "k", "d"});
  ASSERT_TRUE(u);
  // s = 0.2 kWh, 7 epochs to come: s sqrt(7 + 49 / 3) t(2) / 2.
  double spread = 0.2 * std::sqrt(7 + 49.0 / 3) * 4.5266 / 2;
  ASSERT_EQ(u->energy_kwh.terms.size(), 1u);
  EXPECT_NEAR(u->energy_kwh.terms[0].u, spread, 1e-9);
  // CO2eq: the live value's 5 % on the 7 epochs to come, and the spread at 100 g/kWh.
  EXPECT_NEAR(u->co2_g.standard(), std::hypot(0.05 * 7 * 1.0 * 100, spread * 100), 1e-9);

  // One epoch: the table's assumed 10 % spread, without t.
  std::optional<Uncertainty> one = b.prediction({epochs[0]}, 10, 100, {"intensity:live", "k", "d"});
  ASSERT_TRUE(one);
  EXPECT_NEAR(one->energy_kwh.standard(), 0.1 * 1.0 * std::sqrt(9 + 81.0), 1e-9);
  EXPECT_FALSE(b.prediction({}, 10, 100, {"intensity:live", "k", "d"}));
}

TEST(UncertaintyBudget, StudentT) {
  EXPECT_DOUBLE_EQ(student_t_9545(1), 13.9678);
  EXPECT_DOUBLE_EQ(student_t_9545(30), 2.0868);
  EXPECT_NEAR(student_t_9545(31), 2.0840, 2e-3);
  EXPECT_NEAR(student_t_9545(100000), 2.0, 1e-3);
}

TEST(UncertaintyBudget, WindowIntensityTakesTheMostUncertainValueInForce) {
  IntensityRecord table, live;
  table.unix_time_s = 0;
  table.location = "DK";
  table.source = "Electricity Maps 2025 zone average (offline table)";
  live = table;
  live.unix_time_s = 100;
  live.source = "Electricity Maps (live)";
  std::vector<IntensityRecord> recs = {table, live};
  EXPECT_EQ(window_intensity(recs, 10, 50).cls, "intensity:table");
  EXPECT_EQ(window_intensity(recs, 110, 150).cls, "intensity:live");
  EXPECT_EQ(window_intensity(recs, 50, 150).cls, "intensity:table");
  EXPECT_EQ(window_intensity({}, 0, 1).cls, "intensity:world");
}

TEST(UncertaintyBudget, ConsoleLine) {
  Consumption c;
  c.energy_kwh = 1;
  c.co2_g = 100;
  EXPECT_EQ(uncertainty_line(c), "");
  Uncertainty u;
  u.energy_kwh.terms = {{"RAPL package counter (Intel) (cpu:0)", "", 0.0155}};
  u.co2_g.terms = {{"RAPL package counter (Intel) (cpu:0)", "", 1.55},
                   {"intensity: yearly average (DK, Ember)", "x", 11}};
  c.uncertainty = u;
  EXPECT_EQ(uncertainty_line(c),
            "Uncertainty (95 %): energy +-3.1 %, CO2eq +-22 % (intensity: yearly average)");
  EXPECT_EQ(short_source("a (b (c))"), "a");
  EXPECT_EQ(short_source("plain"), "plain");
}

TEST(UncertaintyBudget, CompactMergesOneSourceInQuadrature) {
  FigureUncertainty f{2, {{"s", "", 3}, {"k", "key", 1}, {"s", "", 4}, {"k", "key", 2}}};
  FigureUncertainty c = compact(f);
  ASSERT_EQ(c.terms.size(), 2u);
  EXPECT_DOUBLE_EQ(c.terms[0].u, 5);
  EXPECT_DOUBLE_EQ(c.terms[1].u, 3);
  EXPECT_DOUBLE_EQ(c.standard(), f.standard());
}

TEST(EnergyEngineUncertainty, PowerIntegrationVarianceFromSuccessiveReadings) {
  SensorDevice d;
  d.kind = ReadingKind::kPower;
  EnergyEngine e({d});
  std::vector<std::string> ev;
  Reading r;
  r.power_w = 100;
  e.apply(0, 0.0, r, 360, ev);
  r.power_w = 160;
  e.apply(0, 0.5, r, 360, ev);
  r.power_w = 160;
  e.apply(0, 1.0, r, 360, ev);
  double u = 60 * 0.5 / std::sqrt(12.0);
  EXPECT_DOUBLE_EQ(e.sampling_var_j2(0), u * u);
  EXPECT_DOUBLE_EQ(e.sampling_var_co2_g2(0), (u / 3.6e6 * 360) * (u / 3.6e6 * 360));
  EXPECT_EQ(e.edge_var_j2(0), 0);
}

TEST(EnergyEngineUncertainty, CounterEdgeVarianceFromReadTimeAndLag) {
  SensorDevice d;
  d.kind = ReadingKind::kEnergyCounter;
  d.counter_unit_j = 1e-6;
  d.counter_update_s = 0.01;
  EnergyEngine e({d});
  std::vector<std::string> ev;
  Reading r;
  r.counter = 0;
  e.apply(0, 0.0, r, 100, ev, 0.001);
  EXPECT_EQ(e.edge_var_j2(0), 0);  // no power known yet
  r.counter = 200'000'000;         // 200 J in 2 s: 100 W
  e.apply(0, 2.0, r, 100, ev, 2.004);
  double u = 100 * (0.004 + 0.01) / std::sqrt(12.0);
  EXPECT_NEAR(e.edge_var_j2(0), u * u, 1e-9);
  EXPECT_EQ(e.sampling_var_j2(0), 0);
}

}  // namespace
}  // namespace carbontracker
