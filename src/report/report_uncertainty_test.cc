// The intervals in the report: the summary's and each run's tables, the
// derivation under them, and the per-epoch charts' error bars.
#include <gtest/gtest.h>

#include <cmath>

#include "logs/logs_test_util.h"
#include "report/charts.h"
#include "report/document.h"
#include "report/render.h"
#include "report/report_model.h"

namespace carbontracker::report {
namespace {

using testing_logs::fixture_dir;
using testing_logs::read_text;
using testing_logs::ScratchDir;

std::string schema3_dir(const std::string& name) {
  return std::string(CT_SOURCE_DIR) + "/tests/fixtures/schema3-logs/" + name;
}

// The table block whose first cell of some row is `label`; nullptr if none.
const Block* table_with(const Doc& doc, const std::string& label) {
  for (const Block& b : doc.blocks)
    if (b.kind == Block::Kind::kTable)
      for (const auto& row : b.rows)
        if (!row.empty() && row[0] == label) return &b;
  return nullptr;
}

TEST(ReportUncertainty, EpochIntervalsWithoutPueBecomeErrorBars) {
  Report rep = build_report(schema3_dir("shared_table"));
  ASSERT_EQ(rep.runs.size(), 2u);
  const RunReport& a = rep.runs[0];
  ASSERT_EQ(a.epochs.size(), 2u);
  // The epoch's energy interval without its PUE term (0.1 kWh): 2 x
  // hypot(0.01, 0.015) kWh, divided by the PUE 1.58, in joules; no factor
  // is left, so it is symmetric.
  ASSERT_TRUE(a.epochs[0].energy_interval_j);
  EXPECT_NEAR(a.epochs[0].energy_interval_j->plus, 2 * std::hypot(0.01, 0.015) / 1.58 * 3.6e6,
              1e-6);
  EXPECT_NEAR(a.epochs[0].energy_interval_j->minus, a.epochs[0].energy_interval_j->plus, 1e-9);
  // The CO2eq keeps its intensity factor (25 %): the first-order half-width
  // 2 sqrt(2^2 + 3^2 + 50^2) / 1.58, skewed upwards by the product of the
  // intensity with the sensors' terms.
  ASSERT_TRUE(a.epochs[0].co2_interval_g);
  const ExpandedInterval& co2 = *a.epochs[0].co2_interval_g;
  const double first_order = 2 * std::sqrt(4.0 + 9 + 2500) / 1.58;
  EXPECT_GT(co2.plus, co2.minus);
  EXPECT_NEAR((co2.plus + co2.minus) / 2, first_order, 0.01 * first_order);
  std::vector<Chart> charts = run_charts(a);
  ASSERT_EQ(charts.size(), 2u);  // no samples: energy and CO2eq per epoch
  ASSERT_EQ(charts[0].error.size(), 2u);
  EXPECT_EQ(charts[0].error_label, "95 % interval");
  EXPECT_GT(charts[0].error[0].plus, 0);
  ASSERT_EQ(charts[1].error.size(), 2u);
  EXPECT_NEAR(charts[1].error[0].plus, co2.plus, 1e-9);  // grams: the chart's unit here
  EXPECT_NEAR(charts[1].error[0].minus, co2.minus, 1e-9);
  // nodeB's log has no epoch lines: nothing to draw.
  EXPECT_TRUE(run_charts(rep.runs[1]).empty());
}

TEST(ReportUncertainty, TablesShowTheIntervalsAndTheBudget) {
  Report rep = build_report(schema3_dir("shared_table"));
  EXPECT_NE(rep.sentence.find("Measured by carbontracker (https://github.com/lfwa/carbontracker). "
                              "With expanded uncertainties (k = 2, about 95 %)"),
            std::string::npos);
  Doc doc = document(rep);
  const Block* summary = table_with(doc, "Interval (k = 2, about 95 %)");
  ASSERT_NE(summary, nullptr);
  // 2 x sqrt(0.5^2 + 0.036^2 + 0.054^2) = 1.008 kWh of 5 (20.2 %) to first
  // order; the PUE's product with the sensors' terms skews it a little.
  EXPECT_EQ(summary->rows[2][1], "+1.010990/-1.006005 (+20.2/-20.1 %)");
  const Block* budget = table_with(doc, "intensity: yearly average (DK)");
  ASSERT_NE(budget, nullptr);
  EXPECT_EQ(budget->rows[0][0], "contribution");
  bool intensity_row = false;
  for (const auto& row : budget->rows)
    if (row[0] == "intensity: yearly average (DK)") {
      intensity_row = true;
      EXPECT_EQ(row[1], "intensity:table:DK:2023");
      EXPECT_EQ(row[3], "250.000000");
    }
  EXPECT_TRUE(intensity_row);
  const Block* per_epoch = table_with(doc, "1");
  ASSERT_NE(per_epoch, nullptr);
  EXPECT_EQ(per_epoch->rows[0].back(), "CO2eq +/- (g, 95 %)");
  // The CO2eq cell of an epoch gives both sides (the intensity is a factor).
  EXPECT_EQ(per_epoch->rows[1].back().substr(0, 1), "+");
  EXPECT_NE(per_epoch->rows[1].back().find("/-"), std::string::npos);
  const Block* blocks = table_with(doc, "Actual");
  ASSERT_NE(blocks, nullptr);
  EXPECT_EQ(blocks->rows[0][5], "energy +/- (95 %)");
  std::string html = report_html(rep);
  EXPECT_NE(html.find("How the interval is made"), std::string::npos);
  EXPECT_NE(html.find("reach further above the figure than below it"), std::string::npos);
  ScratchDir dir;
  generate_report(schema3_dir("shared_table"), dir.file("r.pdf"));
  EXPECT_EQ(read_text(dir.file("r.pdf")).substr(0, 5), "%PDF-");
}

TEST(ReportUncertainty, OlderLogsSayTheyHaveNoIntervals) {
  Report rep = build_report(fixture_dir("v212_cli"));
  EXPECT_EQ(rep.sentence.find("With expanded uncertainties"), std::string::npos);
  std::string html = report_html(rep);
  EXPECT_NE(html.find("this log carries no uncertainty intervals"), std::string::npos);
  EXPECT_NE(html.find("1 of 1 run carries no uncertainty interval"), std::string::npos);
  EXPECT_EQ(html.find("How the interval is made"), std::string::npos);
  for (const Chart& c : run_charts(rep.runs[0])) EXPECT_TRUE(c.error.empty());
}

}  // namespace
}  // namespace carbontracker::report
