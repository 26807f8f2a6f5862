// The tracker's figures carry their uncertainty (doc/uncertainty.md): each
// epoch, the prediction and the actual block, in the results, the console,
// the --json record and the JSONL log (schema 3).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "carbontracker/tracker.h"
#include "common/clock.h"
#include "model/uncertainty_budget.h"
#include "tracker/tracker_internal.h"

namespace carbontracker {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/ct_uncert_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

FakeClock& test_clock() {
  static FakeClock clock;
  return clock;
}

// Simulated devices (exact), offline in DK: the table's yearly average.
InternalOptions options(const TempDir& dir, std::ostream& console) {
  InternalOptions o;
  o.clock = &test_clock();
  o.epochs = 6;
  o.epochs_before_pred = 2;
  o.monitor_epochs = 3;
  o.sim_cpu = "Intel Xeon Gold 6130";
  o.sim_cpu_tdp = 125;
  Environment env;
  env.powercap_root = (dir.path / "no-powercap").string();
  env.proc_root = (dir.path / "no-proc").string();
  env.nvml_library = (dir.path / "no-libnvidia-ml.so").string();
  env.rocm_smi_library = (dir.path / "no-librocm_smi64.so").string();
  env.offline = true;
  env.zone_tab = (dir.path / "no-zone.tab").string();
  env.localtime_path = (dir.path / "no-localtime").string();
  env.cache_dir = (dir.path / "cache").string();
  o.environment = env;
  o.region = "DK";
  o.console = &console;
  o.update_interval = 0.05;
  o.log_dir = dir.path.string();
  o.json_path = (dir.path / "run.json").string();
  return o;
}

void run_epochs(Tracker& t, int n) {
  for (int i = 0; i < n; ++i) {
    t.epoch_start();
    test_clock().advance(1.0 + 0.2 * i);  // epochs of different lengths: a spread
    t.epoch_end();
  }
}

TEST(TrackerUncertainty, EveryFigureCarriesItsTerms) {
  TempDir dir;
  std::ostringstream console;
  InternalTracker t(options(dir, console));
  run_epochs(t, 3);
  RunResult r = t.result();
  ASSERT_EQ(r.epochs.size(), 3u);
  for (const EpochRecord& e : r.epochs) ASSERT_TRUE(e.uncertainty);
  ASSERT_TRUE(r.actual && r.actual->uncertainty);
  ASSERT_TRUE(r.prediction && r.prediction->uncertainty);

  // Simulated devices are exact: the energy's only term is the default PUE's.
  const Uncertainty& a = *r.actual->uncertainty;
  ASSERT_EQ(a.energy_kwh.terms.size(), 1u);
  EXPECT_EQ(a.energy_kwh.terms[0].key, "pue:default");
  EXPECT_NEAR(a.energy_kwh.standard(), 0.15 * r.actual->energy_kwh, 1e-12);
  // CO2eq: the yearly average of DK (25 %) and the PUE, correlated over epochs.
  EXPECT_NEAR(a.co2_g.standard(), std::hypot(0.25, 0.15) * r.actual->co2_g, 1e-9);
  EXPECT_EQ(short_source(a.co2_g.dominant()->source), "intensity: yearly average");
  EXPECT_EQ(a.co2_g.dominant()->key, "intensity:table:DK:2025");
  // The prediction adds the spread of the two measured epochs.
  bool spread = false;
  for (const UncertaintyTerm& term : r.prediction->uncertainty->energy_kwh.terms)
    spread = spread || term.source.find("epoch-to-epoch spread (2 epochs") != std::string::npos;
  EXPECT_TRUE(spread);

  std::string out = console.str();
  size_t first = out.find("Uncertainty (95 %): energy +-30 %");
  ASSERT_NE(first, std::string::npos) << out;
  EXPECT_LT(out.find("Predicted consumption"), out.find("Uncertainty (95 %)"));
  // A product of uncertain factors: wider above than below (first order: +-58 %).
  EXPECT_NE(out.find("CO2eq +64/-54 % (intensity: yearly average)"), std::string::npos) << out;

  // --json: the same terms under each consumption block and epoch.
  nlohmann::json j = nlohmann::json::parse(std::ifstream(dir.path / "run.json"));
  EXPECT_EQ(j["actual"]["uncertainty"]["k"], 2);
  EXPECT_DOUBLE_EQ(j["actual"]["uncertainty"]["energy_kwh"]["u"].get<double>(),
                   a.energy_kwh.standard());
  EXPECT_EQ(j["actual"]["uncertainty"]["co2_g"]["terms"][0]["key"], a.co2_g.terms[0].key);
  EXPECT_TRUE(j["prediction"]["uncertainty"].is_object());
  EXPECT_TRUE(j["epochs"][0]["uncertainty"].is_object());

  // The JSONL log: schema 3, every epoch, the prediction and totals.actual.
  fs::path jsonl;
  for (const auto& e : fs::directory_iterator(dir.path))
    if (e.path().string().ends_with("_carbontracker.jsonl")) jsonl = e.path();
  ASSERT_FALSE(jsonl.empty());
  std::ifstream in(jsonl);
  int epochs = 0;
  for (std::string line; std::getline(in, line);) {
    nlohmann::json l = nlohmann::json::parse(line);
    if (l["event"] == "run_start") {
      EXPECT_EQ(l["schema"], 3);
    } else if (l["event"] == "epoch") {
      epochs += l["uncertainty"]["co2_g"]["u"].get<double>() > 0;
    } else if (l["event"] == "prediction") {
      EXPECT_TRUE(l["uncertainty"].is_object());
    } else if (l["event"] == "totals") {
      EXPECT_DOUBLE_EQ(l["actual"]["uncertainty"]["co2_g"]["u"].get<double>(), a.co2_g.standard());
    }
  }
  EXPECT_EQ(epochs, 3);
}

TEST(TrackerUncertainty, GivenPueOnExactDevicesLeavesOnlyTheIntensity) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = options(dir, console);
  o.pue = 1.2;
  InternalTracker t(o);
  run_epochs(t, 3);
  RunResult r = t.result();
  ASSERT_TRUE(r.actual && r.actual->uncertainty);
  EXPECT_TRUE(r.actual->uncertainty->energy_kwh.terms.empty());
  EXPECT_NE(console.str().find("Uncertainty (95 %): energy +-0 %, CO2eq +-50 % (intensity: yearly "
                               "average)"),
            std::string::npos)
      << console.str();
}

}  // namespace
}  // namespace carbontracker
