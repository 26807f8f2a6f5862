// The intervals read from schema 3 logs and summed over runs and nodes;
// the sum is checked against a Monte Carlo propagation of the same inputs
// (JCGM 101) with a fixed seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <utility>

#include "carbontracker/parser.h"
#include "logs/log_text.h"
#include "logs/log_uncertainty.h"
#include "logs/parse_cli.h"
#include "model/uncertainty_json.h"

namespace carbontracker::parser {
namespace {

std::string schema3_dir(const std::string& name) {
  return std::string(CT_SOURCE_DIR) + "/tests/fixtures/schema3-logs/" + name;
}

std::string original_dir(const std::string& name) {
  return std::string(CT_SOURCE_DIR) + "/tests/fixtures/original-logs/" + name;
}

const UncertaintyTerm* term(const FigureUncertainty& f, const std::string& source) {
  for (const UncertaintyTerm& t : f.terms)
    if (t.source == source) return &t;
  return nullptr;
}

TEST(ParseUncertainty, ReadsTheBlockOfEachRun) {
  std::vector<std::string> warnings;
  std::vector<LogResult> runs = parse_all_logs(schema3_dir("shared_table"), &warnings);
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(runs.size(), 2u);
  ASSERT_TRUE(runs[0].actual && runs[0].actual->uncertainty);
  const Uncertainty& u = *runs[0].actual->uncertainty;
  EXPECT_EQ(u.energy_kwh.k, 2);
  ASSERT_EQ(u.co2_g.terms.size(), 4u);
  EXPECT_EQ(u.co2_g.terms[3].key, "intensity:table:DK:2023");
  EXPECT_DOUBLE_EQ(u.co2_g.terms[3].u, 100);
  // Recomputed from the terms: sqrt(4^2 + 6^2 + 40^2 + 100^2).
  EXPECT_NEAR(u.co2_g.standard(), std::sqrt(16.0 + 36 + 1600 + 10000), 1e-9);
  // Per-epoch intervals where the file has them.
  ASSERT_EQ(runs[0].epoch_uncertainties.size(), 2u);
  ASSERT_TRUE(runs[0].epoch_uncertainties[1]);
  EXPECT_DOUBLE_EQ(runs[0].epoch_uncertainties[1]->energy_kwh.terms[2].u, 0.1);
  EXPECT_TRUE(runs[1].epoch_uncertainties.empty());
  nlohmann::json j = to_json(runs[0]);
  EXPECT_DOUBLE_EQ(j["actual"]["uncertainty"]["co2_g"]["u"].get<double>(), u.co2_g.standard());
  EXPECT_DOUBLE_EQ(j["actual"]["uncertainty"]["co2_g"]["expanded"].get<double>(),
                   2 * u.co2_g.standard());
  EXPECT_EQ(j["epoch_uncertainty"].size(), 2u);
}

TEST(ParseUncertainty, SharedTermsAddLinearlyOverRuns) {
  Aggregate a = aggregate_consumption(schema3_dir("shared_table"));
  EXPECT_EQ(a.runs_with_uncertainty, 2);
  ASSERT_TRUE(a.uncertainty);
  const FigureUncertainty& co2 = a.uncertainty->co2_g;
  EXPECT_DOUBLE_EQ(term(co2, "intensity: yearly average (DK)")->u, 250);  // 100 + 150
  EXPECT_DOUBLE_EQ(term(co2, "PUE: default 1.58")->u, 100);               // 40 + 60
  EXPECT_DOUBLE_EQ(term(co2, "RAPL package energy counter")->u, std::hypot(4, 6));
  EXPECT_EQ(co2.terms.size(), 4u);  // one term per key and per independent source
  EXPECT_EQ(co2.dominant()->source, "intensity: yearly average (DK)");
  EXPECT_EQ(a.uncertainty->energy_kwh.dominant()->source, "PUE: default 1.58");
}

// The sum of both runs' CO2eq drawn from the inputs' distributions: one
// PUE factor and one table intensity shared by both runs, each run's two
// sensors independent. Returns the ends of the central 95.45 % interval
// (the probability of k = 2).
std::pair<double, double> monte_carlo_co2_interval() {
  std::mt19937_64 rng(19);
  std::normal_distribution<double> unit(0.0, 1.0);
  const double energy[2] = {2.0, 3.0};  // kWh with PUE
  const double rapl[2] = {0.02, 0.03}, nvml[2] = {0.03, 0.045};
  const double pue_rel = 0.1, intensity = 200, intensity_rel = 0.25;
  constexpr int kTrials = 200000;
  std::vector<double> totals(kTrials);
  for (double& total : totals) {
    double pue_factor = 1 + pue_rel * unit(rng);
    double g_per_kwh = intensity * (1 + intensity_rel * unit(rng));
    total = 0;
    for (int r = 0; r < 2; ++r) {
      double kwh = energy[r] * pue_factor + rapl[r] * unit(rng) + nvml[r] * unit(rng);
      total += kwh * g_per_kwh;
    }
  }
  std::sort(totals.begin(), totals.end());
  return {totals[static_cast<size_t>(0.02275 * kTrials)],
          totals[static_cast<size_t>(0.97725 * kTrials)]};
}

// Both ends of the interval of `f` within 5 % of the Monte Carlo width.
void expect_monte_carlo_ends(const FigureUncertainty& f) {
  auto [lo, hi] = monte_carlo_co2_interval();
  ExpandedInterval i = f.interval();
  EXPECT_NEAR(f.value - i.minus, lo, 0.05 * (hi - lo));
  EXPECT_NEAR(f.value + i.plus, hi, 0.05 * (hi - lo));
  EXPECT_GT(i.plus, i.minus);  // a product of uncertain factors reaches further up
  std::printf(
      "two runs, one table intensity: ends off by %.2f %% and %.2f %% of the width "
      "(first-order -+U: %.2f %% and %.2f %%)\n",
      100 * std::fabs(f.value - i.minus - lo) / (hi - lo),
      100 * std::fabs(f.value + i.plus - hi) / (hi - lo),
      100 * std::fabs(f.value - f.expanded() - lo) / (hi - lo),
      100 * std::fabs(f.value + f.expanded() - hi) / (hi - lo));
}

TEST(ParseUncertainty, AggregateMatchesMonteCarloWithSharedIntensity) {
  Aggregate a = aggregate_consumption(schema3_dir("shared_table"));
  ASSERT_TRUE(a.uncertainty);
  EXPECT_DOUBLE_EQ(a.uncertainty->co2_g.value, 1000);
  expect_monte_carlo_ends(a.uncertainty->co2_g);
  auto [lo, hi] = monte_carlo_co2_interval();
  double mc = (hi - lo) / 2;
  // Treating the shared terms as independent would be far off.
  FigureUncertainty independent;
  for (const LogResult& r : parse_all_logs(schema3_dir("shared_table")))
    for (UncertaintyTerm t : r.actual->uncertainty->co2_g.terms) {
      t.key.clear();
      independent.terms.push_back(t);
    }
  EXPECT_LT(independent.expanded(), 0.8 * mc);
}

TEST(ParseUncertainty, ByJobSumsNodesWithSharedTerms) {
  std::vector<LogResult> runs = parse_all_logs(schema3_dir("shared_table"));
  std::vector<GroupTotal> groups = group_runs(runs, GroupBy::kJob);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].key, "42");
  ASSERT_EQ(groups[0].parts.size(), 2u);
  ASSERT_TRUE(groups[0].total.uncertainty);
  expect_monte_carlo_ends(groups[0].total.uncertainty->co2_g);
  ASSERT_TRUE(groups[0].parts[1].second.uncertainty);
  EXPECT_NEAR(groups[0].parts[1].second.uncertainty->co2_g.standard(),
              std::sqrt(36.0 + 81 + 3600 + 22500), 1e-9);
}

TEST(ParseUncertainty, SentenceFollowsTheOriginalOne) {
  Aggregate a = aggregate_consumption(schema3_dir("shared_table"));
  std::string s = uncertainty_sentence(a);
  // 2 * sqrt(0.5^2 + 0.036^2 + 0.054^2) = 1.0 kWh of 5; CO2eq 2 * 269.6 g
  // of 1000 to first order, skewed by the product of intensity and PUE.
  EXPECT_EQ(s,
            "With expanded uncertainties (k = 2, about 95 %), the energy is 5.0 +/- 1.0 kWh "
            "(+/-20 %) and the CO2eq 1.00 +0.57/-0.52 kg (+57/-52 %); the largest contributions "
            "are "
            "PUE: default 1.58 for the energy and intensity: yearly average (DK) for the CO2eq.");
  std::ostringstream out, err;
  print_aggregate(schema3_dir("shared_table"), &out, &err);
  EXPECT_EQ(out.str(), aggregate_sentence(a) + " " + s + "\n");
  EXPECT_EQ(err.str(), "");
}

TEST(ParseUncertainty, OlderLogsParseAsBeforeAndSayTheyHaveNoInterval) {
  for (const char* dir : {"v212_api_two_gpus", "v231_api_sim_stop", "cli_sim_cpu_gpu"}) {
    Aggregate a = aggregate_consumption(original_dir(dir));
    EXPECT_FALSE(a.uncertainty) << dir;
    EXPECT_EQ(uncertainty_sentence(a), "") << dir;
    EXPECT_EQ(missing_uncertainty_note(a),
              "1 of 1 run carries no uncertainty interval (their logs predate them: JSONL schema 1 "
              "or 2, or text logs)");
    std::ostringstream out, err;
    print_aggregate(original_dir(dir), &out, &err);
    EXPECT_EQ(out.str(), aggregate_sentence(a) + "\n");
    nlohmann::json j = to_json(parse_all_logs(original_dir(dir)));
    EXPECT_FALSE(j[0]["actual"].is_object() && j[0]["actual"].contains("uncertainty"));
    EXPECT_TRUE(to_json(a)["uncertainty"].is_null());
  }
}

TEST(ParseUncertainty, SchemaThreeLogsWithoutFactorsReadSymmetric) {
  // mixed/nodeA is shared_table/nodeA as written before "value" and
  // "factor": the same terms, a symmetric interval.
  std::vector<LogResult> old = parse_all_logs(schema3_dir("mixed"));
  std::vector<LogResult> now = parse_all_logs(schema3_dir("shared_table"));
  ASSERT_TRUE(old[0].actual && old[0].actual->uncertainty);
  const FigureUncertainty& o = old[0].actual->uncertainty->co2_g;
  const FigureUncertainty& n = now[0].actual->uncertainty->co2_g;
  EXPECT_DOUBLE_EQ(o.standard(), n.standard());
  EXPECT_DOUBLE_EQ(o.interval().plus, o.expanded());
  EXPECT_DOUBLE_EQ(o.interval().minus, o.expanded());
  EXPECT_GT(n.interval().plus, n.interval().minus);
  // Out-of-range members count as absent.
  std::optional<Uncertainty> odd = read_uncertainty(nlohmann::json::parse(
      R"({"k":2,"co2_g":{"value":-5,"terms":[{"source":"i","key":"intensity:x","u":10,"factor":1e9},
          {"source":"p","key":"pue:default","u":5,"factor":"x"}]}})"));
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->co2_g.value, 0);
  EXPECT_EQ(odd->co2_g.terms[0].factor, 0);
  EXPECT_EQ(odd->co2_g.terms[1].factor, 0);
  EXPECT_DOUBLE_EQ(odd->co2_g.interval().plus, odd->co2_g.expanded());
}

TEST(ParseUncertainty, IntervalsWithoutValuePrintBothSidesByHost) {
  // mixed/nodeA has no "value" (written before it was): its symmetric
  // interval prints as one number, not with a lower side cut to 0.
  std::ostringstream out, err;
  ASSERT_EQ(run_parse_command({schema3_dir("mixed"), "--by", "host"}, out, err), 0);
  EXPECT_NE(out.str().find("Host nodeA: 2 kWh +/- 0.41 kWh (95 %), 400 g CO2eq +/- 216 g (95 %)"),
            std::string::npos)
      << out.str();
  EXPECT_EQ(out.str().find("/-0"), std::string::npos) << out.str();
}

TEST(ParseUncertainty, MixedRunsSayHowManyHaveNone) {
  std::vector<LogResult> runs = parse_all_logs(schema3_dir("mixed"));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_FALSE(runs[1].actual->uncertainty);  // schema 2
  Aggregate a = aggregate(runs);
  EXPECT_EQ(a.runs, 2);
  EXPECT_EQ(a.runs_with_uncertainty, 1);
  EXPECT_NE(uncertainty_sentence(a).find(
                "(the logs of 1 of the 2 runs carry no interval and count as exact)."),
            std::string::npos);
  EXPECT_EQ(to_json(a)["runs_with_uncertainty"], 1);
}

TEST(ParseUncertainty, KilledRunSumsItsEpochIntervals) {
  std::string text =
      R"({"event":"run_start","schema":3,"pue":1.58,"devices":[{"name":"cpu:0","component":"cpu"}]}
{"event":"epoch","index":1,"duration_s":10,"energy_j":[1000],"co2_g":[1],"uncertainty":{"k":2,"energy_kwh":{"u":1,"terms":[{"source":"a","key":"","u":3},{"source":"pue","key":"pue:default","u":1}]},"co2_g":{"u":1,"terms":[{"source":"i","key":"intensity:table:DK:2023","u":2}]}}}
{"event":"epoch","index":2,"duration_s":10,"energy_j":[1000],"co2_g":[1],"uncertainty":{"k":2,"energy_kwh":{"u":1,"terms":[{"source":"a","key":"","u":4},{"source":"pue","key":"pue:default","u":1}]},"co2_g":{"u":1,"terms":[{"source":"i","key":"intensity:table:DK:2023","u":2}]}}}
)";
  std::vector<std::string> problems;
  auto run = parse_jsonl_text(text, &problems);
  ASSERT_TRUE(run && run->actual && run->actual->uncertainty);
  EXPECT_EQ(run->schema, 3);
  // Unkeyed terms in quadrature (3, 4), the PUE linearly (1 + 1).
  EXPECT_NEAR(run->actual->uncertainty->energy_kwh.standard(), std::sqrt(9.0 + 16 + 4), 1e-12);
  EXPECT_NEAR(run->actual->uncertainty->co2_g.standard(), 4, 1e-12);
}

// The writer (model/uncertainty_json.h) read back by the logs' reader.
TEST(UncertaintyJson, RoundTripAndOldRecordsWithout) {
  Uncertainty u;
  u.energy_kwh.terms = {
      {"RAPL package counter (Intel) (cpu:0)", "sensor:rapl:package:intel:cpu:0", 0.25},
      {"sampling: counter read times (cpu:0)", "", 1e-6}};
  u.co2_g.terms = {{"intensity: yearly average (DK, x)", "intensity:table:DK:2025", 12}};
  nlohmann::ordered_json j = uncertainty_json<nlohmann::ordered_json>(u);
  EXPECT_EQ(j.dump().substr(0, 29), "{\"k\":2,\"energy_kwh\":{\"u\":0.25");
  std::optional<Uncertainty> back = read_uncertainty(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->energy_kwh.terms.size(), 2u);
  EXPECT_EQ(back->energy_kwh.terms[0].key, "sensor:rapl:package:intel:cpu:0");
  EXPECT_DOUBLE_EQ(back->co2_g.standard(), 12);
  EXPECT_EQ(back->co2_g.k, 2);
  // Absent, or not the shape written: no uncertainty, never an exception.
  EXPECT_FALSE(read_uncertainty(nlohmann::json()));
  EXPECT_FALSE(read_uncertainty(nlohmann::json::parse(R"({"k":2,"energy_kwh":3})")));
  std::optional<Uncertainty> odd = read_uncertainty(nlohmann::json::parse(
      R"({"k":"2","energy_kwh":{"terms":[1,{"u":"x"},{"u":2,"key":5}]},"co2_g":{}})"));
  ASSERT_TRUE(odd);
  ASSERT_EQ(odd->energy_kwh.terms.size(), 1u);
  EXPECT_EQ(odd->energy_kwh.terms[0].key, "");
  EXPECT_EQ(odd->energy_kwh.k, 2);
}

TEST(ParseUncertainty, MalformedMembersAreIgnored) {
  for (const char* bad : {"null", "[]", "{\"k\":2}", "{\"energy_kwh\":{\"u\":-1}}",
                          "{\"energy_kwh\":{\"u\":\"x\",\"terms\":[1,{\"u\":null}]}}"}) {
    EXPECT_FALSE(read_uncertainty(nlohmann::json::parse(bad))) << bad;
  }
  // "u" without terms reads as one independent term.
  auto u = read_uncertainty(nlohmann::json::parse(R"({"k":3,"co2_g":{"u":5}})"));
  ASSERT_TRUE(u);
  EXPECT_EQ(u->co2_g.k, 3);
  EXPECT_DOUBLE_EQ(u->co2_g.expanded(), 15);
  EXPECT_TRUE(u->energy_kwh.terms.empty());
}

TEST(ParseUncertainty, ParseCommandPrintsBothSentencesAndTheJobIntervals) {
  std::ostringstream out, err;
  ASSERT_EQ(run_parse_command({"--parse", schema3_dir("shared_table")}, out, err), 0);
  Aggregate a = aggregate_consumption(schema3_dir("shared_table"));
  EXPECT_EQ(out.str(), aggregate_sentence(a) + " " + uncertainty_sentence(a) + "\n");
  std::ostringstream jout, jerr;
  ASSERT_EQ(run_parse_command({schema3_dir("shared_table"), "--by", "job", "--format", "json"},
                              jout, jerr),
            0);
  nlohmann::json j = nlohmann::json::parse(jout.str());
  EXPECT_NEAR(j["groups"][0]["uncertainty"]["co2_g"]["u"].get<double>(),
              a.uncertainty->co2_g.standard(), 1e-9);
  EXPECT_EQ(j["groups"][0]["hosts"].size(), 2u);
  EXPECT_TRUE(j["groups"][0]["hosts"][0]["uncertainty"].is_object());
  std::ostringstream tout, terr;
  ASSERT_EQ(run_parse_command({schema3_dir("shared_table"), "--by", "job"}, tout, terr), 0);
  EXPECT_NE(
      tout.str().find("Job 42: 5 kWh +/- 1.0 kWh (95 %), 1000 g CO2eq +567/-515 g (95 %) (2 runs)"),
      std::string::npos)
      << tout.str();
}

TEST(ParseUncertainty, ParseCommandOnOlderLogsPrintsTheOriginalSentenceOnly) {
  std::ostringstream out, err;
  ASSERT_EQ(run_parse_command({"--parse", original_dir("v212_cli")}, out, err), 0);
  Aggregate a = aggregate_consumption(original_dir("v212_cli"));
  EXPECT_EQ(out.str(), aggregate_sentence(a) + "\n");
  EXPECT_EQ(err.str(), "");
  std::ostringstream jout, jerr;
  ASSERT_EQ(run_parse_command({original_dir("v212_cli"), "--format", "json"}, jout, jerr), 0);
  nlohmann::json j = nlohmann::json::parse(jout.str());
  EXPECT_TRUE(j["aggregate"]["uncertainty"].is_null());
  EXPECT_EQ(j["aggregate"]["runs_with_uncertainty"], 0);
  EXPECT_EQ(j["uncertainty_note"], missing_uncertainty_note(a));
}

}  // namespace
}  // namespace carbontracker::parser
