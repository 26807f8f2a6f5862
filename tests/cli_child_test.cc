// End-to-end tests of the wrapper's hold on its command: a tracker that fails
// while the command runs, signals sent in other ways than kill(), and what a
// command writes on the epoch pipe.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
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

// The command that counts the SIGINTs it gets (tests/fakes/signal_count_helper).
std::vector<std::string> counting_command() {
  return with_sim({CT_BINARY_DIR "/tests/fakes/signal_count_helper"});
}

// The SIGINTs the command counted, once it and the wrapper have ended.
std::string counted(const TempDir& dir, pid_t pid, pid_t group) {
  wait_for_file(dir.path / "count");
  if (!fs::exists(dir.path / "count")) kill(-group, SIGKILL);  // never left running
  CliRun r = finish(dir, pid);
  EXPECT_EQ(r.status, 0) << r.err;
  return slurp(dir.path / "count");
}

// Sent to the wrapper alone: the command does not get it from the sender, so
// the wrapper passes it on, once.
TEST(CliChild, ASigintSentToTheWrapperAloneReachesTheCommandOnce) {
  TempDir dir;
  pid_t pid = start_cli(dir, counting_command(), {}, /*own_group=*/true);
  wait_for_file(dir.path / "started");
  kill(pid, SIGINT);
  EXPECT_EQ(counted(dir, pid, pid), "1\n");
}

// Sent to the whole process group (the shell's job): the command has it from
// the sender and the wrapper does not pass it on.
TEST(CliChild, ASigintSentToTheProcessGroupReachesTheCommandOnce) {
  TempDir dir;
  pid_t pid = start_cli(dir, counting_command(), {}, /*own_group=*/true);
  wait_for_file(dir.path / "started");
  kill(-pid, SIGINT);
  EXPECT_EQ(counted(dir, pid, pid), "1\n");
}

// timeout -s INT signals the process it runs (the wrapper) and then its own
// process group (the wrapper and the command): once. Its cleanup, which
// sends both, is what a signal to timeout itself starts as well as its timer.
TEST(CliChild, TimeoutsSigintReachesTheCommandOnce) {
  TempDir dir;
  pid_t timeout_pid =
      start_cli(dir, counting_command(), {}, false, {"timeout", "-s", "INT", "3600"});
  wait_for_file(dir.path / "started");
  kill(timeout_pid, SIGINT);
  // timeout exits with the command's status (0) once it has ended.
  EXPECT_EQ(counted(dir, timeout_pid, timeout_pid), "1\n");
}

// Ctrl-C on the wrapper's terminal goes to the foreground process group
// (si_code SI_KERNEL): once.
TEST(CliChild, CtrlCOnTheTerminalReachesTheCommandOnce) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  std::string slave = ptsname(master);
  TempDir dir;
  // A session of its own whose controlling terminal is the pty: the wrapper
  // leads its foreground process group.
  pid_t pid = start_cli(dir, counting_command(), {}, false, {}, [&] {
    setsid();
    int fd = open(slave.c_str(), O_RDWR);
    if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) != 0) _exit(97);
    dup2(fd, 0);
  });
  wait_for_file(dir.path / "started");
  termios t{};
  ASSERT_EQ(tcgetattr(master, &t), 0);
  ASSERT_NE(t.c_lflag & ISIG, 0u);
  ASSERT_EQ(write(master, "\x03", 1), 1);
  EXPECT_EQ(counted(dir, pid, pid), "1\n");
  close(master);
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
