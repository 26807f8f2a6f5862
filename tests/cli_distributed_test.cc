// The carbontracker wrapper in a distributed job: --distributed, quiet
// wrappers, the mark for the command's own trackers, rank-tagged markers.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "fakes/fake_powercap_tree.h"

namespace {

namespace fs = std::filesystem;

using carbontracker::testing::TempDir;  // tests/fakes/fake_powercap_tree.h

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CliRun {
  int status = -1;
  long pid = 0;
  std::string out, err;
};

// Runs the CLI in dir with simulated hardware and the launcher variables `env`.
CliRun run_cli(const TempDir& dir, const std::vector<std::string>& args,
               const std::vector<std::pair<std::string, std::string>>& env) {
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(fs::path(dir.path()).c_str()) != 0) _exit(99);
    int out = open("stdout.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open("stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    for (const char* v : {"RANK", "LOCAL_RANK", "WORLD_SIZE", "SLURM_JOB_ID", "SLURM_PROCID",
                          "OMPI_COMM_WORLD_RANK", "PMI_RANK", "CARBONTRACKER_MEASURED_BY"})
      unsetenv(v);
    setenv("CARBONTRACKER_POWERCAP_ROOT", (fs::path(dir.path()) / "no-powercap").c_str(), 1);
    setenv("CARBONTRACKER_PROC_ROOT", (fs::path(dir.path()) / "no-proc").c_str(), 1);
    setenv("CARBONTRACKER_NVML_LIBRARY", (fs::path(dir.path()) / "no-nvml.so").c_str(), 1);
    setenv("CARBONTRACKER_ROCM_SMI_LIBRARY", (fs::path(dir.path()) / "no-rocm.so").c_str(), 1);
    setenv("CARBONTRACKER_OFFLINE", "1", 1);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> all = {CT_CLI_PATH, "--sim-cpu", "X", "--sim-cpu-tdp", "100"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(98);
  }
  int ws = 0;
  waitpid(pid, &ws, 0);
  CliRun r;
  r.pid = pid;
  r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
  r.out = slurp(fs::path(dir.path()) / "stdout.txt");
  r.err = slurp(fs::path(dir.path()) / "stderr.txt");
  return r;
}

const std::vector<std::pair<std::string, std::string>> kRank1 = {
    {"RANK", "1"}, {"LOCAL_RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}};

TEST(CliDistributed, ABadValueIsAUsageError) {
  TempDir dir;
  CliRun r = run_cli(dir, {"--distributed", "on", "true"}, {});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "carbontracker: error: argument --distributed: expected auto or off, got 'on'\n");
  EXPECT_EQ(r.out, "");
}

TEST(CliDistributed, AWrapperOfAnotherLocalRankOnlyRunsTheCommand) {
  TempDir dir;
  std::string script =
      "echo epoch_start >&$CARBONTRACKER_EPOCH_FD; echo epoch_end >&$CARBONTRACKER_EPOCH_FD; "
      "echo \"[$CARBONTRACKER_MEASURED_BY]\" > mark; echo out; exit 5";
  CliRun r = run_cli(dir, {"--epochs", "1", "--json", "run.json", "sh", "-c", script}, kRank1);
  EXPECT_EQ(r.status, 5);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "");
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / "logs"));
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / "run.json"));
  EXPECT_EQ(slurp(fs::path(dir.path()) / "mark"),
            "[]\n");  // the measuring wrapper marks, not this one
}

TEST(CliDistributed, TheMeasuringWrapperMarksTheNodeForItsCommand) {
  TempDir dir;
  CliRun r = run_cli(dir, {"sh", "-c", "echo $CARBONTRACKER_MEASURED_BY > mark"}, {});
  EXPECT_EQ(r.status, 0) << r.err;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  EXPECT_EQ(slurp(fs::path(dir.path()) / "mark"), std::to_string(r.pid) + "@" + host + "\n");
  // A tracker in the command on this host leaves the node to the wrapper.
  r = run_cli(dir,
              {"--log_dir", "outer", "sh", "-c",
               std::string(CT_CLI_PATH) +
                   " --sim-cpu X --sim-cpu-tdp 100 --log_dir inner --verbose 2 true"},
              {});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(fs::path(dir.path()) / "outer"));
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / "inner"));
  EXPECT_NE(r.out.find("CarbonTracker: this process: node measured by the carbontracker wrapper "
                       "(pid " +
                       std::to_string(r.pid) + ")"),
            std::string::npos)
      << r.out;
  // Under --distributed off nothing is marked.
  r = run_cli(dir,
              {"--distributed", "off", "sh", "-c", "echo \"[$CARBONTRACKER_MEASURED_BY]\" > mark"},
              {});
  EXPECT_EQ(slurp(fs::path(dir.path()) / "mark"), "[]\n");
  EXPECT_NE(r.out.find("CarbonTracker: distributed=off: this process measures everything"),
            std::string::npos)
      << r.out;
}

TEST(CliDistributed, OnlyRankZerosTaggedMarkersCount) {
  TempDir dir;
  std::string script;
  for (int e = 0; e < 2; ++e)
    script +=
        "echo 'epoch_start rank=1' >&$CARBONTRACKER_EPOCH_FD; "
        "echo 'epoch_start rank=0' >&$CARBONTRACKER_EPOCH_FD; sleep 0.1; "
        "echo 'epoch_end rank=0' >&$CARBONTRACKER_EPOCH_FD; "
        "echo 'epoch_end rank=1' >&$CARBONTRACKER_EPOCH_FD; ";
  CliRun r = run_cli(dir, {"--epochs", "2", "--json", "run.json", "sh", "-c", script}, {});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  nlohmann::json j = nlohmann::json::parse(slurp(fs::path(dir.path()) / "run.json"));
  EXPECT_EQ(j["total"]["epochs_completed"], 2);
  EXPECT_EQ(j["epochs"].size(), 2u);
  // A rank that is not a number is not a marker.
  r = run_cli(
      dir, {"--epochs", "1", "sh", "-c", "echo 'epoch_end rank=x' >&$CARBONTRACKER_EPOCH_FD"}, {});
  EXPECT_NE(r.err.find("ignoring unknown line on CARBONTRACKER_EPOCH_FD: 'epoch_end rank=x'"),
            std::string::npos)
      << r.err;
}

// torchrun closes inherited descriptors: its ranks write to the pipe by name.
TEST(CliDistributed, MarkersThroughTheEpochPathWithoutTheDescriptor) {
  TempDir dir;
  std::string script =
      "exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-; "
      "for i in 1 2; do echo 'epoch_start rank=0' > $CARBONTRACKER_EPOCH_PATH; "
      "echo 'epoch_start rank=1' > $CARBONTRACKER_EPOCH_PATH; sleep 0.1; "
      "echo 'epoch_end rank=1' > $CARBONTRACKER_EPOCH_PATH; "
      "echo 'epoch_end rank=0' > $CARBONTRACKER_EPOCH_PATH; done";
  CliRun r = run_cli(dir, {"--epochs", "2", "--json", "run.json", "sh", "-c", script}, {});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  nlohmann::json j = nlohmann::json::parse(slurp(fs::path(dir.path()) / "run.json"));
  EXPECT_EQ(j["total"]["epochs_completed"], 2);
  ASSERT_EQ(j["epochs"].size(), 2u);
  // Each epoch spans its sleep; how much of it the wrapper sees depends on
  // when it reads the lines (a loaded machine), so only that it spans time.
  for (const auto& e : j["epochs"]) EXPECT_GT(e["duration_s"].get<double>(), 0.0);
}

TEST(CliDistributed, OffMeasuresInEveryRankAndSaysSo) {
  TempDir dir;
  CliRun r = run_cli(dir, {"--distributed", "off", "true"}, kRank1);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("CarbonTracker: distributed=off: rank 1 of 2 (torchrun) measures"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Actual consumption"), std::string::npos);
  EXPECT_TRUE(fs::exists(fs::path(dir.path()) / "logs"));
}

}  // namespace
#include "fakes/fake_powercap_tree.h"
