// End-to-end tests of the wrapper's hold on its command: a tracker that fails
// while the command runs, signals sent in other ways than kill(), and what a
// command writes on the epoch pipe.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cli_run.h"

namespace {

using namespace ct_cli_test;

// Markers, then a file written after them and an exit status of its own.
const char* kMarkersThenExit3 =
    "echo epoch_start >&$CARBONTRACKER_EPOCH_FD; echo epoch_end >&$CARBONTRACKER_EPOCH_FD; "
    "echo epoch_start >&$CARBONTRACKER_EPOCH_FD; echo epoch_end >&$CARBONTRACKER_EPOCH_FD; "
    "echo done > after; exit 3";

// The tracker throws at its second epoch call (the command's first marker;
// the first call is the wrapper's own epoch at the start): the command still
// runs to its end, and only then does the wrapper exit 70, saying the
// command's own status.
TEST(CliChild, ATrackerFailingDuringTheCommandLetsTheCommandEnd) {
  for (const char* fault : {"2", "2:other"}) {
    TempDir dir;
    CliRun r =
        finish(dir, start_cli(dir, with_sim({"--epochs", "2", "sh", "-c", kMarkersThenExit3}),
                              {std::string("CARBONTRACKER_TEST_FAIL_EPOCH_CALL=") + fault}));
    EXPECT_EQ(r.status, 70) << fault << r.err;
    EXPECT_EQ(slurp(dir.path / "after"), "done\n") << fault;
    EXPECT_NE(r.err.find("injected failure at epoch call 2 (the command ran to its end: exit "
                         "status 3)"),
              std::string::npos)
        << fault << r.err;
  }
}

// sigqueue() reaches the wrapper alone (SI_QUEUE): it is passed on.
TEST(CliChild, ASignalQueuedToTheWrapperIsForwarded) {
  TempDir dir;
  pid_t pid = start_cli(dir,
                        with_sim({"sh", "-c",
                                  "trap 'echo USR1 >> seen; exit 5' USR1; touch started; "
                                  "while :; do sleep 0.01; done"}),
                        {}, /*own_group=*/true);
  wait_for_file(dir.path / "started");
  sigval value{};
  ASSERT_EQ(sigqueue(pid, SIGUSR1, value), 0);
  wait_for_file(dir.path / "seen");
  if (!fs::exists(dir.path / "seen")) kill(-pid, SIGKILL);  // never left running
  CliRun r = finish(dir, pid);
  EXPECT_EQ(r.status, 5) << r.err;
  EXPECT_EQ(slurp(dir.path / "seen"), "USR1\n");
}

// A line longer than 4 KiB is not kept or shown; control characters are
// shown escaped, never raw; the markers after them still count.
TEST(CliChild, LongLinesAndControlCharactersOnTheEpochPipe) {
  TempDir dir;
  std::string script =
      "fd=$CARBONTRACKER_EPOCH_FD; a=$(head -c 10000 /dev/zero | tr '\\0' a); "
      "echo $a >&$fd; echo $a$a >&$fd; printf 'x\\033[2Jy\\n' >&$fd; "
      "echo epoch_start >&$fd; echo epoch_end >&$fd";
  CliRun r = run_cli(dir, with_sim({"--epochs", "1", "sh", "-c", script}));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find('\033'), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown line on CARBONTRACKER_EPOCH_FD: 'x\\x1b[2Jy'"), std::string::npos)
      << r.err;
  const std::string said = "ignoring lines longer than 4096 bytes on CARBONTRACKER_EPOCH_FD";
  size_t at = r.err.find(said);
  ASSERT_NE(at, std::string::npos) << r.err.substr(0, 300);
  EXPECT_EQ(r.err.find(said, at + 1), std::string::npos) << "said once";
  EXPECT_LT(r.err.size(), 1000u);
  EXPECT_NE(r.out.find("Actual consumption for 1 epoch(s):"), std::string::npos) << r.out;
}

}  // namespace
