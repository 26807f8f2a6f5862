// The uncertainty class of each device as the real sensors describe it
// (their probes, against a fake powercap tree and the fake NVML and ROCm SMI
// libraries): a change of a sensor's source text that would lose its class
// fails here, not silently in the intervals.
#include <gtest/gtest.h>

#include <cstdlib>

#include "fake_gpu/fake_gpu.h"
#include "fakes/fake_powercap_tree.h"
#include "model/uncertainty_table.h"
#include "sensors/gpu/nvml_sensor.h"
#include "sensors/gpu/rocm_smi_sensor.h"
#include "sensors/rapl.h"

namespace carbontracker {
namespace {

using testing::FakeGpuLibrary;
using testing::TempDir;
using testing::write_fake_script;
using testing::write_zone;

std::vector<std::string> classes(const ProbeResult& r, const std::string& vendor = "") {
  std::vector<std::string> out;
  if (r.sensor)
    for (const SensorDevice& d : r.sensor->devices()) out.push_back(device_class(d.info, vendor));
  return out;
}

TEST(UncertaintySensorClasses, Rapl) {
  TempDir root;
  write_zone(root / "intel-rapl:0", "package-0", 1000);
  write_zone(root / "intel-rapl:0/intel-rapl:0:0", "dram", 2000);
  Environment env;
  env.powercap_root = root.path();
  ProbeContext ctx;
  ctx.env = &env;
  ProbeResult r = probe_rapl(ctx);
  EXPECT_EQ(classes(r, "intel"),
            (std::vector<std::string>{"rapl:package:intel", "rapl:dram:intel"}));
  EXPECT_EQ(classes(r, "amd"), (std::vector<std::string>{"rapl:package:amd", "rapl:dram:amd"}));
}

TEST(UncertaintySensorClasses, NvmlEnergyCounterAndPolledPower) {
  FakeGpuLibrary fake("fake_nvml");
  ASSERT_TRUE(fake.loaded()) << fake.path();
  Environment env;
  env.nvml_library = fake.path();
  ProbeContext ctx;
  ctx.env = &env;
  write_fake_script("FAKE_NVML_SCRIPT",
                    "clock manual\ndevice\nname NVIDIA A100-SXM4-40GB\n"
                    "uuid GPU-8f3c1a22-0000-1111-2222-333344445555\ntrace 300:1\n"
                    "device\nname Tesla P100-PCIE-16GB\n"
                    "uuid GPU-00000000-1111-2222-3333-444444444444\nenergy 0\ntrace 250:1\n");
  ProbeResult r = probe_nvml(ctx);
  unsetenv("FAKE_NVML_SCRIPT");
  EXPECT_EQ(classes(r), (std::vector<std::string>{"nvml:energy", "nvml:power"}));
}

TEST(UncertaintySensorClasses, RocmSmiEnergyCounterAndPolledPower) {
  FakeGpuLibrary fake("fake_rocm_smi");
  ASSERT_TRUE(fake.loaded()) << fake.path();
  Environment env;
  env.rocm_smi_library = fake.path();
  ProbeContext ctx;
  ctx.env = &env;
  write_fake_script("FAKE_ROCM_SMI_SCRIPT",
                    "clock manual\nenergy_start 987654321\ndevice\nname AMD Instinct MI250X\n"
                    "unique_id 0x3333cccc4444dddd\nresolution 15.3\ntrace 0:1\n"
                    "device\nname Radeon Pro W6800\nunique_id 0x5555eeee6666ffff\nenergy 0\n"
                    "trace 220:1\n");
  ProbeResult r = probe_rocm_smi(ctx);
  unsetenv("FAKE_ROCM_SMI_SCRIPT");
  EXPECT_EQ(classes(r), (std::vector<std::string>{"rocm:energy", "rocm:power"}));
}

}  // namespace
}  // namespace carbontracker
