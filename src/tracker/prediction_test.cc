// The prediction and actual consumption figures (prediction.cc), then the
// prediction as the tracker says it.
#include "tracker/prediction.h"

#include <gtest/gtest.h>

#include <sstream>

#include "carbontracker/tracker.h"
#include "tracker/tracker_test_util.h"

namespace carbontracker {
namespace {

using namespace carbontracker::tracker_test;

EpochRecord epoch(double duration_s, double gpu_j, double cpu_j, double g_per_kwh,
                  bool partial = false, double node_j = 0) {
  EpochRecord e;
  e.duration_s = duration_s;
  e.partial = partial;
  e.energy_j = {gpu_j, cpu_j, node_j};
  for (double j : e.energy_j) e.co2_g.push_back(j / kJoulesPerKwh * g_per_kwh);
  e.missing = {false, false, false};
  e.beside = {false, false, true};  // the node meter's figure is not in the totals
  return e;
}

IntensityValue value(double g, bool live, std::string location = "DK") {
  IntensityValue v;
  v.g_per_kwh = g;
  v.live = live;
  v.location = std::move(location);
  v.source = live ? "Electricity Maps (live)" : "Ember 2024 (offline table)";
  v.default_description = "Defaulted to the table's value.";
  return v;
}

TEST(Prediction, CompleteEpochsLeavePartialOnesAndTheNodeFigureOut) {
  std::vector<EpochRecord> epochs = {epoch(10, 3.6e6, 1.8e6, 100, false, 9e6),
                                     epoch(20, 3.6e6, 0, 200), epoch(5, 1e6, 1e6, 100, true)};
  EpochTotals t = complete_epochs(epochs);
  EXPECT_EQ(t.count, 2);
  EXPECT_DOUBLE_EQ(t.energy_j, 9e6);
  EXPECT_DOUBLE_EQ(t.duration_s, 30);
  EXPECT_DOUBLE_EQ(t.co2_g, 150 + 200);
  EXPECT_DOUBLE_EQ(t.mean_energy_j(), 4.5e6);
  EXPECT_DOUBLE_EQ(remaining_s(t, 5), 3 * 15);
  EXPECT_DOUBLE_EQ(remaining_s(t, 1), 0);  // more measured than planned
  EXPECT_EQ(complete_epochs({}).mean_duration_s(), 0);
}

TEST(Prediction, TheRemainingEpochsUseThePredictionsIntensityAndEverythingThePue) {
  EpochTotals done = complete_epochs({epoch(100, 3.6e6, 0, 300)});  // 1 kWh, 300 g
  PredictionIntensity ci = prediction_intensity(std::nullopt, value(100, true), 300);
  Consumption c = predicted_consumption(done, 4, 1.5, ci);
  EXPECT_EQ(c.epochs, 4);
  EXPECT_DOUBLE_EQ(c.duration_s, 400);
  EXPECT_DOUBLE_EQ(c.energy_kwh, 4 * 1.5);
  // The measured epoch's 300 g, then 3 kWh at 100 g/kWh; PUE on both.
  EXPECT_DOUBLE_EQ(c.co2_g, (300 + 300) * 1.5);
  EXPECT_DOUBLE_EQ(c.intensity_g_per_kwh, 150);  // behind the whole figure
  EXPECT_EQ(c.intensity_note, "current value, no forecast available: Electricity Maps (live)");
}

TEST(Prediction, TheIntensityIsTheForecastElseTheLiveValueElseTheDefault) {
  IntensityValue fc = value(50, true, "FR");
  fc.forecast = true;
  PredictionIntensity p = prediction_intensity(fc, value(100, true), 7200);
  EXPECT_EQ(p.g_per_kwh, 50);
  EXPECT_EQ(p.message,
            "Carbon intensity for the next 2:00:00 is predicted to be 50.00 gCO2/kWh at detected "
            "location: FR.");
  EXPECT_EQ(p.note, "forecast: Electricity Maps (live)");

  p = prediction_intensity(std::nullopt, value(100, true), 7200);
  EXPECT_EQ(p.g_per_kwh, 100);
  EXPECT_EQ(p.message,
            "Current carbon intensity is 100.00 gCO2/kWh at detected location: DK. No forecast is "
            "available: the prediction uses this value.");
  p = prediction_intensity(std::nullopt, value(100, true), 0);  // nothing left to predict
  EXPECT_EQ(p.message, "Current carbon intensity is 100.00 gCO2/kWh at detected location: DK.");

  p = prediction_intensity(std::nullopt, value(120, false), 7200);
  EXPECT_EQ(p.g_per_kwh, 120);
  EXPECT_EQ(p.message, "Defaulted to the table's value.");
  EXPECT_EQ(p.note, "average value, no live data: Ember 2024 (offline table)");
}

TEST(Prediction, ActualConsumptionIsWhatWasMeasuredWithThePue) {
  RunResult run;
  run.pue = 2;
  run.epochs = {epoch(10, 3.6e6, 0, 100), epoch(30, 3.6e6, 3.6e6, 400, true)};
  IntensityRecord r1, r2;
  r1.g_per_kwh = 100;
  r2.g_per_kwh = 400;
  Consumption c = actual_consumption(run, 1, 2, {r1, r2});
  EXPECT_EQ(c.epochs, 1);  // completed epochs; the partial one's energy is in
  EXPECT_DOUBLE_EQ(c.duration_s, 40);
  EXPECT_DOUBLE_EQ(c.energy_kwh, 3 * 2);
  EXPECT_DOUBLE_EQ(c.co2_g, (100 + 800) * 2);
  EXPECT_DOUBLE_EQ(c.intensity_g_per_kwh, 300);  // energy-weighted
  EXPECT_EQ(c.intensity_note, "energy-weighted average of the values used");
  // No energy: the last value fetched, or the world default without one.
  run.epochs.clear();
  EXPECT_DOUBLE_EQ(actual_consumption(run, 0, 2, {r1, r2}).intensity_g_per_kwh, 400);
  c = actual_consumption(run, 0, 2, {});
  EXPECT_DOUBLE_EQ(c.intensity_g_per_kwh, kWorldDefaultIntensity);
  EXPECT_EQ(c.intensity_note, "the value used throughout");
}

TEST(Prediction, TheTrackerPredictsFromTheFirstEpochAndSaysTheIntensityBeforeTheBlock) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);
  o.monitor_epochs = 2;
  InternalTracker t(o);
  t.epoch_start();
  pass_s(10);
  t.epoch_end();
  RunResult r = t.result();
  ASSERT_TRUE(r.prediction);
  // 362.5 W for 10 s, 4 epochs, PUE 1.58, at the offline world average.
  EXPECT_NEAR(r.prediction->energy_kwh, 4 * 3625 * 1.58 / 3.6e6, 1e-12);
  EXPECT_NEAR(r.prediction->co2_g, r.prediction->energy_kwh * kWorld, 1e-9);
  EXPECT_EQ(r.prediction->intensity_note.rfind("average value, no live data: ", 0), 0u);
  std::string out = console.str();
  size_t said = out.find("Defaulted to average carbon intensity for world of 472.94 gCO2/kWh.");
  ASSERT_NE(said, std::string::npos) << out;
  EXPECT_LT(said, out.find("Predicted consumption for 4 epoch(s):"));
}

}  // namespace
}  // namespace carbontracker
