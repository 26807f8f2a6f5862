// Two wrappers started in the background of one Slurm batch script, without
// srun: both carry SLURM_PROCID=0 and SLURM_LOCALID=0 and claim local rank 0
// of the same job step on this node. The node lock decides: the node is
// measured once, and the second wrapper says so.
#include <gtest/gtest.h>

#include "cli_run.h"

namespace ct_cli_test {
namespace {

TEST(CliBatchScript, TwoWrappersOfOneJobStepMeasureTheNodeOnce) {
  TempDir locks, first_dir, second_dir;
  // The job's node lock in this test's own directory (a test run at the same
  // time takes its own).
  const std::vector<std::string> batch = {
      "SLURM_JOB_ID=4242", "SLURM_PROCID=0",        "SLURM_LOCALID=0",
      "SLURM_NTASKS=1",    "SLURM_JOB_NUM_NODES=1", "XDG_RUNTIME_DIR=" + locks.path.string()};
  // The first wrapper's command runs until the test lets it end.
  pid_t first = start_cli(first_dir,
                          {"--sim-cpu", "X", "--sim-cpu-tdp", "100", "--log_dir", "logs", "sh",
                           "-c", "touch started; while [ ! -e release ]; do sleep 0.05; done"},
                          batch);
  wait_for_file(first_dir.path / "started");

  CliRun second =
      finish(second_dir, start_cli(second_dir,
                                   {"--sim-cpu", "X", "--sim-cpu-tdp", "100", "--log_dir", "logs",
                                    "sh", "-c", "echo second; exit 3"},
                                   batch));
  EXPECT_EQ(second.status, 3);
  EXPECT_NE(
      second.out.find("CarbonTracker: rank 0 of 1: node measured by pid " + std::to_string(first) +
                      ", holder of the node lock " + locks.path.string() + "/"),
      std::string::npos)
      << second.out << second.err;
  EXPECT_NE(second.out.find("; both claim local rank 0 of job 4242 on this node"),
            std::string::npos);
  EXPECT_NE(second.out.find("second\n"), std::string::npos);
  EXPECT_FALSE(fs::exists(second_dir.path / "logs"));

  std::ofstream(first_dir.path / "release").close();
  CliRun first_run = finish(first_dir, first);
  EXPECT_EQ(first_run.status, 0) << first_run.err;
  EXPECT_EQ(first_run.out.find("node measured by"), std::string::npos) << first_run.out;
  EXPECT_TRUE(fs::exists(first_dir.path / "logs"));
}

}  // namespace
}  // namespace ct_cli_test
