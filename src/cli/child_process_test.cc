#include "cli/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <stdexcept>
#include <string>

namespace carbontracker {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/ct_child_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

ChildOptions shell(const std::string& script, bool use_pidfd = true) {
  ChildOptions o;
  o.command = {"sh", "-c", script};
  o.use_pidfd = use_pidfd;
  return o;
}

TEST(ChildProcess, ExitStatusAndTheEnvironmentGivenToTheCommandOnly) {
  for (bool pidfd : {true, false}) {
    ChildOptions o = shell("test \"$CT_CHILD_ONLY\" = yes && exit 7", pidfd);
    o.extra_env = {"CT_CHILD_ONLY=yes"};
    ChildProcess child(o);
    const ChildResult& r = child.wait(nullptr, nullptr);
    EXPECT_TRUE(r.started);
    EXPECT_EQ(r.exit_status, 7) << pidfd;
    EXPECT_EQ(std::getenv("CT_CHILD_ONLY"), nullptr);
  }
}

// A callback that throws is reported once the command has ended; the
// command's markers after it are still read (it never blocks or gets
// SIGPIPE), and it is waited for.
TEST(ChildProcess, ACallbackThatThrowsDoesNotLeaveTheCommand) {
  TempDir dir;
  ChildOptions o = shell(
      "for i in $(seq 200); do echo epoch_start >&$CARBONTRACKER_EPOCH_FD; "
      "done; echo done > " +
      (dir.path / "after").string() + "; exit 3");
  o.epoch_pipe = true;
  int lines = 0, waits = 0;
  ChildProcess child(o);
  pid_t pid = child.pid();
  const ChildResult& r = child.wait(
      [&](const std::string&, bool) {
        if (++lines == 2) throw std::runtime_error("tracker failed");
      },
      [&] {
        ++waits;
        return -1.0;
      });
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_EQ(r.callback_error, "tracker failed");
  EXPECT_EQ(lines, 2);  // not called after it threw
  EXPECT_TRUE(fs::exists(dir.path / "after"));
  EXPECT_EQ(kill(pid, 0), -1);  // reaped
  EXPECT_EQ(errno, ESRCH);

  ChildProcess second(shell("exit 4"));
  const ChildResult& s = second.wait(nullptr, [&]() -> double { throw 42; });
  EXPECT_EQ(s.exit_status, 4);
  EXPECT_EQ(s.callback_error, "unknown exception");
}

// The owner waits for the command even when nobody calls wait().
TEST(ChildProcess, TheDestructorWaitsForTheCommand) {
  TempDir dir;
  pid_t pid;
  {
    ChildProcess child(shell("sleep 0.2; echo done > " + (dir.path / "after").string()));
    pid = child.pid();
  }
  EXPECT_TRUE(fs::exists(dir.path / "after"));
  EXPECT_EQ(kill(pid, 0), -1);
}

// A command reaped by another waiter has no known exit status: not success.
TEST(ChildProcess, ACommandReapedBySomeoneElseIsNotASuccess) {
  TempDir dir;
  std::string go = (dir.path / "go").string();
  for (bool pidfd : {true, false}) {
    fs::remove(go);
    // The command ends only once the other waiter is waiting for it.
    ChildProcess child(shell("until [ -e " + go + " ]; do sleep 0.01; done; exit 0", pidfd));
    pid_t pid = child.pid();
    const ChildResult& r = child.wait(nullptr, [&] {
      std::ofstream(go).put('\n');
      // The fallback's SIGCHLD handler may interrupt this wait before it
      // reaps the command: wait again until it has.
      int status;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return -1.0;
    });
    EXPECT_TRUE(r.status_lost) << pidfd;
    EXPECT_EQ(r.exit_status, 70) << pidfd;
  }
}

void count_sigchld(int) {}

// SIGCHLD has its default action while the command runs, and the caller's
// handler back afterwards (with the self-pipe fallback too).
TEST(ChildProcess, TheCallersSigchldHandlerIsPutBack) {
  for (bool pidfd : {true, false}) {
    struct sigaction mine {
    }, old{}, after{};
    mine.sa_handler = count_sigchld;
    sigemptyset(&mine.sa_mask);
    sigaction(SIGCHLD, &mine, &old);
    {
      ChildProcess child(shell("exit 0", pidfd));
      EXPECT_EQ(child.wait(nullptr, nullptr).exit_status, 0);
    }
    sigaction(SIGCHLD, &old, &after);
    EXPECT_EQ(after.sa_handler, count_sigchld) << pidfd;
  }
}

// A writer that floods the epoch pipe and outlives the command does not hold
// the wait: the command's end is seen, and the wait returns.
TEST(ChildProcess, AFloodingWriterCannotHoldTheWait) {
  TempDir dir;
  std::string flood_pid = (dir.path / "flood.pid").string();
  ChildOptions o =
      shell("yes junk >&$CARBONTRACKER_EPOCH_FD & echo $! > " + flood_pid + "; sleep 0.2; exit 4");
  o.epoch_pipe = true;
  auto waited = std::async(std::launch::async, [&] {
    ChildProcess child(o);
    long lines = 0;
    return child.wait([&](const std::string&, bool) { ++lines; }, nullptr).exit_status;
  });
  bool done = waited.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  std::ifstream in(flood_pid);
  long flooder = 0;
  if (in >> flooder && flooder > 0) kill(static_cast<pid_t>(flooder), SIGKILL);
  ASSERT_TRUE(done) << "the wait never returned";
  EXPECT_EQ(waited.get(), 4);
}

TEST(ChildProcess, PollTimeoutStaysWithinRange) {
  EXPECT_EQ(poll_timeout_ms(-1), 250);
  EXPECT_EQ(poll_timeout_ms(0), 0);
  EXPECT_EQ(poll_timeout_ms(0.0011), 2);
  EXPECT_EQ(poll_timeout_ms(1e10), 250);  // ceil(1e13) does not fit an int
  EXPECT_EQ(poll_timeout_ms(INFINITY), 250);
  EXPECT_EQ(poll_timeout_ms(NAN), 250);
}

TEST(ChildProcess, WhichSignalsAreForwarded) {
  // From the terminal, to the whole foreground group: the command has it.
  EXPECT_FALSE(forward_signal(SI_KERNEL, true));
  EXPECT_TRUE(forward_signal(SI_KERNEL, false));
  // Sent to the wrapper: kill(), sigqueue(), tgkill().
  for (int code : {SI_USER, SI_QUEUE, SI_TKILL}) {
    EXPECT_TRUE(forward_signal(code, true)) << code;
    EXPECT_TRUE(forward_signal(code, false)) << code;
  }
}

}  // namespace
}  // namespace carbontracker
