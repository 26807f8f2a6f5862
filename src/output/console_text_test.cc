#include "output/console_text.h"

#include <gtest/gtest.h>

namespace carbontracker {
namespace {

TEST(ConsumptionBlock, OriginalUnitTestVector) {
  // behaviour document §1.4; conversions there are (100 km, 200 kg), ours is the car line.
  EXPECT_EQ(
      consumption_block("Test description", 1000, 50.123, 100.456, 6, false),
      "\nTest description\n\tTime:\t0:16:40\n\tEnergy:\t50.123000 kWh\n\tCO2eq:\t100.456000 g");
  EXPECT_EQ(consumption_block("Predicted consumption for 5 epoch(s):", 1000, 50.123, 150, 6, true),
            "\nPredicted consumption for 5 epoch(s):\n\tTime:\t0:16:40\n\tEnergy:\t50.123000 kWh\n"
            "\tCO2eq:\t150.000000 g\n\tThis is equivalent to:\n\t1.395349 km travelled by car");
}

TEST(ConsumptionBlock, ReproducesGenuineLogFigures) {
  // reference/logs/embedded_3ep_stop_generic_cpu: 60 W x 1.5 s x 2 epochs... the prediction block
  // of 3 epochs: energy 0.000118512789 kWh at 481 g/kWh.
  double kwh = 0.000118512789;
  EXPECT_EQ(
      consumption_block("Predicted consumption for 3 epoch(s):", 4.5, kwh, kwh * 481, 6, true),
      "\nPredicted consumption for 3 epoch(s):\n\tTime:\t0:00:04\n\tEnergy:\t0.000119 kWh\n"
      "\tCO2eq:\t0.057005 g\n\tThis is equivalent to:\n\t0.000530 km travelled by car");
}

TEST(ComponentsLine, GpuFirstThenCpu) {
  std::vector<DeviceInfo> d(4);
  d[0] = {"cpu:0", ComponentKind::kCpu, Provenance::kMeasured, "", ""};
  d[1] = {"dram:0", ComponentKind::kCpu, Provenance::kMeasured, "", ""};
  d[2] = {"NVIDIA A100-SXM4-40GB", ComponentKind::kGpu, Provenance::kMeasured, "", ""};
  d[3] = {"NVIDIA A100-SXM4-40GB", ComponentKind::kGpu, Provenance::kMeasured, "", ""};
  EXPECT_EQ(components_line(d),
            "The following components were found: GPU with device(s) NVIDIA A100-SXM4-40GB, "
            "NVIDIA A100-SXM4-40GB. CPU with device(s) cpu:0, dram:0.");
}

TEST(PythonList, IntsStayInts) {
  EXPECT_EQ(python_list({481}), "[481]");
  EXPECT_EQ(python_list({123, 123}), "[123, 123]");
  EXPECT_EQ(python_list({151.6503}), "[151.6503]");
}

DeviceInfo device(const char* name, ComponentKind kind, Provenance p, const char* source) {
  DeviceInfo d;
  d.name = name;
  d.component = kind;
  d.provenance = p;
  d.source = source;
  return d;
}

TEST(MeasurementSummary, SaysWhatIsMeasuredWhatIsEstimatedAndWhereTheIntensityComesFrom) {
  std::vector<DeviceInfo> devices = {
      device("NVIDIA A100", ComponentKind::kGpu, Provenance::kMeasured,
             "NVML total energy counter (nvmlDeviceGetTotalEnergyConsumption)"),
      device("NVIDIA A100", ComponentKind::kGpu, Provenance::kMeasured,
             "NVML total energy counter (nvmlDeviceGetTotalEnergyConsumption)"),
      device("cpu:0", ComponentKind::kCpu, Provenance::kMeasured,
             "RAPL energy counter /sys/class/powercap/intel-rapl:0/energy_uj"),
      device("dram:0", ComponentKind::kCpu, Provenance::kEstimated,
             "estimated: 0.392 W/GB (Cloud Carbon Footprint) x 23.4 GB"),
      device("meter:0", ComponentKind::kNode, Provenance::kPlatformMeter,
             "ACPI power meter: hwmon hwmon3 (ACPI power_meter) /sys/class/hwmon/hwmon3")};
  EXPECT_EQ(measurement_summary(devices, "Ember 2024 country average (offline table)", "DK", false),
            "GPU measured (NVML total energy counter), CPU measured (RAPL energy counter), CPU "
            "estimated (0.392 W/GB), node from the platform power meter, beside the totals; carbon "
            "intensity: Ember 2024 country average (offline table) for DK until a live value is "
            "fetched.");
  devices = {device("Sim GPU", ComponentKind::kGpu, Provenance::kSimulated,
                    "simulated: 300 W x 0.75 utilisation"),
             device("cpu", ComponentKind::kCpu, Provenance::kEstimated,
                    "estimated: per-vCPU linear model (SPECpower via Cloud Carbon Footprint, x)")};
  EXPECT_EQ(
      measurement_summary(devices, "Ember 2024 world average (offline table)", "UNDETECTED", true),
      "GPU simulated, CPU estimated (per-vCPU linear model); carbon intensity: Ember 2024 "
      "world average (offline table), location unknown, offline.");
}

}  // namespace
}  // namespace carbontracker
