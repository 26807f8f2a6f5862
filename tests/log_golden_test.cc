// Our writer's log files for a scripted run (simulated CPU and GPU, several
// epochs, a prediction, stop() during an epoch), compared line by line with
// golden files in the original's format (behaviour document §13.1; the
// differences are the documented ones: no doubled location clause, the
// interrupted line names the real epoch count, the partial epoch, our notes).
// Then the round trip: our parser reads them back and gets the run's totals.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "carbontracker/parser.h"
#include "carbontracker/tracker.h"
#include "common/clock.h"
#include "tracker/tracker_internal.h"

namespace carbontracker {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/ct_golden_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A golden line to a regex: <TS> a log time stamp, <NUM> a number, <PM> an
// interval in percent ("+-3.1" or "+24/-20"), <VERSION> a version, <ANY>
// anything; everything else literal.
std::regex golden_regex(const std::string& golden) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  std::string re = std::regex_replace(golden, special, R"(\$&)");
  auto replace = [&](const std::string& token, const std::string& with) {
    for (size_t pos; (pos = re.find(token)) != std::string::npos;)
      re.replace(pos, token.size(), with);
  };
  replace("<TS>", R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)");
  replace("<PM>", R"((\+-<NUM>|\+<NUM>/-<NUM>))");
  replace("<NUM>", R"(-?\d+(\.\d+)?(e[-+]\d+)?)");
  replace("<VERSION>", R"(\d+\.\d+\.\d+)");
  replace("<ANY>", ".*");
  return std::regex(re);
}

void expect_golden(const fs::path& actual, const fs::path& golden) {
  std::vector<std::string> got = lines_of(actual), want = lines_of(golden);
  ASSERT_EQ(got.size(), want.size()) << actual;
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_TRUE(std::regex_match(got[i], golden_regex(want[i])))
        << actual.filename() << " line " << i + 1 << "\n got: " << got[i] << "\nwant: " << want[i];
}

fs::path find_one(const fs::path& dir, const std::string& suffix) {
  fs::path found;
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().string().size() >= suffix.size() &&
        e.path().string().compare(e.path().string().size() - suffix.size(), suffix.size(),
                                  suffix) == 0) {
      found = e.path();
      ++n;
    }
  EXPECT_EQ(n, 1) << suffix;
  return found;
}

// The run's time passes only where the script advances this clock, so its
// durations (and the figures made from them) do not depend on the machine.
RunResult scripted_run(const TempDir& dir) {
  static FakeClock clock;
  Environment env;
  env.powercap_root = (dir.path / "none").string();
  env.proc_root = (dir.path / "none").string();
  env.nvml_library = (dir.path / "none.so").string();
  env.rocm_smi_library = (dir.path / "none.so").string();
  env.zone_tab = (dir.path / "none").string();
  env.localtime_path = (dir.path / "none").string();
  env.cache_dir = (dir.path / "cache").string();
  std::ostringstream console;
  InternalOptions o;
  o.epochs = 5;
  o.monitor_epochs = -1;
  o.log_dir = (dir.path / "logs").string();
  o.sim_cpu = "Intel Xeon Gold 6130";
  o.sim_cpu_tdp = 125;
  o.sim_gpu = "NVIDIA A100";
  o.sim_gpu_watts = 400;
  o.sim_gpu_util = 0.75;
  o.region = "DK";
  o.offline = true;
  o.update_interval = 0.05;
  o.environment = env;
  o.console = &console;
  o.clock = &clock;
  InternalTracker t(o);
  for (int i = 0; i < 3; ++i) {
    t.epoch_start();
    clock.advance(0.15);
    t.epoch_end();
  }
  t.epoch_start();
  clock.advance(0.05);
  t.stop();
  return t.result();
}

TEST(LogGolden, WriterFilesMatchTheOriginalFormatLineByLine) {
  TempDir dir;
  scripted_run(dir);
  fs::path logs = dir.path / "logs";
  fs::path golden = fs::path(CT_SOURCE_DIR) / "tests/fixtures/golden";
  expect_golden(find_one(logs, "_carbontracker.log"), golden / "sim_stop.standard.log");
  expect_golden(find_one(logs, "_carbontracker_output.log"), golden / "sim_stop.output.log");
  // The file name: {pid}.{id}_{UTC stamp}_carbontracker.log
  std::string name = find_one(logs, "_carbontracker.log").filename().string();
  EXPECT_TRUE(
      std::regex_match(name, std::regex(std::to_string(getpid()) +
                                        R"(\.\d{1,6}_\d{4}-\d\d-\d\dT\d{6}Z_carbontracker\.log)")))
      << name;
  EXPECT_FALSE(fs::exists(logs / (name.substr(0, name.size() - 4) + "_err.log")));
}

TEST(LogGolden, OurParserReadsOurLogsBackToTheRunsTotals) {
  TempDir dir;
  RunResult r = scripted_run(dir);
  fs::path logs = dir.path / "logs";
  ASSERT_TRUE(r.actual);

  // With the JSONL file: exact figures.
  std::vector<std::string> warnings;
  auto runs = parser::parse_all_logs(logs.string(), &warnings);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(warnings.empty());
  ASSERT_TRUE(runs[0].actual);
  EXPECT_FALSE(runs[0].jsonl_filename.empty());
  EXPECT_EQ(runs[0].actual->epochs, 3);
  EXPECT_TRUE(runs[0].early_stop);
  EXPECT_NEAR(runs[0].actual->energy_kwh, r.actual->energy_kwh, 1e-12);
  EXPECT_NEAR(runs[0].actual->co2eq_g, r.actual->co2_g, 1e-9);
  parser::Aggregate a = parser::aggregate_consumption(logs.string());
  EXPECT_NEAR(a.energy_kwh, r.actual->energy_kwh, 1e-12);

  // Text logs only (as the original's parser sees them): the printed figures,
  // and per-epoch energy = power x duration for each component.
  fs::remove(find_one(logs, "_carbontracker.jsonl"));
  runs = parser::parse_all_logs(logs.string(), &warnings);
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_TRUE(runs[0].actual);
  EXPECT_EQ(runs[0].actual->epochs, 3);
  EXPECT_NEAR(runs[0].actual->energy_kwh, r.actual->energy_kwh, 0.5e-6);
  EXPECT_NEAR(runs[0].actual->co2eq_g, r.actual->co2_g, 0.5e-6);
  ASSERT_EQ(runs[0].components.size(), 2u);
  EXPECT_EQ(runs[0].components[0].first, "gpu");
  const parser::ComponentLog& gpu = runs[0].components[0].second;
  ASSERT_TRUE(gpu.avg_energy_usages_j);
  ASSERT_EQ(gpu.avg_energy_usages_j->size(), 4u);  // three epochs and the partial one
  for (size_t i = 0; i < 4; ++i)
    EXPECT_NEAR((*gpu.avg_energy_usages_j)[i][0], r.epochs[i].energy_j[0],
                0.01 * 300);  // durations are logged to 0.01 s
  EXPECT_EQ(gpu.devices, std::vector<std::string>{"NVIDIA A100"});
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The original parser's regular expressions (behaviour document §7.3, §7.4),
// applied to our files as it applies them: what it would compute from them.
TEST(LogGolden, TheOriginalParsersRegexesReadOurFiles) {
  TempDir dir;
  RunResult r = scripted_run(dir);
  fs::path logs = dir.path / "logs";
  std::string std_text = slurp(find_one(logs, "_carbontracker.log"));
  std::string out_text = slurp(find_one(logs, "_carbontracker_output.log"));

  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(std_text, m, std::regex("The following components were found:(.*)\n")));
  std::string comps = m[1];
  std::regex comp_re(" (.*?) with device\\(s\\) (.*?)\\.");
  std::vector<std::pair<std::string, std::string>> found;
  for (auto it = std::sregex_iterator(comps.begin(), comps.end(), comp_re);
       it != std::sregex_iterator(); ++it)
    found.emplace_back((*it)[1], (*it)[2]);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0], std::make_pair(std::string("GPU"), std::string("NVIDIA A100")));

  std::regex dur_re("Duration: (\\d+):(\\d{2}):(\\d\\d?(?:.\\d{2})?)");
  std::vector<double> durations;
  for (auto it = std::sregex_iterator(std_text.begin(), std_text.end(), dur_re);
       it != std::sregex_iterator(); ++it)
    durations.push_back(std::stod((*it)[1]) * 3600 + std::stod((*it)[2]) * 60 +
                        std::stod((*it)[3]));
  std::regex pow_re("Average power usage \\(W\\) for (.+): (\\[?[0-9\\.]+\\]?|None)");
  double gpu_j = 0, cpu_j = 0;
  size_t k_gpu = 0, k_cpu = 0;
  for (auto it = std::sregex_iterator(std_text.begin(), std_text.end(), pow_re);
       it != std::sregex_iterator(); ++it) {
    double w = std::stod((*it)[2]);
    if ((*it)[1] == "gpu")
      gpu_j += w * durations.at(k_gpu++);
    else
      cpu_j += w * durations.at(k_cpu++);
  }
  EXPECT_EQ(k_gpu, durations.size());
  EXPECT_EQ(k_cpu, durations.size());
  // Power x logged duration per component gives the measured energy (the
  // original's parser sums devices correctly from our per-component totals).
  EXPECT_NEAR(gpu_j, r.component_energy_j(ComponentKind::kGpu), 0.006 * 300 * durations.size());
  EXPECT_NEAR(cpu_j, r.component_energy_j(ComponentKind::kCpu), 0.006 * 62.5 * durations.size());

  // get_consumption: the actual and predicted blocks, with the original's
  // lookahead (ECMAScript has no \Z: end of input is $(?![\s\S])).
  auto block = [&](const std::string& head) {
    return std::regex(
        head +
            "[\\s\\S]*?Time:\\s*(.*)\\n\\s*Energy:\\s*(.*)\\s+kWh[\\s\\S]*?CO2eq:\\s*(.*)\\s+g"
            "(?:\\s*This is equivalent to:\\s*([\\s\\S]*?))?(?=\\d{4}-\\d{2}-\\d{2}|$(?![\\s\\S]))",
        std::regex::icase);
  };
  ASSERT_TRUE(
      std::regex_search(out_text, m, block("Actual consumption(?:\\s*for\\s+\\d+\\s+epochs)?")));
  EXPECT_NEAR(std::stod(m[2]), r.actual->energy_kwh, 0.5e-6);
  EXPECT_NEAR(std::stod(m[3]), r.actual->co2_g, 0.5e-6);
  EXPECT_TRUE(m[4].matched);
  ASSERT_TRUE(
      std::regex_search(out_text, m, block("Predicted consumption for (?:\\d*) epoch\\(s\\):")));
  EXPECT_NEAR(std::stod(m[2]), r.prediction->energy_kwh, 0.5e-6);
  // early_stop: "Training was interrupted" anywhere in the standard log.
  EXPECT_NE(std_text.find("Training was interrupted"), std::string::npos);
}

}  // namespace
}  // namespace carbontracker
