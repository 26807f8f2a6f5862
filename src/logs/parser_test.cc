#include "carbontracker/parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "carbontracker/error.h"
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
const Equivalents kNoEquivalents;

LogResult only_run(const std::string& dir, std::vector<std::string>* warnings = nullptr) {
  std::vector<LogResult> runs = parse_all_logs(fixture_dir(dir), warnings);
  EXPECT_EQ(runs.size(), 1u) << dir;
  return runs.empty() ? LogResult{} : runs[0];
}

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

std::string sentence_of(const std::string& dir) {
  return aggregate_sentence(aggregate_consumption(fixture_dir(dir)));
}

// ---- The genuine logs: every figure they hold comes out exactly. ----

TEST(ParserGolden, CliSimCpuGpu) {
  std::vector<std::string> warnings;
  LogResult r = only_run("cli_sim_cpu_gpu", &warnings);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  EXPECT_EQ(r.standard_filename,
            fixture_dir("cli_sim_cpu_gpu") + "/13016.744321_2026-11-26T213553Z_carbontracker.log");
  EXPECT_EQ(r.output_filename, fixture_dir("cli_sim_cpu_gpu") +
                                   "/13016.744321_2026-11-26T213553Z_carbontracker_output.log");
  ASSERT_EQ(r.components.size(), 2u);
  EXPECT_EQ(r.components[0].first, "gpu");
  EXPECT_EQ(r.components[1].first, "cpu");
  const ComponentLog& gpu = component(r, "gpu");
  EXPECT_EQ(gpu.devices, std::vector<std::string>{"NVIDIA A100-SXM4-40GB"});
  EXPECT_EQ(gpu.avg_power_usages_w, Rows{{200.0}});
  EXPECT_EQ(gpu.epoch_durations_s, std::vector<double>{3.01});
  EXPECT_EQ(gpu.avg_energy_usages_j, Rows{{200.0 * 3.01}});
  const ComponentLog& cpu = component(r, "cpu");
  EXPECT_EQ(cpu.devices, std::vector<std::string>{"Intel Xeon Gold 6248"});
  EXPECT_EQ(cpu.avg_power_usages_w, Rows{{75.0}});
  EXPECT_TRUE(r.early_stop);
  // "Actual consumption:" has no count: the standard log shows one epoch.
  expect_block(r.actual, 1, 3.0, 0.000362738616, 0.174477274202,
               Equivalents{{"km travelled by car", 0.001623044411}});
  EXPECT_FALSE(r.pred.has_value());
  EXPECT_EQ(r.info.version, "2.3.1");
  EXPECT_FALSE(r.info.has_metadata);
  EXPECT_EQ(sentence_of("cli_sim_cpu_gpu"),
            "The training of models in this work is estimated to use 0.0003627386160000 kWh of "
            "electricity contributing to 0.0001744772742020 kg of CO2eq. This is equivalent to "
            "0.0016230444110000 km travelled by car. Measured by carbontracker "
            "(https://github.com/lfwa/carbontracker).");
}

TEST(ParserGolden, EmbeddedThreeEpochsStop) {
  LogResult r = only_run("embedded_3ep_stop_generic_cpu");
  ASSERT_EQ(r.components.size(), 1u);
  const ComponentLog& cpu = component(r, "cpu");
  EXPECT_EQ(cpu.devices, std::vector<std::string>{"AMD EPYC"});
  EXPECT_EQ(cpu.avg_power_usages_w, (Rows{{60.0}, {60.0}, {60.0}}));
  EXPECT_EQ(cpu.avg_energy_usages_j, (Rows{{90.0}, {90.0}, {90.0}}));
  EXPECT_EQ(cpu.epoch_durations_s, (std::vector<double>{1.5, 1.5, 1.5}));
  EXPECT_TRUE(r.early_stop);
  // The epoch count is read from the text (the original always said 1).
  expect_block(r.actual, 2, 5.0, 0.000118515438, 0.057005925908,
               Equivalents{{"km travelled by car", 0.000530287683}});
  expect_block(r.pred, 3, 5.0, 0.000118512789, 0.057004651514,
               Equivalents{{"km travelled by car", 0.000530275828}});
  EXPECT_EQ(sentence_of("embedded_3ep_stop_generic_cpu"),
            "The training of models in this work is estimated to use 0.0001185154380000 kWh of "
            "electricity contributing to 0.0000570059259080 kg of CO2eq. This is equivalent to "
            "0.0005302876830000 km travelled by car. Measured by carbontracker "
            "(https://github.com/lfwa/carbontracker).");
}

TEST(ParserGolden, HeadApiSimulatedStop) {
  LogResult r = only_run("v231_api_sim_stop");
  const ComponentLog& gpu = component(r, "gpu");
  EXPECT_EQ(gpu.devices, std::vector<std::string>{"NVIDIA A100"});
  EXPECT_EQ(gpu.avg_energy_usages_j, (Rows{{750.0}, {750.0}, {750.0}}));
  const ComponentLog& cpu = component(r, "cpu");
  EXPECT_EQ(cpu.devices, std::vector<std::string>{"Intel Xeon Gold 6130"});
  EXPECT_EQ(cpu.avg_energy_usages_j, (Rows{{156.25}, {156.25}, {156.25}}));
  EXPECT_TRUE(r.early_stop);
  expect_block(r.actual, 2, 8.0, 0.001193, 0.180971,
               Equivalents{{"km travelled by car", 0.001683}});
  expect_block(r.pred, 5, 13.0, 0.001989, 0.301617, Equivalents{{"km travelled by car", 0.002806}});
  Aggregate a = aggregate_consumption(fixture_dir("v231_api_sim_stop"));
  EXPECT_EQ(a.energy_kwh, 0.001193);
  EXPECT_EQ(a.co2eq_g, 0.180971);
}

// 2.1.2, two GPUs and RAPL package + DRAM: device names without leading
// spaces, `None` as 0.0, and the aggregate from the actual block (the
// original picked the prediction, 0.000645915489).
TEST(ParserGolden, V212TwoGpusUsesActual) {
  LogResult r = only_run("v212_api_two_gpus");
  const ComponentLog& gpu = component(r, "gpu");
  EXPECT_EQ(gpu.devices,
            (std::vector<std::string>{"NVIDIA A100-SXM4-40GB", "NVIDIA A100-SXM4-40GB"}));
  EXPECT_EQ(gpu.avg_energy_usages_j, (Rows{{200.0 * 2.2}, {200.0 * 2.2}, {200.0 * 2.2}}));
  const ComponentLog& cpu = component(r, "cpu");
  EXPECT_EQ(cpu.devices, (std::vector<std::string>{"cpu:0", "dram:0"}));
  EXPECT_EQ(cpu.avg_power_usages_w, (Rows{{22.9669805}, {0.0}, {0.0}}));
  EXPECT_EQ(cpu.avg_energy_usages_j, (Rows{{22.9669805 * 2.2}, {0.0}, {0.0}}));
  EXPECT_FALSE(r.early_stop);
  expect_block(r.actual, 3, 7.0, 0.000623909946, 0.094616130416,
               Equivalents{{"km travelled by car", 0.000880150050}});
  expect_block(r.pred, 3, 7.0, 0.000645915489, 0.097953277677,
               Equivalents{{"km travelled by car", 0.000911193281}});
  EXPECT_EQ(r.info.version, "2.1.2");
  EXPECT_EQ(sentence_of("v212_api_two_gpus"),
            "The training of models in this work is estimated to use 0.0006239099460000 kWh of "
            "electricity contributing to 0.0000946161304160 kg of CO2eq. This is equivalent to "
            "0.0008801500500000 km travelled by car. Measured by carbontracker "
            "(https://github.com/lfwa/carbontracker).");
}

// interpretable=False: the original found neither block (issue #14).
TEST(ParserGolden, V212NotInterpretableParses) {
  LogResult r = only_run("v212_not_interpretable");
  EXPECT_EQ(component(r, "gpu").avg_power_usages_w, (Rows{{123.456}, {123.456}, {123.456}}));
  EXPECT_EQ(component(r, "cpu").avg_energy_usages_j, (Rows{{23.2707485 * 2.2}, {0.0}, {0.0}}));
  expect_block(r.actual, 3, 7.0, 0.000402239672, 0.060999766912, std::nullopt);
  expect_block(r.pred, 3, 7.0, 0.000425047278, 0.064458547266, std::nullopt);
  EXPECT_EQ(sentence_of("v212_not_interpretable"),
            "The training of models in this work is estimated to use 0.0004022396720000 kWh of "
            "electricity contributing to 0.0000609997669120 kg of CO2eq. Measured by "
            "carbontracker (https://github.com/lfwa/carbontracker).");
}

TEST(ParserGolden, V212Cli) {
  LogResult r = only_run("v212_cli");
  EXPECT_EQ(component(r, "gpu").avg_energy_usages_j, Rows{{100.0}});
  EXPECT_FALSE(r.early_stop);
  expect_block(r.actual, 1, 2.0, 4.3960405e-05, 0.006666608545,
               Equivalents{{"km travelled by car", 6.2014963e-05}});
  EXPECT_FALSE(r.pred.has_value());
  EXPECT_EQ(sentence_of("v212_cli"),
            "The training of models in this work is estimated to use 0.0000439604050000 kWh of "
            "electricity contributing to 0.0000066666085450 kg of CO2eq. This is equivalent to "
            "0.0000620149630000 km travelled by car. Measured by carbontracker "
            "(https://github.com/lfwa/carbontracker).");
}

TEST(ParserGolden, HeadCliFailedCommand) {
  LogResult r = only_run("v231_cli_failed_command");
  EXPECT_EQ(component(r, "cpu").avg_energy_usages_j, Rows{{75.0 * 3.01}});
  EXPECT_TRUE(r.early_stop);
  expect_block(r.actual, 1, 3.0, 9.8928054e-05, 0.015002469094,
               Equivalents{{"km travelled by car", 0.000139557852}});
  EXPECT_EQ(sentence_of("v231_cli_failed_command"),
            "The training of models in this work is estimated to use 0.0000989280540000 kWh of "
            "electricity contributing to 0.0000150024690940 kg of CO2eq. This is equivalent to "
            "0.0001395578520000 km travelled by car. Measured by carbontracker "
            "(https://github.com/lfwa/carbontracker).");
}

TEST(ParserGolden, HeadElectricityMaps) {
  LogResult r = only_run("v231_api_electricitymaps");
  EXPECT_EQ(component(r, "cpu").devices, std::vector<std::string>{"X"});
  EXPECT_EQ(component(r, "cpu").avg_energy_usages_j, (Rows{{60.0}, {60.0}}));
  expect_block(r.actual, 1, 2.0, 5.3e-05, 0.00648, Equivalents{{"km travelled by car", 6e-05}});
  expect_block(r.pred, 4, 5.0, 0.000105, 0.012963, Equivalents{{"km travelled by car", 0.000121}});
  EXPECT_EQ(sentence_of("v231_api_electricitymaps"),
            "The training of models in this work is estimated to use 0.0000530000000000 kWh of "
            "electricity contributing to 0.0000064800000000 kg of CO2eq. This is equivalent to "
            "0.0000600000000000 km travelled by car. Measured by carbontracker "
            "(https://github.com/lfwa/carbontracker).");
}

TEST(ParserGolden, HeadNotInterpretableStop) {
  LogResult r = only_run("v231_not_interpretable_stop");
  expect_block(r.actual, 0, 1.0, 0.000026, 0.012668, std::nullopt);
  expect_block(r.pred, 2, 2.0, 0.000053, 0.025336, std::nullopt);
  EXPECT_TRUE(r.early_stop);
  EXPECT_EQ(sentence_of("v231_not_interpretable_stop"),
            "The training of models in this work is estimated to use 0.0000260000000000 kWh of "
            "electricity contributing to 0.0000126680000000 kg of CO2eq. Measured by "
            "carbontracker (https://github.com/lfwa/carbontracker).");
}

TEST(ParserGolden, AllFixturesRecursively) {
  std::vector<std::string> warnings;
  std::vector<LogResult> runs = parse_all_logs(
      std::string(CT_SOURCE_DIR) + "/tests/fixtures/original-logs", &warnings, {.recursive = true});
  EXPECT_EQ(runs.size(), 9u);
  EXPECT_TRUE(warnings.empty());
  Aggregate a = aggregate(runs);
  EXPECT_EQ(a.runs, 9);
  EXPECT_NEAR(a.energy_kwh, 0.0029222921310000003, 1e-18);
  EXPECT_NEAR(a.co2eq_g, 0.6088871750770002, 1e-15);
  // Without per-epoch figures: the same totals, devices kept.
  std::vector<LogResult> lean =
      parse_all_logs(std::string(CT_SOURCE_DIR) + "/tests/fixtures/original-logs", nullptr,
                     {.recursive = true, .per_epoch = false});
  ASSERT_EQ(lean.size(), 9u);
  EXPECT_EQ(aggregate(lean).energy_kwh, a.energy_kwh);
  EXPECT_EQ(lean[0].components[0].second.avg_power_usages_w, std::nullopt);
  EXPECT_FALSE(lean[0].components[0].second.devices.empty());
  // Without --recursive, the top directory holds no logs.
  EXPECT_TRUE(parse_all_logs(std::string(CT_SOURCE_DIR) + "/tests/fixtures/original-logs").empty());
}

TEST(ParserGolden, ToJsonHasTheOriginalKeys) {
  nlohmann::json j = to_json(only_run("v212_api_two_gpus"));
  EXPECT_EQ(j["components"]["cpu"]["devices"], nlohmann::json({"cpu:0", "dram:0"}));
  EXPECT_EQ(j["components"]["cpu"]["avg_power_usages (W)"],
            nlohmann::json::parse("[[22.9669805],[0.0],[0.0]]"));
  EXPECT_EQ(j["components"]["gpu"]["epoch_durations (s)"], nlohmann::json({2.2, 2.2, 2.2}));
  EXPECT_TRUE(j["components"]["gpu"].contains("avg_energy_usages (J)"));
  EXPECT_EQ(j["early_stop"], false);
  nlohmann::json actual = {{"epochs", 3},
                           {"duration (s)", 7.0},
                           {"energy (kWh)", 0.000623909946},
                           {"co2eq (g)", 0.094616130416},
                           {"equivalents", {{"km travelled by car", 0.00088015005}}}};
  EXPECT_EQ(j["actual"], actual);
  EXPECT_EQ(j["pred"]["epochs"], 3);
  EXPECT_TRUE(j["standard_filename"].get<std::string>().ends_with("_carbontracker.log"));
  EXPECT_TRUE(j["output_filename"].get<std::string>().ends_with("_carbontracker_output.log"));
  EXPECT_EQ(to_json(only_run("v212_not_interpretable"))["actual"]["equivalents"], nullptr);
  EXPECT_EQ(to_json(only_run("v212_cli"))["pred"], nullptr);
}

// ---- The original's unit-test vectors. ----

TEST(ParserText, OriginalTestVectors) {
  EXPECT_EQ(parse_duration_text("0:02:21.90"), 141.9);
  EXPECT_EQ(parse_duration_text("0:01:30"), 90.0);
  EXPECT_EQ(parse_duration_text("12:00:00"), 43200.0);
  EXPECT_EQ(parse_duration_text("garbage"), std::nullopt);
  EXPECT_EQ(parse_power_values("[136.86084615]"), std::vector<double>{136.86084615});
  EXPECT_EQ(parse_power_values("None"), std::vector<double>{0.0});

  OutputLogText o = parse_output_log_text(
      "2020-05-17 19:02:00 - CarbonTracker: \nActual consumption for 1 "
      "epoch(s):\n\tTime:\t0:02:22\n"
      "\tEnergy:\t0.009417 kWh\n\tCO2eq:\t0.960490 g\n\tThis is equivalent to:\n"
      "\t0.007977 km travelled by car\n");
  expect_block(o.actual, 1, 142.0, 0.009417, 0.96049,
               Equivalents{{"km travelled by car", 0.007977}});
  o = parse_output_log_text(
      "Actual consumption for 1 epoch(s):\n\tTime:\t0:02:22\n\tEnergy:\t0.009417 kWh\n"
      "\tCO2eq:\t0.960490 g\n\tThis is equivalent to:\n");
  expect_block(o.actual, 1, 142.0, 0.009417, 0.96049, Equivalents{});
}

TEST(ParserText, InfiniteNumbersAreMalformed) {
  for (const char* bad : {"inf", "-inf", "Infinity", "1e999"}) {
    OutputLogText o = parse_output_log_text(
        std::string("Actual consumption for 1 epoch(s):\n\tTime:\t0:00:03\n\tEnergy:\t") + bad +
        " kWh\n\tCO2eq:\t1.0 g\n");
    EXPECT_FALSE(o.actual) << bad;
    EXPECT_EQ(o.problems, std::vector<std::string>{"actual consumption block incomplete; ignored"})
        << bad;
  }
  std::vector<std::string> problems;
  auto run = parse_jsonl_text(
      "{\"event\":\"run_start\",\"hostname\":\"h\"}\n"
      "{\"event\":\"prediction\",\"epochs\":1,\"energy_kwh\":1e999,\"co2_g\":1}\n"
      "{\"event\":\"epoch\",\"duration_s\":3}\n",
      &problems);
  ASSERT_TRUE(run);
  EXPECT_FALSE(run->pred);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0], "1 unreadable line(s) ignored");

  // "nan" is read, as the original writes it, but neither it nor an infinity
  // that reached a result otherwise is ever summed.
  OutputLogText o = parse_output_log_text(
      "Actual consumption for 1 epoch(s):\n\tTime:\t0:00:03\n\tEnergy:\t1.5 kWh\n\tCO2eq:\tnan "
      "g\n\tThis is equivalent to:\n\tinf km travelled by car\n");
  ASSERT_TRUE(o.actual);
  EXPECT_TRUE(std::isnan(o.actual->co2eq_g));
  EXPECT_EQ(o.actual->equivalents, Equivalents{});
  LogResult nan_run, inf_run;
  nan_run.actual = o.actual;
  inf_run.actual = ConsumptionLog{};
  inf_run.actual->energy_kwh = std::numeric_limits<double>::infinity();
  inf_run.actual->co2eq_g = 2;
  inf_run.actual->equivalents =
      Equivalents{{"km travelled by car", -std::numeric_limits<double>::infinity()}};
  Aggregate a = aggregate({nan_run, inf_run});
  EXPECT_EQ(a.runs, 2);
  EXPECT_EQ(a.energy_kwh, 1.5);
  EXPECT_EQ(a.co2eq_g, 2);
  EXPECT_TRUE(a.equivalents.empty());
}

TEST(ParserText, AggregateSentenceVectors) {
  EXPECT_EQ(aggregate_sentence({.energy_kwh = 100.0, .co2eq_g = 50000.0, .equivalents = {}}),
            "The training of models in this work is estimated to use 100.0000000000000000 kWh of "
            "electricity contributing to 50.0000000000000000 kg of CO2eq. Measured by "
            "carbontracker (https://github.com/lfwa/carbontracker).");
  EXPECT_EQ(aggregate_sentence(
                {.energy_kwh = 100.0, .co2eq_g = 5000.0, .equivalents = {{"km travelled", 200.0}}}),
            "The training of models in this work is estimated to use 100.0000000000000000 kWh of "
            "electricity contributing to 5.0000000000000000 kg of CO2eq. This is equivalent to "
            "200.0000000000000000 km travelled. Measured by carbontracker "
            "(https://github.com/lfwa/carbontracker).");
  EXPECT_EQ(aggregate_sentence({.equivalents = {{"a", 1.0}, {"b", 2.0}}}),
            "The training of models in this work is estimated to use 0.0000000000000000 kWh of "
            "electricity contributing to 0.0000000000000000 kg of CO2eq. This is equivalent to "
            "1.0000000000000000 a or 2.0000000000000000 b. Measured by carbontracker "
            "(https://github.com/lfwa/carbontracker).");
}

// ---- The original's bugs, fixed (behaviour document §11.P). ----

TEST(ParserFixes, PaddedMultiValueAndScientificPower) {
  EXPECT_EQ(parse_power_values("[ 5.5 12.3]"), (std::vector<double>{5.5, 12.3}));
  EXPECT_EQ(parse_power_values("[1.0 2.0]"), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(parse_power_values("1e-05"), std::vector<double>{1e-05});
  EXPECT_EQ(parse_power_values("[1.5e+02\t3.0]"), (std::vector<double>{150.0, 3.0}));
  EXPECT_EQ(parse_power_values("300.0"), std::vector<double>{300.0});
  EXPECT_TRUE(parse_power_values("abc").empty());
  EXPECT_TRUE(parse_power_values("").empty());

  StdLogText s = parse_std_log_text(
      "2024-01-01 00:00:00 - The following components were found: GPU with device(s) a, b.\n"
      "2024-01-01 00:00:01 - Epoch 1:\n"
      "2024-01-01 00:00:01 - Duration: 0:00:02.00\n"
      "2024-01-01 00:00:01 - Average power usage (W) for gpu: [ 5.5 12.3]\n"
      "2024-01-01 00:00:02 - Epoch 2:\n"
      "2024-01-01 00:00:02 - Duration: 0:00:01.00\n"
      "2024-01-01 00:00:02 - Average power usage (W) for gpu: 1e-05\n");
  ASSERT_EQ(s.components.size(), 1u);
  EXPECT_EQ(s.components[0].second.avg_power_usages_w, (Rows{{5.5, 12.3}, {1e-05}}));
  EXPECT_EQ(s.components[0].second.avg_energy_usages_j, (Rows{{11.0, 24.6}, {1e-05}}));
  EXPECT_EQ(s.epoch_lines, 2);
}

TEST(ParserFixes, DeviceNamesKeepDotsAndHaveNoPadding) {
  Components c = parse_components_line(
      " GPU with device(s) NVIDIA GeForce RTX 3090, Tesla V100-SXM2-16GB. CPU with device(s) "
      "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz, dram:0.");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].first, "gpu");
  EXPECT_EQ(c[0].second.devices,
            (std::vector<std::string>{"NVIDIA GeForce RTX 3090", "Tesla V100-SXM2-16GB"}));
  EXPECT_EQ(c[1].first, "cpu");
  EXPECT_EQ(c[1].second.devices,
            (std::vector<std::string>{"Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz", "dram:0"}));
  EXPECT_TRUE(parse_components_line("nothing here").empty());
}

TEST(ParserFixes, ActualEpochCountFromText) {
  OutputLogText o = parse_output_log_text(
      "2024-01-01 00:00:00 - CarbonTracker: \nActual consumption for 42 "
      "epoch(s):\n\tTime:\t1:00:00\n"
      "\tEnergy:\t1.5 kWh\n\tCO2eq:\t300.0 g\n");
  ASSERT_TRUE(o.actual);
  EXPECT_EQ(o.actual->epochs, 42);
  EXPECT_TRUE(o.actual_count_in_text);
  EXPECT_EQ(o.actual->equivalents, std::nullopt);
}

TEST(ParserFixes, ActualPreferredOverPrediction) {
  ScratchDir dir;
  write_file(dir.file("1.1_2024-01-01T000000Z_carbontracker.log"),
             "2024-01-01 00:00:00 - Epoch 1:\n2024-01-01 00:00:00 - Duration: 0:00:01.00\n");
  write_file(dir.file("1.1_2024-01-01T000000Z_carbontracker_output.log"),
             "2024-01-01 00:00:00 - CarbonTracker: \nPredicted consumption for 10 epoch(s):\n"
             "\tTime:\t0:00:10\n\tEnergy:\t10.0 kWh\n\tCO2eq:\t1000.0 g\n"
             "2024-01-01 00:00:01 - CarbonTracker: \nActual consumption for 3 epoch(s):\n"
             "\tTime:\t0:00:03\n\tEnergy:\t3.0 kWh\n\tCO2eq:\t300.0 g\n");
  Aggregate a = aggregate_consumption(dir.path());
  EXPECT_EQ(a.energy_kwh, 3.0);
  EXPECT_EQ(a.co2eq_g, 300.0);
  EXPECT_TRUE(a.equivalents.empty());
}

}  // namespace
}  // namespace carbontracker::parser
