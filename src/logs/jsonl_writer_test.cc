#include "logs/jsonl_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "carbontracker/error.h"
#include "carbontracker/parser.h"
#include "logs/log_text.h"
#include "logs/logs_test_util.h"

namespace carbontracker {
namespace {

using testing_logs::read_text;
using testing_logs::ScratchDir;
using testing_logs::write_file;

constexpr double kStart = 1764193000.25;

std::vector<DeviceInfo> devices() {
  return {{"NVIDIA A100-SXM4-40GB", ComponentKind::kGpu, Provenance::kSimulated, "simulated", ""},
          {"Intel Xeon Gold 6130", ComponentKind::kCpu, Provenance::kMeasured,
           "RAPL energy counter /sys/class/powercap/intel-rapl:0", ""}};
}

// A scripted run: 3 full epochs, one partial, a prediction, stop().
RunResult scripted_run() {
  RunResult r;
  r.devices = devices();
  r.pue = 1.58;
  r.planned_epochs = 5;
  for (int i = 0; i < 4; ++i) {
    EpochRecord e;
    e.index = i + 1;
    e.partial = i == 3;
    e.start_unix_s = kStart + 2.5 * i;
    e.duration_s = i == 3 ? 0.7 : 2.5;
    e.energy_j = {300.0 * e.duration_s + 0.1 * i, 62.5 * e.duration_s + 1.0 / 3.0};
    e.co2_g = {e.energy_j[0] / 3.6e6 * 151.6503, e.energy_j[1] / 3.6e6 * 151.6503};
    e.missing = {false, false};
    r.epochs.push_back(e);
  }
  r.prediction = Consumption{5, 12.5, 0.0019889, 0.30161, 151.6503, "current value", std::nullopt};
  r.actual = Consumption{3, 8.2, 0.00119321234567, 0.18095123456789, 151.6503, "", std::nullopt};
  r.finished = true;
  r.interrupted = true;
  r.messages = {"Training was interrupted before all 5 epochs were monitored."};
  return r;
}

RunMetadata metadata(const std::string& host, const std::string& job) {
  RunMetadata m;
  m.version = "0.1.0";
  m.hostname = host;
  m.command = "python train.py";
  if (!job.empty()) {
    m.cluster["SLURM_JOB_ID"] = job;
    m.cluster["SLURM_JOB_NAME"] = "train";
  }
  m.options = {{"epochs", 5}, {"interpretable", true}};
  return m;
}

void write_run(const std::string& path, const RunResult& r, const RunMetadata& meta,
               bool with_totals = true) {
  JsonlWriter w(path);
  w.run_start(meta, r.devices, r.pue, kStart);
  w.intensity({151.6503, kStart, "carbon-intensities.csv (2023)", "DK", false});
  for (size_t i = 0; i < r.epochs.size(); ++i) {
    w.epoch(r.epochs[i], r.devices);
    if (i == 0) w.prediction(*r.prediction);
  }
  if (with_totals) w.totals(r, kStart + 10);
}

TEST(JsonlWriter, OneObjectPerLine) {
  ScratchDir dir;
  std::string path = dir.file("1.2_2025-11-26T213553Z_carbontracker.jsonl");
  write_run(path, scripted_run(), metadata("node01", "123"));
  std::ifstream f(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(f, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 8u);
  EXPECT_EQ(lines[0]["event"], "run_start");
  EXPECT_EQ(lines[0]["schema"], 3);
  EXPECT_EQ(lines[0]["hostname"], "node01");
  EXPECT_EQ(lines[0]["cluster"]["SLURM_JOB_ID"], "123");
  EXPECT_EQ(lines[0]["command"], "python train.py");
  EXPECT_EQ(lines[0]["options"]["epochs"], 5);
  EXPECT_EQ(lines[0]["devices"][0]["component"], "gpu");
  EXPECT_EQ(lines[0]["devices"][0]["provenance"], "simulated");
  EXPECT_EQ(lines[0]["devices"][1]["provenance"], "measured");
  EXPECT_EQ(lines[0]["time_utc"], "2025-11-26T21:36:40.250Z");
  EXPECT_EQ(lines[1]["event"], "intensity");
  EXPECT_EQ(lines[1]["g_per_kwh"], 151.6503);
  EXPECT_EQ(lines[2]["event"], "epoch");
  EXPECT_EQ(lines[2]["energy_j"], nlohmann::json({750.0, 156.25 + 1.0 / 3.0}));
  EXPECT_EQ(lines[3]["event"], "prediction");
  EXPECT_EQ(lines[3]["equivalents"]["km travelled by car"], 0.30161 / 107.5);
  EXPECT_EQ(lines[6]["partial"], true);
  EXPECT_EQ(lines[7]["event"], "totals");
  EXPECT_EQ(lines[7]["epochs_completed"], 3);
  EXPECT_EQ(lines[7]["interrupted"], true);
  EXPECT_EQ(lines[7]["actual"]["energy_kwh"], 0.00119321234567);
}

TEST(JsonlWriter, SampleLinesRoundToMilliunits) {
  ScratchDir dir;
  std::string path = dir.file("1.2_2025-11-26T213553Z_carbontracker.jsonl");
  {
    JsonlWriter w(path);
    w.run_start(metadata("n", ""), devices(), 1.58, kStart);
    w.sample(kStart + 10.0004, 10.0001, {150.12345678, 62.5}, 151.6503);
    w.sample(kStart + 20, 9.9996, {0.0004, 1e-9}, 151.6503);
  }
  std::ifstream f(path);
  std::vector<std::string> text;
  for (std::string line; std::getline(f, line);) text.push_back(line);
  ASSERT_EQ(text.size(), 3u);
  EXPECT_EQ(text[1],
            "{\"event\":\"sample\",\"time\":1764193010.25,\"interval_s\":10.0,"
            "\"power_w\":[150.123,62.5],\"g_per_kwh\":151.65}");
  nlohmann::json j = nlohmann::json::parse(text[2]);
  EXPECT_EQ(j["interval_s"], 10.0);
  EXPECT_EQ(j["power_w"], nlohmann::json({0.0, 0.0}));
}

// A schema 2 file (sample lines among the others) and the same run written
// as schema 1 (no sample lines) read back to the same figures.
TEST(JsonlWriter, ParserReadsSchemaOneAndTwo) {
  ScratchDir dir1, dir2;
  RunResult run = scripted_run();
  std::string name = "7.8_2025-11-26T213553Z_carbontracker.jsonl";
  write_run(dir2.file(name), run, metadata("node01", "123"));
  std::string v2 = read_text(dir2.file(name));
  // Interleave sample lines after every line but the first and the last.
  std::string with_samples, v1;
  size_t pos = 0;
  int n = 0;
  while (pos < v2.size()) {
    size_t end = v2.find('\n', pos) + 1;
    std::string line = v2.substr(pos, end - pos);
    with_samples += line;
    std::string l1 = line;
    if (n == 0) l1.replace(l1.find("\"schema\":3"), 10, "\"schema\":1");
    v1 += l1;
    if (n > 0 && end < v2.size())
      with_samples +=
          "{\"event\":\"sample\",\"time\":1764193001.0,\"interval_s\":10.0,"
          "\"power_w\":[300.0,62.5],\"g_per_kwh\":151.65}\n";
    pos = end;
    ++n;
  }
  write_file(dir2.file(name), with_samples);
  write_file(dir1.file(name), v1);
  for (bool per_epoch : {true, false}) {
    std::vector<std::string> w1, w2;
    auto r1 = parser::parse_all_logs(dir1.path(), &w1, {.per_epoch = per_epoch});
    auto r2 = parser::parse_all_logs(dir2.path(), &w2, {.per_epoch = per_epoch});
    EXPECT_TRUE(w1.empty());
    EXPECT_TRUE(w2.empty());
    ASSERT_EQ(r1.size(), 1u);
    ASSERT_EQ(r2.size(), 1u);
    r1[0].jsonl_filename = r2[0].jsonl_filename;
    EXPECT_EQ(parser::to_json(r1[0]), parser::to_json(r2[0]));
    EXPECT_EQ(r2[0].actual->energy_kwh, run.actual->energy_kwh);
  }
}

TEST(JsonlWriter, RoundTripGivesTheRunsOwnNumbers) {
  ScratchDir dir;
  RunResult run = scripted_run();
  write_run(dir.file("7.8_2025-11-26T213553Z_carbontracker.jsonl"), run, metadata("node01", "123"));
  std::vector<std::string> warnings;
  std::vector<parser::LogResult> runs = parser::parse_all_logs(dir.path(), &warnings);
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(runs.size(), 1u);
  const parser::LogResult& r = runs[0];
  EXPECT_EQ(r.jsonl_filename, dir.file("7.8_2025-11-26T213553Z_carbontracker.jsonl"));
  ASSERT_TRUE(r.actual);
  EXPECT_EQ(r.actual->epochs, 3);
  EXPECT_EQ(r.actual->energy_kwh, run.actual->energy_kwh);
  EXPECT_EQ(r.actual->co2eq_g, run.actual->co2_g);
  EXPECT_EQ(r.actual->duration_s, run.actual->duration_s);
  ASSERT_TRUE(r.actual->equivalents);
  EXPECT_EQ(r.actual->equivalents->at(0).second, run.actual->co2_g / 107.5);
  ASSERT_TRUE(r.pred);
  EXPECT_EQ(r.pred->epochs, 5);
  EXPECT_EQ(r.pred->energy_kwh, run.prediction->energy_kwh);
  EXPECT_TRUE(r.early_stop);
  EXPECT_EQ(r.info.hostname, "node01");
  EXPECT_EQ(r.info.cluster.at("SLURM_JOB_ID"), "123");
  EXPECT_EQ(r.info.version, "0.1.0");
  ASSERT_EQ(r.components.size(), 2u);
  EXPECT_EQ(r.components[0].first, "gpu");
  EXPECT_EQ(r.components[0].second.devices, std::vector<std::string>{"NVIDIA A100-SXM4-40GB"});
  ASSERT_TRUE(r.components[1].second.avg_energy_usages_j);
  const auto& cpu_j = *r.components[1].second.avg_energy_usages_j;
  ASSERT_EQ(cpu_j.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(cpu_j[i][0], run.epochs[i].energy_j[1]);
  EXPECT_EQ((*r.components[0].second.avg_power_usages_w)[0][0], 300.0);
  EXPECT_EQ(*r.components[0].second.epoch_durations_s, (std::vector<double>{2.5, 2.5, 2.5, 0.7}));
  parser::Aggregate a = parser::aggregate(runs);
  EXPECT_EQ(a.energy_kwh, run.actual->energy_kwh);
  EXPECT_EQ(a.co2eq_g, run.actual->co2_g);
}

TEST(JsonlWriter, WithoutPerEpochFiguresSameTotals) {
  ScratchDir dir;
  RunResult run = scripted_run();
  write_run(dir.file("7.8_2025-11-26T213553Z_carbontracker.jsonl"), run, metadata("n", "1"));
  std::vector<std::string> warnings;
  std::vector<parser::LogResult> runs =
      parser::parse_all_logs(dir.path(), &warnings, {.per_epoch = false});
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].actual->energy_kwh, run.actual->energy_kwh);
  EXPECT_EQ(runs[0].pred->energy_kwh, run.prediction->energy_kwh);
  EXPECT_EQ(runs[0].info.cluster.at("SLURM_JOB_ID"), "1");
  ASSERT_EQ(runs[0].components.size(), 2u);
  EXPECT_EQ(runs[0].components[1].second.devices, std::vector<std::string>{"Intel Xeon Gold 6130"});
  EXPECT_EQ(runs[0].components[1].second.avg_energy_usages_j, std::nullopt);
}

TEST(JsonlWriter, JsonlPreferredOverTextLogs) {
  ScratchDir dir;
  std::string stem = dir.file("7.8_2025-11-26T213553Z_carbontracker");
  write_run(stem + ".jsonl", scripted_run(), metadata("node01", ""));
  write_file(stem + ".log", "2025-11-26 21:35:53 - Epoch 1:\n");
  write_file(stem + "_output.log",
             "2025-11-26 21:35:53 - CarbonTracker: \nActual consumption for 3 epoch(s):\n"
             "\tTime:\t0:00:08\n\tEnergy:\t0.001193 kWh\n\tCO2eq:\t0.180951 g\n");
  std::vector<parser::LogResult> runs = parser::parse_all_logs(dir.path());
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].actual->energy_kwh, 0.00119321234567);
  EXPECT_EQ(runs[0].standard_filename, stem + ".log");
  EXPECT_EQ(runs[0].output_filename, stem + "_output.log");
}

TEST(JsonlWriter, KilledRunUsesWhatIsThere) {
  ScratchDir dir;
  std::string path = dir.file("7.8_2025-11-26T213553Z_carbontracker.jsonl");
  RunResult run = scripted_run();
  write_run(path, run, metadata("node01", ""), /*with_totals=*/false);
  // kill -9 in the middle of the last epoch line.
  std::string text = read_text(path);
  text.resize(text.size() - 20);
  write_file(path, text);
  std::vector<std::string> warnings;
  std::vector<parser::LogResult> runs = parser::parse_all_logs(dir.path(), &warnings);
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(path), std::string::npos);
  EXPECT_NE(warnings[0].find("truncated"), std::string::npos);
  ASSERT_TRUE(runs[0].actual);
  double joules = 0, grams = 0;
  for (int i = 0; i < 3; ++i) {
    joules += run.epochs[i].energy_j[0] + run.epochs[i].energy_j[1];
    grams += run.epochs[i].co2_g[0] + run.epochs[i].co2_g[1];
  }
  EXPECT_EQ(runs[0].actual->epochs, 3);
  EXPECT_DOUBLE_EQ(runs[0].actual->energy_kwh, joules * 1.58 / 3.6e6);
  EXPECT_DOUBLE_EQ(runs[0].actual->co2eq_g, grams * 1.58);
  EXPECT_TRUE(runs[0].early_stop);
}

TEST(JsonlWriter, NotInterpretableHasNoEquivalents) {
  ScratchDir dir;
  RunMetadata meta = metadata("h", "");
  meta.options["interpretable"] = false;
  write_run(dir.file("1.1_x_carbontracker.jsonl"), scripted_run(), meta);
  std::vector<parser::LogResult> runs = parser::parse_all_logs(dir.path());
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].actual->equivalents, std::nullopt);
  EXPECT_EQ(runs[0].pred->equivalents, std::nullopt);
}

TEST(JsonlWriter, BrokenJsonlFallsBackToText) {
  ScratchDir dir;
  std::string stem = dir.file("1.1_x_carbontracker");
  write_file(stem + ".jsonl", "{\"event\":\"epoch\"}\n");
  write_file(stem + "_output.log",
             "2025-11-26 21:35:53 - CarbonTracker: \nActual consumption for 1 epoch(s):\n"
             "\tTime:\t0:00:08\n\tEnergy:\t2.5 kWh\n\tCO2eq:\t1.0 g\n");
  std::vector<std::string> warnings;
  std::vector<parser::LogResult> runs = parser::parse_all_logs(dir.path(), &warnings);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].actual->energy_kwh, 2.5);
  EXPECT_EQ(runs[0].jsonl_filename, "");
  // One warning for the JSONL file, one for the missing standard log.
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find(stem + ".jsonl"), std::string::npos);
}

TEST(JsonlWriter, FullDiskIsAnIoErrorNamingThePath) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  JsonlWriter w("/dev/full");
  try {
    w.intensity({100, kStart, "x", "DK", false});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find("/dev/full"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos);
  }
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(JsonlWriter, HeldLinesAreWrittenAtReleaseInOrder) {
  ScratchDir dir;
  std::string path = dir.file("1.2_2025-11-26T213553Z_carbontracker.jsonl");
  RunResult r = scripted_run();
  JsonlWriter w(path);
  w.run_start(metadata("node01", "123"), r.devices, r.pue, kStart);
  w.hold();
  w.intensity({151.6503, kStart, "x", "DK", false});
  w.epoch(r.epochs[0], r.devices);
  std::string before = slurp(path);
  EXPECT_EQ(std::count(before.begin(), before.end(), '\n'), 1);
  w.release();
  std::string after = slurp(path);
  EXPECT_EQ(std::count(after.begin(), after.end(), '\n'), 3);
  EXPECT_LT(after.find("\"intensity\""), after.find("\"epoch\""));
  w.hold();
  w.totals(r, kStart + 10);
}  // the destructor writes what is still held

TEST(JsonlWriter, TheDestructorWritesWhatIsHeld) {
  ScratchDir dir;
  std::string path = dir.file("1.2_2025-11-26T213553Z_carbontracker.jsonl");
  {
    JsonlWriter w(path);
    w.hold();
    w.intensity({151.6503, kStart, "x", "DK", false});
  }
  EXPECT_NE(slurp(path).find("\"intensity\""), std::string::npos);
}

TEST(JsonlWriter, AFullDiskAtReleaseIsAnIoError) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  JsonlWriter w("/dev/full");
  w.hold();
  w.intensity({100, kStart, "x", "DK", false});
  EXPECT_THROW(w.release(), Error);
}

TEST(JsonlWriter, UncreatableFileIsAnIoError) {
  try {
    JsonlWriter w("/nonexistent/dir/x_carbontracker.jsonl");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x_carbontracker.jsonl"),
              std::string::npos);
  }
}

TEST(JsonlWriter, InvalidUtf8IsReplacedNotThrown) {
  ScratchDir dir;
  std::string path = dir.file("u_carbontracker.jsonl");
  JsonlWriter w(path);
  std::vector<DeviceInfo> devs = {
      {"bad \xff name", ComponentKind::kCpu, Provenance::kEstimated, "", ""}};
  w.run_start(metadata("h\xfe", ""), devs, 1.58, kStart);
  auto j = nlohmann::json::parse(read_text(path));
  EXPECT_EQ(j["devices"][0]["name"], "bad \xEF\xBF\xBD name");
}

}  // namespace
}  // namespace carbontracker
