// run_cli in the calling process, as `python -m carbontracker` and ct_run_cli
// call it: what it leaves behind in that process.
#include "cli/cli.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace carbontracker {
namespace {

namespace fs = std::filesystem;

void caller_sigchld(int) {}

TEST(RunCli, TheNodeMarkGoesToTheCommandOnlyAndSigchldIsPutBack) {
  char tmpl[] = "/tmp/ct_runcli_XXXXXX";
  fs::path dir = mkdtemp(tmpl);
  ASSERT_EQ(std::getenv("CARBONTRACKER_MEASURED_BY"), nullptr);
  struct sigaction mine {
  }, old{}, after{};
  mine.sa_handler = caller_sigchld;
  sigemptyset(&mine.sa_mask);
  sigaction(SIGCHLD, &mine, &old);
  std::string mark = (dir / "mark").string();
  int status = run_cli({"carbontracker", "--sim-cpu", "X", "--sim-cpu-tdp", "10", "--log_dir", "",
                        "--verbose", "0", "--no-progress", "--offline", "sh", "-c",
                        "echo \"$CARBONTRACKER_MEASURED_BY\" > " + mark});
  sigaction(SIGCHLD, &old, &after);
  EXPECT_EQ(status, 0);
  std::ifstream in(mark);
  std::string seen;
  std::getline(in, seen);
  // The command's trackers learn that the wrapper measures this node...
  EXPECT_EQ(seen.rfind(std::to_string(getpid()) + "@", 0), 0u) << seen;
  // ...and the calling process is left as it was: a tracker made after
  // this in the same process still measures.
  EXPECT_EQ(std::getenv("CARBONTRACKER_MEASURED_BY"), nullptr);
  EXPECT_EQ(after.sa_handler, caller_sigchld);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace carbontracker
