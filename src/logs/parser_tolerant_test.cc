// The parser on partial, hand-made and broken input: files are skipped with
// one warning each, never an exception.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "carbontracker/error.h"
#include "carbontracker/parser.h"
#include "logs/log_text.h"
#include "logs/logs_test_util.h"

namespace carbontracker::parser {
namespace {

using testing_logs::fixture_dir;
using testing_logs::read_text;
using testing_logs::ScratchDir;
using testing_logs::write_file;

using Rows = std::vector<std::vector<double>>;
using Equivalents = std::vector<std::pair<std::string, double>>;

const ComponentLog& component(const LogResult& r, const std::string& name) {
  for (auto& [key, c] : r.components)
    if (key == name) return c;
  static ComponentLog none;
  ADD_FAILURE() << "no component " << name;
  return none;
}

void expect_block(const std::optional<ConsumptionLog>& c, int epochs, double duration_s,
                  double energy_kwh, double co2_g, const std::optional<Equivalents>& eq) {
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->epochs, epochs);
  ASSERT_TRUE(c->duration_s.has_value());
  EXPECT_EQ(*c->duration_s, duration_s);
  EXPECT_EQ(c->energy_kwh, energy_kwh);
  EXPECT_EQ(c->co2eq_g, co2_g);
  EXPECT_EQ(c->equivalents, eq);
}

// ---- Partial and hand-made logs. ----

TEST(ParserFixes, PartialLogsDoNotFail) {
  // Power lines for one component only, and more durations than powers: the
  // original raised KeyError and MismatchedEpochsError.
  StdLogText s = parse_std_log_text(
      "2024-01-01 00:00:00 - The following components were found: GPU with device(s) g. CPU "
      "with device(s) c.\n"
      "2024-01-01 00:00:01 - Epoch 1:\n"
      "2024-01-01 00:00:01 - Duration: 0:00:02.00\n"
      "2024-01-01 00:00:01 - Average power usage (W) for cpu: 10.0\n"
      "2024-01-01 00:00:02 - Epoch 2:\n"
      "2024-01-01 00:00:02 - Duration: 0:00:02.00\n");
  ASSERT_EQ(s.components.size(), 2u);
  EXPECT_EQ(s.components[0].second.avg_power_usages_w, std::nullopt);
  EXPECT_EQ(s.components[0].second.avg_energy_usages_j, std::nullopt);
  EXPECT_EQ(s.components[1].second.avg_power_usages_w, Rows{{10.0}});
  EXPECT_EQ(s.components[1].second.avg_energy_usages_j, Rows{{20.0}});
  EXPECT_EQ(s.problems.size(), 1u);

  // parse_logs on an empty directory: a warning, not IndexError.
  ScratchDir dir;
  std::vector<std::string> warnings;
  EXPECT_TRUE(parse_logs(dir.path(), "", "", &warnings).empty());
  EXPECT_EQ(warnings.size(), 1u);
}

TEST(ParserFixes, PairsByStemNotPosition) {
  // Sorted by position the original would pair a's output with b's standard log.
  ScratchDir dir;
  auto out = [](double kwh) {
    return "2024-01-01 00:00:00 - CarbonTracker: \nActual consumption for 1 epoch(s):\n"
           "\tTime:\t0:00:01\n\tEnergy:\t" +
           std::to_string(kwh) + " kWh\n\tCO2eq:\t1.0 g\n";
  };
  std::string std_text =
      "2024-01-01 00:00:00 - The following components were found: CPU with device(s) c.\n";
  write_file(dir.file("a_1.1_2024-01-01T000000Z_carbontracker_output.log"), out(1.0));
  write_file(dir.file("b_2.2_2024-01-01T000000Z_carbontracker.log"), std_text);
  write_file(dir.file("b_2.2_2024-01-01T000000Z_carbontracker_output.log"), out(2.0));
  std::vector<std::string> warnings;
  std::vector<LogResult> runs = parse_all_logs(dir.path(), &warnings);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].standard_filename, "");
  EXPECT_EQ(runs[0].actual->energy_kwh, 1.0);
  EXPECT_EQ(runs[1].standard_filename, dir.file("b_2.2_2024-01-01T000000Z_carbontracker.log"));
  EXPECT_EQ(runs[1].actual->energy_kwh, 2.0);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("a_1.1_2024-01-01T000000Z_carbontracker_output.log"),
            std::string::npos);
  EXPECT_EQ(aggregate(runs).energy_kwh, 3.0);
}

TEST(ParserFixes, RunMetadataLine) {
  StdLogText s = parse_std_log_text(
      "2024-01-01 00:00:00 - carbontracker version 0.1.0\n"
      "2024-01-01 00:00:00 - Run metadata: {\"hostname\":\"node01\",\"SLURM_JOB_ID\":\"123\","
      "\"SLURM_PROCID\":\"0\",\"RANK\":\"3\"}\n");
  EXPECT_EQ(s.info.version, "0.1.0");
  EXPECT_EQ(s.info.hostname, "node01");
  EXPECT_TRUE(s.info.has_metadata);
  EXPECT_EQ(s.info.cluster, (std::map<std::string, std::string>{
                                {"SLURM_JOB_ID", "123"}, {"SLURM_PROCID", "0"}, {"RANK", "3"}}));
  s = parse_std_log_text("2024-01-01 00:00:00 - Run metadata: {broken\n");
  EXPECT_FALSE(s.info.has_metadata);
  EXPECT_EQ(s.problems.size(), 1u);
}

TEST(ParserFixes, ParseLogsPicksNamedOrNewest) {
  Components c = parse_logs(fixture_dir("v212_api_two_gpus"),
                            "18593.622032_2026-11-26T214229Z_carbontracker.log",
                            "18593.622032_2026-11-26T214229Z_carbontracker_output.log");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1].second.devices, (std::vector<std::string>{"cpu:0", "dram:0"}));
  c = parse_logs(fixture_dir("v212_cli"));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].second.avg_energy_usages_j, Rows{{100.0}});
}

// 1.x: numpy-array power lines, pid-only and pre-2.0 file names.
TEST(ParserFixes, Version1StyleLogs) {
  ScratchDir dir;
  write_file(dir.file("10151_2024-03-26T105926Z_carbontracker.log"),
             "2024-03-26 10:59:26 - carbontracker version 1.2.5\n"
             "2024-03-26 10:59:26 - Only predicted and actual consumptions are multiplied by a PUE "
             "coefficient of 1.55 (Rhonda Ascierto, 2022, Uptime Institute Global Data Center "
             "Survey).\n"
             "2024-03-26 10:59:26 - The following components were found: GPU with device(s) "
             "Tesla V100-SXM2-16GB. CPU with device(s) cpu:0, cpu:1.\n"
             "2024-03-26 11:01:48 - Epoch 1:\n"
             "2024-03-26 11:01:48 - Duration: 0:02:21.90\n"
             "2024-03-26 11:01:48 - Average power usage (W) for gpu: [136.86084615]\n"
             "2024-03-26 11:01:48 - Average power usage (W) for cpu: [ 41.5  39.25]\n");
  write_file(dir.file("10151_2024-03-26T105926Z_carbontracker_output.log"),
             "2024-03-26 11:01:48 - CarbonTracker: \nActual consumption for 1 epoch(s):\n"
             "\tTime:\t0:02:22\n\tEnergy:\t0.009417 kWh\n\tCO2eq:\t0.960490 g\n"
             "\tThis is equivalent to:\n\t0.007977 km travelled by car\n");
  write_file(dir.file("2020-05-17T19:02Z_carbontracker_output.log"),
             "2020-05-17 19:02:00 - CarbonTracker: \nPredicted consumption for 5 epoch(s):\n"
             "\tTime:\t0:10:00\n\tEnergy:\t0.5 kWh\n\tCO2eq:\t100.0 g\n");
  write_file(dir.file("2020-05-17T19:02Z_carbontracker.log"), "2020-05-17 19:02:00 - Epoch 1:\n");
  std::vector<std::string> warnings;
  std::vector<LogResult> runs = parse_all_logs(dir.path(), &warnings);
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(runs.size(), 2u);
  const LogResult& v1 = runs[0];
  EXPECT_EQ(v1.info.version, "1.2.5");
  EXPECT_EQ(component(v1, "gpu").avg_power_usages_w, Rows{{136.86084615}});
  EXPECT_EQ(component(v1, "gpu").avg_energy_usages_j, Rows{{136.86084615 * 141.9}});
  EXPECT_EQ(component(v1, "cpu").avg_power_usages_w, (Rows{{41.5, 39.25}}));
  EXPECT_EQ(component(v1, "cpu").devices, (std::vector<std::string>{"cpu:0", "cpu:1"}));
  expect_block(v1.actual, 1, 142.0, 0.009417, 0.96049,
               Equivalents{{"km travelled by car", 0.007977}});
  EXPECT_FALSE(runs[1].actual.has_value());
  expect_block(runs[1].pred, 5, 600.0, 0.5, 100.0, std::nullopt);
  Aggregate a = aggregate(runs);
  EXPECT_EQ(a.energy_kwh, 0.009417 + 0.5);
}

// ---- Tolerant input. ----

TEST(ParserTolerant, BadFilesAreSkippedWithOneWarningEach) {
  ScratchDir dir;
  // One good run, from the genuine logs.
  for (const char* suffix : {"_carbontracker.log", "_carbontracker_output.log"}) {
    std::string name = std::string("13016.744321_2026-11-26T213553Z") + suffix;
    write_file(dir.file(name), read_text(fixture_dir("cli_sim_cpu_gpu") + "/" + name));
  }
  // Empty standard log with a good output log: counts, one warning.
  write_file(dir.file("e.1_2024-01-01T000000Z_carbontracker.log"), "");
  write_file(dir.file("e.1_2024-01-01T000000Z_carbontracker_output.log"),
             "2024-01-01 00:00:00 - CarbonTracker: \nActual consumption:\n\tTime:\t0:00:01\n"
             "\tEnergy:\t1.0 kWh\n\tCO2eq:\t2.0 g\n");
  // Binary output log: skipped, and so is its standard log (one warning each).
  write_file(dir.file("b.1_2024-01-01T000000Z_carbontracker.log"),
             "2024-01-01 00:00:00 - Epoch 1:\n");
  write_file(dir.file("b.1_2024-01-01T000000Z_carbontracker_output.log"),
             std::string("\x7f"
                         "ELF\0\0\x01\x02garbage",
                         14));
  // Output log truncated in the middle of its block: no figures, one warning.
  write_file(dir.file("t.1_2024-01-01T000000Z_carbontracker_output.log"),
             "2024-01-01 00:00:00 - CarbonTracker: \nActual consumption for 2 epoch(s):\n"
             "\tTime:\t0:00:01\n\tEner");
  // A standard log without its partner.
  write_file(dir.file("s.1_2024-01-01T000000Z_carbontracker.log"),
             "2024-01-01 00:00:00 - Epoch 1:\n");
  // Text that is not a carbontracker log at all.
  write_file(dir.file("x.1_2024-01-01T000000Z_carbontracker_output.log"), "hello\nworld\n");
  // Hand-edited: spaces instead of tabs, upper case, a comment line.
  write_file(dir.file("h.1_2024-01-01T000000Z_carbontracker_output.log"),
             "2024-01-01 00:00:00 - CarbonTracker: \nACTUAL CONSUMPTION FOR 1 EPOCH(S):\n"
             "  time:  0:00:05\n# edited by hand\n  energy:   0.5 kWh\n  co2eq: 7.0 g\n");
  // Thousands of unrelated files are not even opened.
  for (int i = 0; i < 2000; ++i)
    write_file(dir.file("unrelated_" + std::to_string(i) + ".txt"), "x");
  write_file(dir.file("sub/9.9_2024-01-01T000000Z_carbontracker_output.log"), "not read");

  std::vector<std::string> warnings;
  std::vector<LogResult> runs = parse_all_logs(dir.path(), &warnings);
  Aggregate a = aggregate(runs);
  EXPECT_EQ(a.runs, 3);
  EXPECT_DOUBLE_EQ(a.energy_kwh, 0.000362738616 + 1.0 + 0.5);
  EXPECT_DOUBLE_EQ(a.co2eq_g, 0.174477274202 + 2.0 + 7.0);

  auto warned = [&](const std::string& name) {
    int n = 0;
    for (auto& w : warnings) n += w.find(name) != std::string::npos;
    return n;
  };
  EXPECT_EQ(warned("e.1_2024-01-01T000000Z_carbontracker.log"), 1);
  EXPECT_EQ(warned("b.1_2024-01-01T000000Z_carbontracker_output.log"), 1);
  EXPECT_EQ(warned("b.1_2024-01-01T000000Z_carbontracker.log"), 1);
  EXPECT_EQ(warned("t.1_2024-01-01T000000Z_carbontracker_output.log"), 1);
  EXPECT_EQ(warned("s.1_2024-01-01T000000Z_carbontracker.log"), 1);
  EXPECT_EQ(warned("x.1_2024-01-01T000000Z_carbontracker_output.log"), 1);
  EXPECT_EQ(warned("unrelated"), 0);
  EXPECT_EQ(warned("sub/"), 0);

  // Recursive: the subdirectory's unreadable file is one more warning.
  warnings.clear();
  runs = parse_all_logs(dir.path(), &warnings, {.recursive = true});
  EXPECT_EQ(aggregate(runs).runs, 3);
  EXPECT_EQ(warned("sub/9.9"), 1);
}

TEST(ParserTolerant, MissingDirectoryIsAnIoError) {
  try {
    parse_all_logs("/nonexistent/ct-logs");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ct-logs"), std::string::npos);
  }
}

TEST(ParserTolerant, PrintAggregateWritesSentenceAndWarnings) {
  ScratchDir dir;
  write_file(dir.file("z_carbontracker_output.log"), "");
  std::ostringstream out, err;
  print_aggregate(dir.path(), &out, &err);
  EXPECT_EQ(out.str(),
            "The training of models in this work is estimated to use 0.0000000000000000 kWh of "
            "electricity contributing to 0.0000000000000000 kg of CO2eq. Measured by "
            "carbontracker (https://github.com/lfwa/carbontracker).\n");
  EXPECT_EQ(err.str(), "carbontracker: warning: " + dir.file("z_carbontracker_output.log") +
                           ": empty file; skipped\n");
}

TEST(ParserText, RunFromTextsMatchesRunFromFiles) {
  const std::string dir = fixture_dir("v212_api_two_gpus");
  std::vector<LogResult> from_files = parse_all_logs(dir);
  ASSERT_EQ(from_files.size(), 1u);
  RunTexts texts;
  texts.std_log = {from_files[0].standard_filename, read_text(from_files[0].standard_filename), ""};
  texts.output_log = {from_files[0].output_filename, read_text(from_files[0].output_filename), ""};
  std::vector<std::string> warnings;
  std::optional<LogResult> from_texts = read_run_texts(texts, {}, &warnings);
  ASSERT_TRUE(from_texts.has_value());
  EXPECT_EQ(to_json(*from_texts), to_json(from_files[0]));
  EXPECT_TRUE(warnings.empty());
}

TEST(ParserText, RunFromTextsWarnsAboutUnreadableAndEmptyTexts) {
  RunTexts texts;
  texts.std_log = {"/x/a_carbontracker.log", std::nullopt, "cannot open: Permission denied"};
  texts.output_log = {"/x/a_carbontracker_output.log", std::string(), ""};
  std::vector<std::string> warnings;
  EXPECT_FALSE(read_run_texts(texts, {}, &warnings).has_value());
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          "/x/a_carbontracker.log: cannot open: Permission denied; skipped",
                          "/x/a_carbontracker_output.log: empty file; skipped"}));
}

TEST(ParserText, StdLogKeepsDurationsWithoutComponents) {
  StdLogText s = parse_std_log_text(
      "2022-11-14 15:44:48 - Epoch 1:\nDuration: 0:02:21.90\n"
      "2022-11-14 15:44:48 - Epoch 2:\nDuration: 0:01:30");
  EXPECT_EQ(s.epoch_durations_s, (std::vector<double>{141.9, 90.0}));
  EXPECT_TRUE(s.components.empty());
}

}  // namespace
}  // namespace carbontracker::parser
