// Helpers shared by the tracker's tests: a scratch directory, an environment
// with no hardware and no network, the fake clock and simulated options.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "carbontracker/tracker.h"
#include "tracker/tracker_internal.h"
#include "common/clock.h"

namespace carbontracker::tracker_test {

namespace fs = std::filesystem;

// A temp dir removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/ct_tracker_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

inline Environment empty_env(const TempDir& dir) {
  Environment env;
  env.powercap_root = (dir.path / "no-powercap").string();
  env.proc_root = (dir.path / "no-proc").string();
  env.nvml_library = (dir.path / "no-libnvidia-ml.so").string();
  env.rocm_smi_library = (dir.path / "no-librocm_smi64.so").string();
  env.offline = true;
  env.zone_tab = (dir.path / "no-zone.tab").string();
  env.localtime_path = (dir.path / "no-localtime").string();
  env.tz = "";
  env.cache_dir = (dir.path / "cache").string();
  return env;
}

// Every tracker here runs on this clock: time passes only where a test
// advances it, so durations, energies and the texts made from them are the
// same on a loaded machine as on an idle one.
inline FakeClock& test_clock() {
  static FakeClock clock;
  return clock;
}

inline InternalOptions sim_options(const TempDir& dir, std::ostream& console) {
  InternalOptions o;
  o.clock = &test_clock();
  o.epochs = 4;
  o.sim_cpu = "Intel Xeon Gold 6130";
  o.sim_cpu_tdp = 125;
  o.sim_gpu = "NVIDIA A100";
  o.sim_gpu_watts = 400;
  o.sim_gpu_util = 0.75;
  o.environment = empty_env(dir);
  o.console = &console;
  o.update_interval = 0.05;
  return o;
}

// Location unknown and offline: the Ember world average from the embedded
// table (data/carbon-intensity.csv).
inline constexpr double kWorld = 472.94;

inline void pass_s(double s) { test_clock().advance(s); }

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace carbontracker::tracker_test
