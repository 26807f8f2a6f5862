// --parse --by job over the logs of a distributed job: per-node breakdown,
// missing and duplicate nodes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "logs/jsonl_writer.h"
#include "logs/logs_test_util.h"
#include "logs/parse_cli.h"

namespace carbontracker {
namespace {

using testing_logs::ScratchDir;

// One node's run of job `job` (of `nodes` nodes), measuring `joules` on cpu:0.
void write_node_run(const std::string& path, const std::string& host, const std::string& job,
                    int node, int nodes, double joules) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  JsonlWriter w(path);
  RunMetadata m;
  m.version = "0.1.0";
  m.hostname = host;
  m.cluster = {{"job", job},
               {"step", "0"},
               {"node", std::to_string(node)},
               {"nodes", std::to_string(nodes)},
               {"launcher", "slurm"}};
  std::vector<DeviceInfo> devs = {{"cpu:0", ComponentKind::kCpu, Provenance::kMeasured, "", ""}};
  w.run_start(m, devs, 1.0, 1.7e9);
  RunResult r;
  r.devices = devs;
  r.pue = 1.0;
  EpochRecord e;
  e.index = 1;
  e.duration_s = 10;
  e.energy_j = {joules};
  e.co2_g = {0};
  e.missing = {false};
  w.epoch(e, devs);
  r.epochs = {e};
  r.actual = Consumption{1, 10.0, joules / 3.6e6, 0, 0, "", std::nullopt};
  r.finished = true;
  w.totals(r, 1.7e9 + 10);
}

struct CliRun {
  int rc;
  std::string out, err;
};

CliRun parse(std::vector<std::string> args) {
  std::ostringstream out, err;
  int rc = run_parse_command(args, out, err);
  return {rc, out.str(), err.str()};
}

TEST(ParseByJob, SumsNodesAndWarnsAboutMissingOnes) {
  ScratchDir dir;
  // Two of the job's four nodes, on one host name (containers): told apart by index.
  write_node_run(dir.file("a/n0_carbontracker.jsonl"), "c1", "42", 0, 4, 3.6e6);
  write_node_run(dir.file("b/n2_carbontracker.jsonl"), "c1", "42", 2, 4, 7.2e6);
  CliRun r = parse({"--parse", dir.path(), "--by", "job", "--format", "json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["groups"].size(), 1u);
  EXPECT_EQ(j["groups"][0]["job"], "42");
  EXPECT_DOUBLE_EQ(j["groups"][0]["energy (kWh)"].get<double>(), 3.0);
  ASSERT_EQ(j["groups"][0]["hosts"].size(), 2u);
  EXPECT_EQ(j["groups"][0]["hosts"][0]["host"], "c1 (node 0)");
  EXPECT_DOUBLE_EQ(j["groups"][0]["hosts"][1]["energy (kWh)"].get<double>(), 2.0);
  ASSERT_EQ(j["warnings"].size(), 1u);
  EXPECT_EQ(j["warnings"][0],
            "job 42 step 0: 2 nodes of 4 have logs; the job's total lacks the others (were their "
            "logs written elsewhere, or did they fail?)");
  EXPECT_NE(r.err.find("carbontracker: warning: job 42 step 0: 2 nodes of 4 have logs"),
            std::string::npos);
}

TEST(ParseByJob, WarnsAboutANodeCountedTwice) {
  ScratchDir dir;
  write_node_run(dir.file("n0_carbontracker.jsonl"), "h0", "7", 0, 2, 1000);
  write_node_run(dir.file("n0b_carbontracker.jsonl"), "h0", "7", 0, 2, 1000);
  write_node_run(dir.file("n1_carbontracker.jsonl"), "h1", "7", 1, 2, 1000);
  CliRun r = parse({"--parse", dir.path(), "--by", "job"});
  ASSERT_EQ(r.rc, 0);
  EXPECT_EQ(r.err,
            "carbontracker: warning: job 7 step 0: h0 (node 0) appears in 2 logs and is counted 2 "
            "times (was the node measured by several processes, e.g. with "
            "distributed=\"off\"?)\n");
  EXPECT_NE(r.out.find("  host h0 (node 0): "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(2 runs)"), std::string::npos);
}

TEST(ParseByJob, CompleteJobsHaveNoWarning) {
  ScratchDir dir;
  write_node_run(dir.file("n0_carbontracker.jsonl"), "h0", "8", 0, 2, 1000);
  write_node_run(dir.file("n1_carbontracker.jsonl"), "h1", "8", 1, 2, 1000);
  CliRun r = parse({"--parse", dir.path(), "--by", "job"});
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("Job 8: "), std::string::npos) << r.out;
}

}  // namespace
}  // namespace carbontracker
