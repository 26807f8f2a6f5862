// Checks the fake powercap helper itself: the end-to-end tests trust its
// truth file, so its counters, wraps and truth must agree exactly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "fakes/fake_powercap_tree.h"
#include "sensors/rapl.h"

namespace carbontracker {
namespace {

using ::testing::ElementsAre;

const char* kHelper = CT_BINARY_DIR "/tests/fakes/fake_powercap_helper";

pid_t spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(kHelper));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    execv(kHelper, argv.data());
    _exit(127);
  }
  return pid;
}

// The exit status, or -1 if it did not exit within timeout_s (then killed).
int wait_exit(pid_t pid, double timeout_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

uint64_t read_u64(const std::string& path) {
  std::ifstream f(path);
  uint64_t v = 0;
  f >> v;
  EXPECT_TRUE(f) << path;
  return v;
}

struct TruthLine {
  double unix_s;
  double energy_j;
};

std::vector<TruthLine> read_truth(const std::string& path) {
  std::ifstream f(path);
  std::vector<TruthLine> out;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    TruthLine t{};
    in >> t.unix_s >> t.energy_j;
    EXPECT_TRUE(in) << "bad truth line: " << line;
    out.push_back(t);
  }
  return out;
}

// Package energy of the trace "100:0.1,10:0.1" after t seconds.
double trace_j(double t) {
  double cycles = std::floor(t / 0.2);
  double rest = t - cycles * 0.2;
  return cycles * 11.0 + 100.0 * std::min(rest, 0.1) + 10.0 * std::max(0.0, rest - 0.1);
}

// Distance between two counter values modulo range.
uint64_t mod_distance(uint64_t a, uint64_t b, uint64_t range) {
  uint64_t d = (a + range - b) % range;
  return std::min(d, range - d);
}

TEST(FakePowercapHelperTest, WrapsCountersAndWritesAnExactTruth) {
  testing::TempDir dir;
  const std::string root = dir / "powercap";
  const uint64_t range = 1000000;  // 1 J: wraps many times
  pid_t pid = spawn({"--root", root, "--sockets", "2", "--dram-watts", "5", "--max-range-uj",
                     std::to_string(range), "--step-ms", "2", "--trace", "100:0.1,10:0.1",
                     "--truth", dir / "truth", "--ready", dir / "ready", "--duration", "0.5"});
  ASSERT_GT(pid, 0);
  ASSERT_EQ(wait_exit(pid, 60), 0);
  ASSERT_TRUE(std::filesystem::exists(dir / "ready"));

  std::vector<TruthLine> truth = read_truth(dir / "truth");
  ASSERT_GE(truth.size(), 3u);
  EXPECT_EQ(truth[0].energy_j, 0.0);
  for (size_t i = 1; i < truth.size(); ++i) {
    EXPECT_GT(truth[i].unix_s, truth[i - 1].unix_s);
    EXPECT_GE(truth[i].energy_j, truth[i - 1].energy_j);
    const double t = truth[i].unix_s - truth[0].unix_s;
    // 2 sockets x (package trace + 5 W dram). The clocks were read together,
    // so only microsecond rounding separates them.
    EXPECT_NEAR(truth[i].energy_j, 2 * (trace_j(t) + 5 * t), 2e-3) << "line " << i;
  }
  const TruthLine& last = truth.back();
  const double t_last = last.unix_s - truth[0].unix_s;
  EXPECT_NEAR(t_last, 0.5, 1e-3);
  // 0.5 s: 2.5 cycles of 11 J, plus 0.05 s at 100 W, plus dram.
  EXPECT_NEAR(last.energy_j, 2 * (2 * 11.0 + 10.0 + 2.5), 0.01);

  // The files hold the last step: (offset + floor(uJ)) mod range.
  const double pkg_uj = (last.energy_j / 2 - 5 * t_last) * 1e6;
  const double dram_uj = 5 * t_last * 1e6;
  for (uint64_t n = 0; n < 2; ++n) {
    const uint64_t offset = n * (range / 3);
    const std::string pkg = root + "/intel-rapl:" + std::to_string(n);
    const uint64_t pkg_value = read_u64(pkg + "/energy_uj");
    const uint64_t core_value = read_u64(pkg + "/intel-rapl:" + std::to_string(n) + ":0/energy_uj");
    const uint64_t dram_value =
        read_u64(root + "/intel-rapl:" + std::to_string(n) + ":1/energy_uj");
    EXPECT_LT(pkg_value, range);
    EXPECT_LE(mod_distance(pkg_value, (offset + static_cast<uint64_t>(pkg_uj)) % range, range),
              50u);
    EXPECT_LE(
        mod_distance(core_value, (offset + static_cast<uint64_t>(0.6 * pkg_uj)) % range, range),
        50u);
    EXPECT_LE(mod_distance(dram_value, (offset + static_cast<uint64_t>(dram_uj)) % range, range),
              50u);
    EXPECT_EQ(read_u64(pkg + "/max_energy_range_uj"), range);
  }

  // The sensor sees what the end-to-end tests rely on: packages and dram, no core.
  Environment env;
  env.powercap_root = root;
  FakeClock clock;
  ProbeContext ctx;
  ctx.env = &env;
  ctx.clock = &clock;
  ProbeResult r = probe_rapl(ctx);
  ASSERT_TRUE(r.sensor) << r.unavailable_reason;
  std::vector<std::string> names;
  for (const SensorDevice& d : r.sensor->devices()) {
    names.push_back(d.info.name);
    EXPECT_EQ(d.counter_range, range);
  }
  EXPECT_THAT(names, ElementsAre("cpu:0", "dram:0", "cpu:1", "dram:1"));
}

TEST(FakePowercapHelperTest, StopsCleanlyOnSigterm) {
  testing::TempDir dir;
  pid_t pid = spawn({"--root", dir / "powercap", "--trace", "50:1", "--truth", dir / "truth",
                     "--ready", dir / "ready"});
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 3000 && !std::filesystem::exists(dir / "ready"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(std::filesystem::exists(dir / "ready"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid, 60), 0);
  std::vector<TruthLine> truth = read_truth(dir / "truth");
  ASSERT_GE(truth.size(), 2u);
  const double t = truth.back().unix_s - truth.front().unix_s;
  EXPECT_NEAR(truth.back().energy_j, 50 * t, 1e-3);
  EXPECT_FALSE(std::filesystem::exists(dir / "powercap/intel-rapl:0/intel-rapl:0:1"));  // no dram
}

std::map<std::string, double> read_status(const std::string& path) {
  std::map<std::string, double> out;
  std::ifstream in(path);
  std::string key;
  double value;
  while (in >> key >> value) out[key] = value;
  return out;
}

// Polls cond() for up to a minute (a bound only a stalled machine reaches).
template <typename F>
bool wait_until(F&& cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// --lockstep: the world waits for a reader that has read a zone once, so it
// never gets more than half a range ahead of it; --frozen, SIGUSR1 and
// SIGUSR2 stop and restart the world clock, acknowledged in --status; the
// files hold exactly the frozen energy.
TEST(FakePowercapHelperTest, LockstepWaitsForTheReaderAndFreezesOnRequest) {
  testing::TempDir dir;
  const std::string root = dir / "powercap", status = dir / "status";
  const uint64_t range = 2000000;  // 2 J: at 100 W the world may run 10 ms past a read
  pid_t pid = spawn({"--root", root, "--max-range-uj", std::to_string(range), "--step-ms", "1",
                     "--trace", "100:1", "--truth", dir / "truth", "--ready", dir / "ready",
                     "--status", status, "--lockstep", "--frozen"});
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(wait_until([&] { return read_status(status).count("reads") > 0; }));
  // Frozen from the start: the world stands at 0 however long it is left.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto s = read_status(status);
  EXPECT_EQ(s["frozen"], 1);
  EXPECT_EQ(s["world_s"], 0);
  EXPECT_EQ(s["reads"], 0);

  const std::string pkg = root + "/intel-rapl:0/energy_uj";
  EXPECT_EQ(read_u64(pkg), 0u);  // seen once: the reader now holds the world back
  ASSERT_TRUE(wait_until([&] { return read_status(status)["reads"] == 1; }));
  kill(pid, SIGUSR2);
  ASSERT_TRUE(wait_until([&] { return read_status(status)["thaws"] == 1; }));
  // Without another read the world stops within half a range (1 J = 10 ms
  // at 100 W) of what was read, however long the reader takes.
  ASSERT_TRUE(wait_until([&] { return read_status(status)["energy_j"] > 0.9; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  s = read_status(status);
  EXPECT_LE(s["energy_j"], 1.0) << "the world ran past its reader";
  EXPECT_EQ(s["frozen"], 0);
  // A read lets it go on.
  read_u64(pkg);
  ASSERT_TRUE(wait_until([&] { return read_status(status)["energy_j"] > 1.5; }));

  kill(pid, SIGUSR1);
  ASSERT_TRUE(wait_until([&] { return read_status(status)["freezes"] == 1; }));
  s = read_status(status);
  EXPECT_EQ(s["frozen"], 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (int i = 0; i < 3; ++i) read_u64(pkg);  // reads do not move a frozen world
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto after = read_status(status);
  EXPECT_EQ(after["energy_j"], s["energy_j"]);
  EXPECT_EQ(after["world_s"], s["world_s"]);
  // The file holds floor(uJ); the status rounds to the microjoule.
  EXPECT_LE(
      mod_distance(read_u64(pkg), static_cast<uint64_t>(s["energy_j"] * 1e6 + 0.5) % range, range),
      1u);
  EXPECT_NEAR(s["energy_j"], 100 * s["world_s"], 1e-4);

  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid, 60), 0);
}

// --wrap-after-j: each zone starts that many joules (plus N mJ for socket N)
// below its wrap point.
TEST(FakePowercapHelperTest, WrapAfterStartsEveryZoneJustBelowItsWrap) {
  testing::TempDir dir;
  const std::string root = dir / "powercap";
  const uint64_t range = 1000000000;  // 1 kJ
  pid_t pid =
      spawn({"--root", root, "--sockets", "2", "--dram-watts", "5", "--max-range-uj",
             std::to_string(range), "--wrap-after-j", "5", "--trace", "100:1", "--truth",
             dir / "truth", "--ready", dir / "ready", "--status", dir / "status", "--frozen"});
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(dir / "ready"); }));
  for (uint64_t n = 0; n < 2; ++n) {
    const std::string pkg = root + "/intel-rapl:" + std::to_string(n);
    const uint64_t start = range - 5000000 - n * 1000;
    EXPECT_EQ(read_u64(pkg + "/energy_uj"), start);
    EXPECT_EQ(read_u64(pkg + "/intel-rapl:" + std::to_string(n) + ":0/energy_uj"), start);
    EXPECT_EQ(read_u64(pkg + "/intel-rapl:" + std::to_string(n) + ":1/energy_uj"), start);
  }
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid, 60), 0);
}

TEST(FakePowercapHelperTest, RejectsBadArguments) {
  testing::TempDir dir;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--root", dir / "p", "--truth", dir / "t"},                     // no trace
           {"--root", dir / "p", "--trace", "10", "--truth", dir / "t"},    // no colon
           {"--root", dir / "p", "--trace", "10:0", "--truth", dir / "t"},  // zero seconds
           {"--root", dir / "p", "--trace", "10:1", "--truth", dir / "t", "--bogus", "1"},
           {"--root", dir / "p", "--trace", "10:1", "--truth", dir / "t", "--max-range-uj", "1000",
            "--wrap-after-j", "1"},                       // beyond the range
           {"--trace", "10:1", "--truth", dir / "t"}}) {  // no root
    pid_t pid = spawn(args);
    ASSERT_GT(pid, 0);
    EXPECT_EQ(wait_exit(pid, 30), 2);
  }
}

}  // namespace
}  // namespace carbontracker
