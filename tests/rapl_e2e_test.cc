// End to end on a fake powercap tree (two sockets with DRAM) whose counters
// fake_powercap_helper advances at a known, bursty power: the embedded
// tracker and the real carbontracker binary must report the energy the
// counters gained between the epoch boundaries, exactly.
//
// Nothing here depends on how fast or busy the machine is. The helper runs in
// --lockstep mode: its world clock never jumps, and waits while a counter
// would get more than half a range ahead of what the tracker last read, so a
// late sampler cannot miss a wrap. Around every epoch boundary the test
// freezes the world (SIGUSR1, acknowledged in the helper's status file), lets
// the tracker take its boundary reading, and thaws it (SIGUSR2): the truth of
// each epoch is the difference of the frozen energies. Epochs end when the
// world has produced a given energy, not after a given time.
//
// A third test shows what the product does when its sampler is held up for
// longer than the counter can cover: it says so.
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
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "carbontracker/tracker.h"
#include "tracker/tracker_internal.h"

namespace {

namespace fs = std::filesystem;

// A bound on every wait below: only a machine stalled for minutes reaches it,
// and then the test fails saying what it waited for.
constexpr double kWaitLimitS = 300;

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

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits for cond(), polling; false if kWaitLimitS passed first.
template <typename F>
bool wait_for(F&& cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(kWaitLimitS);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// fake_powercap_helper in --lockstep mode, driven through its status file.
class Helper {
 public:
  Helper(const fs::path& dir, std::vector<std::string> extra) : dir_(dir) {
    std::vector<std::string> args = {
        std::string(CT_BINARY_DIR) + "/tests/fakes/fake_powercap_helper",
        "--root",
        tree().string(),
        "--sockets",
        "2",
        "--dram-watts",
        "4",
        "--step-ms",
        "1",
        "--trace",
        "0:0.4,40:0.3,120:0.2,15:0.4,90:0.3",
        "--truth",
        (dir / "truth.txt").string(),
        "--status",
        (dir / "status.txt").string(),
        "--ready",
        (dir / "ready").string(),
        "--lockstep",
        "--frozen"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = spawn(args, dir, {}, dir / "helper.out");
    started_ = wait_for([&] { return fs::exists(dir / "ready") && !status().empty(); });
  }
  ~Helper() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  bool started() const { return started_; }
  fs::path tree() const { return dir_ / "powercap"; }

  std::map<std::string, double> status() const {
    std::map<std::string, double> out;
    std::ifstream in(dir_ / "status.txt");
    std::string key;
    double value;
    while (in >> key >> value) out[key] = value;
    return out;
  }
  double energy_j() const { return status().at("energy_j"); }
  // The energy_uj reads finished so far: waits for two more of the helper's
  // steps, so that every read that ended before the call is counted.
  double settled_reads() const {
    double steps = status().at("steps");
    bool ok = wait_for([&] { return status()["steps"] >= steps + 2; });
    EXPECT_TRUE(ok) << "the helper stopped stepping";
    return status().at("reads");
  }
  double reads() const { return status().at("reads"); }

  // Freezes the world and returns the energy it stands at.
  double freeze() {
    ++freezes_;
    kill(pid_, SIGUSR1);
    bool ok = wait_for([&] {
      auto s = status();
      return s["freezes"] == freezes_ && s["frozen"] == 1;
    });
    EXPECT_TRUE(ok) << "the helper did not acknowledge freeze " << freezes_;
    return energy_j();
  }
  void thaw() {
    ++thaws_;
    kill(pid_, SIGUSR2);
    bool ok = wait_for([&] {
      auto s = status();
      return s["thaws"] == thaws_ && s["frozen"] == 0;
    });
    EXPECT_TRUE(ok) << "the helper did not acknowledge thaw " << thaws_;
  }
  // Thaws, lets the world produce `joules` more, and freezes it again;
  // returns the frozen energy.
  double run_for(double joules) {
    double from = energy_j();
    thaw();
    bool ok = wait_for([&] { return energy_j() >= from + joules; });
    EXPECT_TRUE(ok) << "the world did not reach " << from + joules
                    << " J; status: " << slurp(dir_ / "status.txt");
    return freeze();
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  bool started_ = false;
  double freezes_ = 0, thaws_ = 0;
};

constexpr double kEpochJ = 150;  // about 1.6 s of world time at the trace's mean power

// The embedded API through many wraps: a 20 J range wraps every 0.08 s at
// the trace's peak, and the sampler ticks every 10 ms (half the time the
// counter covers at the 1000 W a RAPL zone is allowed).
TEST(RaplEndToEnd, EmbeddedTrackerMatchesTheTruthThroughManyWraps) {
  TempDir dir;
  Helper helper(dir.path, {"--max-range-uj", "20000000"});
  ASSERT_TRUE(helper.started()) << slurp(dir.path / "helper.out");

  carbontracker::InternalOptions o;
  o.epochs = 3;
  o.monitor_epochs = 3;
  o.epochs_before_pred = 0;
  o.components = "cpu";
  o.update_interval = 1;
  o.verbose = 0;
  carbontracker::Environment env;
  env.powercap_root = helper.tree().string();
  env.proc_root = (dir.path / "no-proc").string();
  env.nvml_library = (dir.path / "no-libnvidia-ml.so").string();
  env.rocm_smi_library = (dir.path / "no-librocm_smi64.so").string();
  env.offline = true;
  env.cache_dir = (dir.path / "cache").string();
  o.environment = env;
  std::ostringstream console;
  o.console = &console;

  carbontracker::InternalTracker tracker(o);
  std::vector<double> truth;
  double frozen = helper.energy_j();
  for (int e = 0; e < 3; ++e) {
    tracker.epoch_start();
    double end = helper.run_for(kEpochJ);
    tracker.epoch_end();
    truth.push_back(end - frozen);
    frozen = end;
  }
  carbontracker::RunResult r = tracker.result();

  std::vector<std::string> names;
  for (const auto& d : r.devices) {
    names.push_back(d.name);
    EXPECT_EQ(d.provenance, carbontracker::Provenance::kMeasured);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"cpu:0", "dram:0", "cpu:1", "dram:1"}));
  ASSERT_EQ(r.epochs.size(), 3u);
  double total = 0, total_truth = 0;
  for (size_t e = 0; e < 3; ++e) {
    double reported = 0;
    for (double j : r.epochs[e].energy_j) reported += j;
    EXPECT_GT(truth[e], 5 * 20.0);  // many wraps of the 20 J counters
    // The counters hold whole microjoules: four floors per boundary.
    EXPECT_NEAR(reported, truth[e], 1e-4) << "epoch " << e + 1;
    std::printf("epoch %zu: reported %.6f J, truth %.6f J\n", e + 1, reported, truth[e]);
    total += reported;
    total_truth += truth[e];
  }
  EXPECT_NEAR(total, total_truth, 1e-4);
  // A sampler held up by the machine may be reported (a gap), but a wrap is
  // never taken for a reset.
  for (const std::string& m : r.messages) EXPECT_EQ(m.find("went back"), std::string::npos) << m;
}

// The real binary, epochs marked by the wrapped command: each marker is
// written while the world is frozen and the test waits until the binary has
// read every zone again (its boundary reading; the range is large enough that
// the sampler does not tick during the test). Every zone starts 5 J below
// its wrap point, so each wraps in the first epoch.
TEST(RaplEndToEnd, WrapperMatchesTheTruthAtEachMarker) {
  TempDir dir;
  Helper helper(dir.path, {"--max-range-uj", "1000000000000000", "--wrap-after-j", "5"});
  ASSERT_TRUE(helper.started()) << slurp(dir.path / "helper.out");

  fs::path fifo = dir.path / "markers";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  pid_t c = spawn({CT_CLI_PATH, "--epochs", "3", "--update-interval", "3600", "--json", "run.json",
                   "--", "sh", "-c", "cat markers >&$CARBONTRACKER_EPOCH_FD"},
                  dir.path,
                  {{"CARBONTRACKER_POWERCAP_ROOT", helper.tree().string()},
                   {"CARBONTRACKER_OFFLINE", "1"},
                   {"CARBONTRACKER_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1"},
                   {"CARBONTRACKER_ROCM_SMI_LIBRARY", "/nonexistent/librocm_smi64.so"}},
                  dir.path / "cli.out");
  std::vector<double> truth;
  {
    // Opening blocks until cat has opened the FIFO: the binary has probed,
    // started its sampler and taken the implicit first reading by then.
    std::ofstream markers(fifo);
    auto mark = [&](const char* marker) {
      double before = helper.settled_reads();
      markers << marker << std::endl;
      EXPECT_TRUE(wait_for([&] { return helper.reads() > before; }))
          << "carbontracker did not read the counters after " << marker;
    };
    double frozen = helper.energy_j();
    for (int e = 0; e < 3; ++e) {
      mark("epoch_start");
      double end = helper.run_for(kEpochJ);
      mark("epoch_end");
      truth.push_back(end - frozen);
      frozen = end;
    }
  }
  int ws = 0;
  waitpid(c, &ws, 0);
  std::string cli_text = slurp(dir.path / "cli.out");
  ASSERT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) << cli_text;

  std::ifstream in(dir.path / "run.json");
  nlohmann::json j = nlohmann::json::parse(in);
  ASSERT_EQ(j["devices"].size(), 4u) << j["devices"].dump();
  ASSERT_EQ(j["epochs"].size(), 3u);
  double total_truth = 0;
  for (size_t e = 0; e < 3; ++e) {
    double reported = j["epochs"][e]["energy_j"];
    EXPECT_NEAR(reported, truth[e], 1e-4) << "epoch " << e + 1;
    std::printf("epoch %zu: reported %.6f J, truth %.6f J\n", e + 1, reported, truth[e]);
    total_truth += truth[e];
  }
  double total = j["total"]["energy_j"];
  EXPECT_NEAR(total, total_truth, 1e-4);
  EXPECT_NEAR(j["total"]["energy_j_with_pue"].get<double>(), total * 1.58, 1e-9 * total);
  EXPECT_TRUE(j["messages"].empty()) << j["messages"].dump();
}

// The wrapped command stops carbontracker (SIGSTOP) for at least 0.3 s: its
// sampler cannot read a 20 J counter that may wrap every 20 ms at 1000 W.
// The run says so instead of silently losing what it may have missed.
TEST(RaplEndToEnd, SamplerHeldUpLongerThanTheCounterCoversIsReported) {
  TempDir dir;
  fs::path tree = dir.path / "powercap";
  pid_t h = spawn({std::string(CT_BINARY_DIR) + "/tests/fakes/fake_powercap_helper", "--root",
                   tree.string(), "--max-range-uj", "20000000", "--trace", "50:1", "--truth",
                   (dir.path / "truth.txt").string(), "--ready", (dir.path / "ready").string()},
                  dir.path, {}, dir.path / "helper.out");
  ASSERT_TRUE(wait_for([&] { return fs::exists(dir.path / "ready"); }));
  pid_t c = spawn({CT_CLI_PATH, "--update-interval", "1", "--json", "run.json", "--", "sh", "-c",
                   "kill -STOP $PPID; sleep 0.3; kill -CONT $PPID"},
                  dir.path,
                  {{"CARBONTRACKER_POWERCAP_ROOT", tree.string()},
                   {"CARBONTRACKER_OFFLINE", "1"},
                   {"CARBONTRACKER_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1"},
                   {"CARBONTRACKER_ROCM_SMI_LIBRARY", "/nonexistent/librocm_smi64.so"}},
                  dir.path / "cli.out");
  int ws = 0;
  waitpid(c, &ws, 0);
  kill(h, SIGTERM);
  int hs = 0;
  waitpid(h, &hs, 0);
  std::string cli_text = slurp(dir.path / "cli.out");
  ASSERT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) << cli_text;
  nlohmann::json j = nlohmann::json::parse(slurp(dir.path / "run.json"));
  std::string messages = j["messages"].dump();
  EXPECT_NE(messages.find("cpu:0 was not read for "), std::string::npos) << messages;
  EXPECT_NE(messages.find("longer than the 0.020 s in which its energy counter can wrap at 1000 W"),
            std::string::npos)
      << messages;
  EXPECT_NE(cli_text.find("cpu:0 was not read for "), std::string::npos) << cli_text;
}

}  // namespace
