#include "logs/parse_cli.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "logs/jsonl_writer.h"
#include "logs/logs_test_util.h"

namespace carbontracker {
namespace {

using testing_logs::fixture_dir;
using testing_logs::read_text;
using testing_logs::ScratchDir;
using testing_logs::write_file;

struct CliRun {
  int rc;
  std::string out, err;
};

CliRun parse(std::vector<std::string> args) {
  std::ostringstream out, err;
  int rc = run_parse_command(args, out, err);
  return {rc, out.str(), err.str()};
}

// A text-log run in our format, with the Run metadata line.
void write_text_run(const std::string& dir, const std::string& stem, const std::string& host,
                    const std::string& job, double kwh, double g) {
  std::string meta = "{\"hostname\":\"" + host + "\"" +
                     (job.empty() ? "" : ",\"SLURM_JOB_ID\":\"" + job + "\"") + "}";
  write_file(
      dir + "/" + stem + "_carbontracker.log",
      "2026-11-26 21:35:53 - carbontracker version 0.1.0\n"
      "2026-11-26 21:35:53 - Only predicted and actual consumptions are multiplied by a PUE "
      "coefficient of 1.58 (Daniel Bizo, 2023, Uptime Institute Global Data Center Survey).\n"
      "2026-11-26 21:35:53 - Run metadata: " +
          meta +
          "\n2026-11-26 21:35:53 - The following components were found: CPU with "
          "device(s) cpu:0.\n2026-11-26 21:35:56 - Epoch 1:\n2026-11-26 21:35:56 - "
          "Duration: 0:00:03.00\n2026-11-26 21:35:56 - Average power usage (W) for cpu: "
          "10.0\n");
  write_file(dir + "/" + stem + "_carbontracker_output.log",
             "2026-11-26 21:35:56 - CarbonTracker: \nActual consumption for 1 epoch(s):\n"
             "\tTime:\t0:00:03\n\tEnergy:\t" +
                 std::to_string(kwh) + " kWh\n\tCO2eq:\t" + std::to_string(g) + " g\n");
}

// A JSONL-only run.
void write_jsonl_run(const std::string& path, const std::string& host, const std::string& job,
                     double kwh, double g) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  JsonlWriter w(path);
  RunMetadata m;
  m.version = "0.1.0";
  m.hostname = host;
  m.cluster = {{"SLURM_JOB_ID", job}, {"SLURM_JOB_NAME", "llm"}};
  std::vector<DeviceInfo> devs = {{"cpu:0", ComponentKind::kCpu, Provenance::kMeasured, "", ""}};
  w.run_start(m, devs, 1.58, 1.7e9);
  RunResult r;
  r.devices = devs;
  r.actual = Consumption{1, 3.0, kwh, g, 100, "", std::nullopt};
  w.totals(r, 1.7e9 + 3);
}

TEST(ParseCli, TextPrintsTheSentence) {
  CliRun r = parse({"--parse", fixture_dir("v212_cli")});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out,
            "The training of models in this work is estimated to use 0.0000439604050000 kWh of "
            "electricity contributing to 0.0000066666085450 kg of CO2eq. This is equivalent to "
            "0.0000620149630000 km travelled by car. Measured by carbontracker "
            "(https://github.com/lfwa/carbontracker).\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(parse({fixture_dir("v212_cli"), "--format=text"}).out, r.out);
  EXPECT_EQ(parse({"--parse=" + fixture_dir("v212_cli")}).out, r.out);
}

TEST(ParseCli, JsonHasLogsAndAggregate) {
  CliRun r = parse({"--parse", fixture_dir("v212_api_two_gpus"), "--format", "json"});
  ASSERT_EQ(r.rc, 0);
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["aggregate"]["energy (kWh)"], 0.000623909946);
  EXPECT_EQ(j["aggregate"]["co2eq (g)"], 0.094616130416);
  EXPECT_EQ(j["aggregate"]["runs"], 1);
  EXPECT_EQ(j["logs"].size(), 1u);
  EXPECT_EQ(j["logs"][0]["components"]["cpu"]["devices"], nlohmann::json({"cpu:0", "dram:0"}));
  EXPECT_EQ(j["warnings"], nlohmann::json::array());
  EXPECT_TRUE(j["sentence"].get<std::string>().starts_with("The training of models"));
}

TEST(ParseCli, RecursiveFlag) {
  std::string root = std::string(CT_SOURCE_DIR) + "/tests/fixtures/original-logs";
  nlohmann::json flat = nlohmann::json::parse(parse({root, "--format", "json"}).out);
  EXPECT_EQ(flat["aggregate"]["runs"], 0);
  nlohmann::json deep = nlohmann::json::parse(parse({root, "--recursive", "--format", "json"}).out);
  EXPECT_EQ(deep["aggregate"]["runs"], 9);
}

TEST(ParseCli, UsageErrors) {
  EXPECT_EQ(parse({"--parse"}).rc, 2);
  EXPECT_EQ(parse({"--parse", "a", "b"}).rc, 2);
  EXPECT_EQ(parse({"--parse", "a", "--format", "xml"}).rc, 2);
  EXPECT_EQ(parse({"--parse", "a", "--by", "rack"}).rc, 2);
  EXPECT_EQ(parse({"--parse", "a", "--format"}).rc, 2);
  CliRun r = parse({"--parse", "a", "--bogus"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos);
  r = parse({"--parse", "/nonexistent/logs"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("/nonexistent/logs"), std::string::npos);
  EXPECT_EQ(r.out, "");
}

TEST(ParseCli, TheSentenceReadsOnlyTheOutputLogs) {
  ScratchDir dir;
  write_text_run(dir.path(), "1.1_2026-11-26T213553Z", "node01", "7", 2.0, 100.0);
  // A standard log the sentence does not need: not even opened for it.
  write_file(dir.file("1.1_2026-11-26T213553Z_carbontracker.log"), std::string("\0\1", 2));
  CliRun r = parse({"--parse", dir.path()});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("to use 2.0000000000000000 kWh"), std::string::npos) << r.out;
  // JSON shows every file's figures, so it reads (and warns about) both.
  CliRun j = parse({"--parse", dir.path(), "--format", "json"});
  EXPECT_NE(j.err.find("_carbontracker.log: binary data"), std::string::npos) << j.err;
}

TEST(ParseCli, WarningsGoToErr) {
  ScratchDir dir;
  write_file(dir.file("a_carbontracker_output.log"), std::string("\0\1\2", 3));
  CliRun r = parse({"--parse", dir.path()});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.err, "carbontracker: warning: " + dir.file("a_carbontracker_output.log") +
                       ": binary data, not a carbontracker log; skipped\n");
}

TEST(ParseCli, ADeeplyNestedJsonlLineIsSkippedWithAWarning) {
  ScratchDir dir;
  std::string path = dir.file("1.1_2026-11-26T213553Z_carbontracker.jsonl");
  write_jsonl_run(path, "node01", "123", 1.0, 100.0);
  const size_t depth = 100000;
  std::string deep = R"({"event":"run_start","hostname":"evil","cluster":{"x":)" +
                     std::string(depth, '[') + std::string(depth, ']') + "}}\n";
  write_file(path, deep + read_text(path));
  CliRun r = parse({"--parse", dir.path(), "--format", "json"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.err, "carbontracker: warning: " + path + ": 1 unreadable line(s) ignored\n");
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["logs"].size(), 1u) << r.out;
  EXPECT_EQ(j["logs"][0]["run_metadata"]["hostname"], "node01") << r.out;
}

// A two-node Slurm job (one node writing JSONL, the other text logs), a
// second job, and the original's logs without metadata.
class ParseCliByJob : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string d = dir_.path();
    write_jsonl_run(d + "/job123/node01/1.1_2026-11-26T213553Z_carbontracker.jsonl", "node01",
                    "123", 1.0, 100.0);
    write_jsonl_run(d + "/job123/node01/2.2_2026-11-26T213553Z_carbontracker.jsonl", "node01",
                    "123", 0.5, 50.0);
    write_text_run(d + "/job123/node02", "3.3_2026-11-26T213553Z", "node02", "123", 2.0, 200.0);
    write_text_run(d + "/job77", "4.4_2026-11-26T213553Z", "node03", "77", 0.25, 25.0);
    for (const char* suffix : {"_carbontracker.log", "_carbontracker_output.log"}) {
      std::string name = std::string("18741.915091_2026-11-26T214247Z") + suffix;
      write_file(d + "/old/" + name, read_text(fixture_dir("v212_cli") + "/" + name));
    }
  }
  ScratchDir dir_;
};

TEST_F(ParseCliByJob, Json) {
  CliRun r = parse({"--parse", dir_.path(), "--by", "job", "--format", "json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err, "");
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["by"], "job");
  ASSERT_EQ(j["groups"].size(), 3u);
  nlohmann::json g = j["groups"][0];
  EXPECT_EQ(g["job"], "123");
  EXPECT_EQ(g["job_name"], "llm");
  EXPECT_EQ(g["energy (kWh)"], 3.5);
  EXPECT_EQ(g["co2eq (g)"], 350.0);
  EXPECT_EQ(g["runs"], 3);
  ASSERT_EQ(g["hosts"].size(), 2u);
  EXPECT_EQ(g["hosts"][0]["host"], "node01");
  EXPECT_EQ(g["hosts"][0]["energy (kWh)"], 1.5);
  EXPECT_EQ(g["hosts"][0]["runs"], 2);
  EXPECT_EQ(g["hosts"][1]["host"], "node02");
  EXPECT_EQ(g["hosts"][1]["energy (kWh)"], 2.0);
  EXPECT_EQ(j["groups"][1]["job"], "77");
  EXPECT_EQ(j["groups"][1]["energy (kWh)"], 0.25);
  EXPECT_EQ(j["groups"][2]["job"], "unknown");
  EXPECT_EQ(j["groups"][2]["energy (kWh)"], 4.3960405e-05);
  EXPECT_EQ(j["groups"][2]["hosts"][0]["host"], "unknown");
  EXPECT_EQ(j["total"]["runs"], 5);
  EXPECT_DOUBLE_EQ(j["total"]["energy (kWh)"].get<double>(), 3.75 + 4.3960405e-05);
}

TEST_F(ParseCliByJob, Text) {
  CliRun r = parse({"--parse", dir_.path(), "--by", "job"});
  ASSERT_EQ(r.rc, 0);
  std::string expected =
      "Job 123 (llm): 3.5 kWh, 350 g CO2eq (3 runs)\n"
      "  host node01: 1.5 kWh, 150 g CO2eq (2 runs)\n"
      "  host node02: 2 kWh, 200 g CO2eq (1 run)\n"
      "Job 77: 0.25 kWh, 25 g CO2eq (1 run)\n"
      "  host node03: 0.25 kWh, 25 g CO2eq (1 run)\n"
      "Job unknown: 4.3960405e-05 kWh, 0.006666608545 g CO2eq (1 run)\n"
      "  host unknown: 4.3960405e-05 kWh, 0.006666608545 g CO2eq (1 run)\n";
  EXPECT_EQ(r.out.substr(0, expected.size()), expected);
  EXPECT_NE(r.out.find("\nTotal: 3.750043960405 kWh"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("The training of models in this work is estimated to use 3.7500439604050"),
            std::string::npos);
}

TEST_F(ParseCliByJob, ByHost) {
  CliRun r = parse({"--parse", dir_.path(), "--by=host", "--format=json"});
  ASSERT_EQ(r.rc, 0);
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["groups"].size(), 4u);
  EXPECT_EQ(j["groups"][0]["host"], "node01");
  EXPECT_EQ(j["groups"][0]["jobs"][0]["job"], "123");
  EXPECT_EQ(j["groups"][2]["host"], "node03");
  EXPECT_EQ(j["groups"][3]["host"], "unknown");
}

}  // namespace
}  // namespace carbontracker
