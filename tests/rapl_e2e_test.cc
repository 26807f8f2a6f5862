// End to end: the real carbontracker binary on a fake powercap tree (two
// sockets with DRAM) whose counters fake_powercap_helper advances at a known,
// bursty power, with a range small enough to wrap many times per epoch.
// The reported energy without PUE must be within 0.5 % of the truth, per
// epoch and in total.
//
// The trace has a 0.4 s zero-power window every 1.6 s and the test sends the
// epoch markers (through a FIFO the wrapped command copies to
// CARBONTRACKER_EPOCH_FD) in the middle of those windows, so a helper that
// lags behind its clock on a loaded machine cannot blur the boundaries.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/ct_rapl_e2e_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

pid_t spawn(const std::vector<std::string>& args, const fs::path& cwd,
            const std::vector<std::pair<std::string, std::string>>& env, const fs::path& out) {
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(99);
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(98);
  }
  return pid;
}

// Truth: the energy the tree's counters held at unix time t (the last step at or before t).
struct Truth {
  std::vector<std::pair<double, double>> points;
  explicit Truth(const fs::path& file) {
    std::ifstream in(file);
    double t, e;
    while (in >> t >> e) points.emplace_back(t, e);
  }
  double at(double t) const {
    auto it = std::upper_bound(points.begin(), points.end(), std::make_pair(t, 1e300));
    if (it == points.begin()) return 0;
    return std::prev(it)->second;
  }
};

TEST(RaplEndToEnd, ReportedEnergyMatchesTheTruthWithinHalfAPercent) {
  TempDir dir;
  fs::path tree = dir.path / "powercap", truth = dir.path / "truth.txt", ready = dir.path / "ready";
  std::string helper = std::string(CT_BINARY_DIR) + "/tests/fakes/fake_powercap_helper";
  // Range 20 J: at up to 2 x 120 W + DRAM the counters wrap about every 0.08 s.
  pid_t h = spawn(
      {helper, "--root", tree.string(), "--sockets", "2", "--dram-watts", "4", "--max-range-uj",
       "20000000", "--step-ms", "1", "--trace", "0:0.4,40:0.3,120:0.2,15:0.4,90:0.3", "--truth",
       truth.string(), "--ready", ready.string()},
      dir.path, {}, dir.path / "helper.out");
  for (int i = 0; i < 500 && !fs::exists(ready); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(fs::exists(ready));
  double t0 = Truth(truth).points.at(0).first;

  fs::path fifo = dir.path / "markers";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  pid_t c = spawn({CT_CLI_PATH, "--epochs", "3", "--update-interval", "1", "--json", "run.json",
                   "--", "sh", "-c", "cat markers >&$CARBONTRACKER_EPOCH_FD"},
                  dir.path,
                  {{"CARBONTRACKER_POWERCAP_ROOT", tree.string()},
                   {"CARBONTRACKER_OFFLINE", "1"},
                   {"CARBONTRACKER_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1"},
                   {"CARBONTRACKER_ROCM_SMI_LIBRARY", "/nonexistent/librocm_smi64.so"}},
                  dir.path / "cli.out");
  {
    std::ofstream markers(fifo);  // blocks until cat opens it
    auto at = [&](double unix_s) {
      auto target = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::duration<double>(unix_s)));
      std::this_thread::sleep_until(target);
    };
    double period = 1.6, mid_gap = 0.2;
    double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    int k = static_cast<int>((now - t0) / period) + 1;
    for (int e = 0; e < 3; ++e) {
      at(t0 + (k + e) * period + mid_gap);
      markers << "epoch_start" << std::endl;
      at(t0 + (k + e + 1) * period + mid_gap - 0.05);
      markers << "epoch_end" << std::endl;
    }
  }
  int ws = 0;
  waitpid(c, &ws, 0);
  kill(h, SIGTERM);
  int hs = 0;
  waitpid(h, &hs, 0);
  std::ifstream cli_out(dir.path / "cli.out");
  std::stringstream cli_text;
  cli_text << cli_out.rdbuf();
  ASSERT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) << cli_text.str();

  std::ifstream in(dir.path / "run.json");
  nlohmann::json j = nlohmann::json::parse(in);
  ASSERT_EQ(j["devices"].size(), 4u) << j["devices"].dump();
  std::vector<std::string> names;
  for (const auto& d : j["devices"]) {
    names.push_back(d["name"]);
    EXPECT_EQ(d["provenance"], "measured");
  }
  EXPECT_EQ(names, (std::vector<std::string>{"cpu:0", "dram:0", "cpu:1", "dram:1"}));

  Truth t(truth);
  ASSERT_EQ(j["epochs"].size(), 3u);
  double total_truth = 0;
  for (const auto& e : j["epochs"]) {
    double start = e["start_unix_s"], duration = e["duration_s"];
    double expected = t.at(start + duration) - t.at(start);
    double reported = e["energy_j"];
    total_truth += expected;
    EXPECT_GT(expected, 50.0);  // the counters really moved (and wrapped many times)
    EXPECT_NEAR(reported, expected, 0.005 * expected) << "epoch " << e["index"];
    std::printf("epoch %d: reported %.4f J, truth %.4f J, error %+.4f %%\n", e["index"].get<int>(),
                reported, expected, 100 * (reported - expected) / expected);
  }
  double total = j["total"]["energy_j"];
  EXPECT_NEAR(total, total_truth, 0.005 * total_truth);
  std::printf("total: reported %.4f J, truth %.4f J, error %+.4f %%\n", total, total_truth,
              100 * (total - total_truth) / total_truth);
  EXPECT_NEAR(j["total"]["energy_j_with_pue"].get<double>(), total * 1.58, 1e-9 * total);
  EXPECT_TRUE(j["messages"].empty()) << j["messages"].dump();
}

}  // namespace
