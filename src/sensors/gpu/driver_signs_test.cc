#include "sensors/gpu/driver_signs.h"

#include <gtest/gtest.h>

#include "fakes/fake_powercap_tree.h"

namespace carbontracker {
namespace {

using testing::TempDir;
using testing::write_file;

Environment roots_under(const TempDir& dir) {
  Environment env;
  env.dev_root = dir / "dev";
  env.proc_root = dir / "proc";
  env.sys_root = dir / "sys";
  return env;
}

TEST(DriverSigns, NoneOnAMachineWithoutTheDrivers) {
  TempDir dir;
  Environment env = roots_under(dir);
  DriverSigns nvidia = find_nvidia_driver(env);
  EXPECT_EQ(nvidia.found, "");
  EXPECT_EQ(describe_missing(nvidia), "none of " + dir / "dev/nvidiactl, " + dir / "dev/dxg, " +
                                          dir / "proc/driver/nvidia or " +
                                          dir / "sys/module/nvidia exists");
  DriverSigns amd = find_amd_driver(env);
  EXPECT_EQ(amd.found, "");
  EXPECT_EQ(describe_missing(amd), "none of " + dir / "dev/kfd or " + dir / "sys/class/kfd exists");
}

// Containers pass some signs and not others: any one of them is enough.
TEST(DriverSigns, AnyOneSignIsEnough) {
  for (std::string sign :
       {"dev/nvidiactl", "dev/dxg", "proc/driver/nvidia/version", "sys/module/nvidia/version"}) {
    TempDir dir;
    write_file(dir / sign, "");
    std::string expected = dir / sign.substr(0, sign.rfind("/version"));
    DriverSigns signs = find_nvidia_driver(roots_under(dir));
    EXPECT_EQ(signs.found, expected) << sign;
    EXPECT_EQ(signs.checked.back(), expected) << "stops at the first sign";
    EXPECT_EQ(find_amd_driver(roots_under(dir)).found, "") << sign;
  }
  for (std::string sign : {"dev/kfd", "sys/class/kfd/kfd/topology"}) {
    TempDir dir;
    write_file(dir / sign, "");
    std::string expected = dir / (sign == "dev/kfd" ? sign : "sys/class/kfd");
    EXPECT_EQ(find_amd_driver(roots_under(dir)).found, expected) << sign;
    EXPECT_EQ(find_nvidia_driver(roots_under(dir)).found, "") << sign;
  }
}

}  // namespace
}  // namespace carbontracker
