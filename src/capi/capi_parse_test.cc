// The C interface's log parsing, reports and wrapper, tested through
// libcarbontracker.so itself.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "capi_test_util.h"
#include "carbontracker/carbontracker.h"
#include "fakes/fake_powercap_tree.h"

namespace {

using carbontracker::capi_test::last_message;
using carbontracker::capi_test::parse;
using carbontracker::capi_test::take;
using carbontracker::testing::TempDir;
using nlohmann::json;
using ::testing::HasSubstr;

std::string fixture(const std::string& name) {
  return std::string(CT_SOURCE_DIR) + "/tests/fixtures/original-logs/" + name;
}

TEST(CApi, ParseFunctionsGiveValueAndWarnings) {
  char* out = nullptr;
  ASSERT_EQ(ct_parse_all_logs(fixture("embedded_3ep_stop_generic_cpu").c_str(), 0, &out), CT_OK);
  json all = parse(out);
  ct_free(out);
  ASSERT_EQ(all["value"].size(), 1u);
  EXPECT_EQ(all["value"][0]["actual"]["epochs"], 2);
  EXPECT_DOUBLE_EQ(all["value"][0]["actual"]["co2eq (g)"].get<double>(), 0.057005925908);
  EXPECT_EQ(all["warnings"], json::array());

  ASSERT_EQ(ct_aggregate_consumption(fixture("").c_str(), 1, &out), CT_OK);
  json agg = parse(out);
  ct_free(out);
  EXPECT_GT(agg["value"]["runs"].get<int>(), 5);
  EXPECT_THAT(agg["value"]["sentence"].get<std::string>(),
              HasSubstr("The training of models in this work is estimated to use"));

  ASSERT_EQ(ct_parse_logs(fixture("embedded_3ep_stop_generic_cpu").c_str(), nullptr, nullptr, &out),
            CT_OK);
  json logs = parse(out);
  ct_free(out);
  EXPECT_EQ(logs["value"]["cpu"]["devices"], json::array({"AMD EPYC"}));
  EXPECT_EQ(logs["value"]["cpu"]["epoch_durations (s)"], json::array({1.5, 1.5, 1.5}));

  ASSERT_EQ(ct_parse_logs("/nonexistent-dir", "", "", &out), CT_OK);
  json none = parse(out);
  ct_free(out);
  EXPECT_EQ(none["value"], json::object());
  EXPECT_EQ(none["warnings"].size(), 1u);

  EXPECT_EQ(ct_parse_all_logs("/nonexistent-dir", 0, &out), CT_ERROR_IO);
  EXPECT_THAT(last_message(), HasSubstr("/nonexistent-dir"));
  EXPECT_EQ(out, nullptr);
}

TEST(CApi, ReadLogTextsAndRuns) {
  const std::string std_log =
      "2026-01-01 00:00:00 - The following components were found: CPU with device(s) Bad\xff"
      "Name.\n"
      "2026-01-01 00:00:01 - Epoch 1:\n"
      "2026-01-01 00:00:01 - Duration: 0:00:02.00\n"
      "2026-01-01 00:00:01 - Average power usage (W) for cpu: 10.0\n";
  char* out = nullptr;
  ASSERT_EQ(ct_read_std_log(std_log.data(), std_log.size(), &out), CT_OK);
  // Invalid UTF-8 comes out replaced, never as an error.
  json s = parse(out);
  ct_free(out);
  EXPECT_EQ(s["components"]["cpu"]["devices"], json::array({"Bad\xEF\xBF\xBDName"}));
  EXPECT_EQ(s["epoch_durations (s)"], json::array({2.0}));
  EXPECT_EQ(s["epoch_lines"], 1);

  const std::string output_log =
      "Actual consumption for 2 epoch(s):\n\tTime:\t0:00:05\n\tEnergy:\t0.5 kWh\n\tCO2eq:\tnan g\n";
  ASSERT_EQ(ct_read_output_log(output_log.data(), output_log.size(), &out), CT_OK);
  std::string text = take(out);
  // A CO2 figure that is not a number is written as Python's json does.
  EXPECT_THAT(text, HasSubstr("\"co2eq (g)\":NaN"));
  EXPECT_EQ(ct_read_output_log(nullptr, 0, &out), CT_OK);
  EXPECT_EQ(parse(take(out).c_str())["actual"], nullptr);

  json files = {{"std", {"/x/1_carbontracker.log", std_log.substr(0, 0), ""}},
                {"output", {"/x/1_carbontracker_output.log", nullptr, "cannot open: gone"}}};
  files["std"][1] = "2026-01-01 00:00:00 - Epoch 1:\n";
  ASSERT_EQ(ct_read_run(files.dump().c_str(), &out), CT_OK);
  json run = parse(out);
  ct_free(out);
  EXPECT_THAT(run["warnings"].dump(), HasSubstr("cannot open: gone"));
  EXPECT_EQ(ct_read_run(R"({"log": ["a", null, ""]})", &out), CT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(last_message(), "ct_read_run: unknown file kind \"log\" (std, output or jsonl)");
  EXPECT_EQ(ct_read_run(R"({"std": ["a", 1, ""]})", &out), CT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(last_message(), "ct_read_run: \"std\" must be [path, text or null, problem]");
}

TEST(CApi, DurationsAndSentences) {
  double seconds = 0;
  int valid = -1;
  ASSERT_EQ(ct_parse_duration("1:02:03.50", &seconds, &valid), CT_OK);
  EXPECT_EQ(valid, 1);
  EXPECT_DOUBLE_EQ(seconds, 3723.5);
  ASSERT_EQ(ct_parse_duration("soon", &seconds, &valid), CT_OK);
  EXPECT_EQ(valid, 0);

  char* out = nullptr;
  ASSERT_EQ(ct_aggregate_sentence(1.5, 700.0, R"([["km travelled by car", 6.5]])", &out), CT_OK);
  std::string pairs = take(out);
  EXPECT_THAT(pairs, HasSubstr("1.5"));
  EXPECT_THAT(pairs, HasSubstr("km travelled by car"));
  ASSERT_EQ(ct_aggregate_sentence(1.5, 700.0, R"({"km travelled by car": 6.5})", &out), CT_OK);
  EXPECT_EQ(take(out), pairs);
  ASSERT_EQ(ct_aggregate_sentence(1.5, 700.0, nullptr, &out), CT_OK);
  EXPECT_THAT(take(out), ::testing::Not(HasSubstr("km travelled")));
  EXPECT_EQ(ct_aggregate_sentence(1, 1, R"([["a"]])", &out), CT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(last_message(),
            "ct_aggregate_sentence: equivalents_json: expected [[unit, number], ...] or {unit: "
            "number, ...}");
  EXPECT_EQ(ct_aggregate_sentence(1, 1, "{", &out), CT_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(last_message(),
              HasSubstr("ct_aggregate_sentence: equivalents_json is not valid JSON"));
}

TEST(CApi, ReportsAndTheirErrors) {
  TempDir dir;
  char* warnings = nullptr;
  ASSERT_EQ(
      ct_generate_report(fixture("cli_sim_cpu_gpu").c_str(), (dir / "r.html").c_str(), &warnings),
      CT_OK)
      << last_message();
  EXPECT_EQ(parse(warnings), json::array());
  ct_free(warnings);
  EXPECT_GT(std::filesystem::file_size(dir / "r.html"), 1000u);
  // An invalid byte in the message comes out replaced.
  EXPECT_EQ(ct_generate_report(fixture("cli_sim_cpu_gpu").c_str(), "r\xff.txt", nullptr),
            CT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(last_message(),
            "cannot tell the report format from r\xEF\xBF\xBD.txt: give a file name ending in "
            ".pdf, .html, .svg or .png");
}

TEST(CApi, RunCliReturnsTheExitStatus) {
  const char* version[] = {"carbontracker", "--version"};
  int status = -1;
  ::testing::internal::CaptureStdout();
  int rc = ct_run_cli(2, version, &status);
  std::string out = ::testing::internal::GetCapturedStdout();
  ASSERT_EQ(rc, CT_OK) << last_message();
  EXPECT_EQ(status, 0);
  EXPECT_EQ(out, std::string("carbontracker ") + ct_version() + "\n");

  const char* bad[] = {"carbontracker", "--no-such-option"};
  ::testing::internal::CaptureStderr();
  rc = ct_run_cli(2, bad, &status);
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(rc, CT_OK);
  EXPECT_EQ(status, 2);
  EXPECT_THAT(err, HasSubstr("unknown option --no-such-option"));
}
}  // namespace
