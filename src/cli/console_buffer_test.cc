#include "cli/console_buffer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ostream>
#include <string>

namespace carbontracker {
namespace {

// A pipe whose read end never blocks: what has been written so far.
struct Pipe {
  int fds[2];
  Pipe() {
    EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
  }
  ~Pipe() {
    close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
  }
  std::string written() {
    std::string out;
    char chunk[4096];
    ssize_t n;
    while ((n = read(fds[0], chunk, sizeof chunk)) > 0) out.append(chunk, static_cast<size_t>(n));
    return out;
  }
};

TEST(ConsoleBufferTest, HeldTextGoesOutInOneBlockAtRelease) {
  Pipe p;
  ConsoleBuffer buf(p.fds[1]);
  std::ostream out(&buf);
  out << "CarbonTracker: one" << std::endl << "CarbonTracker: two" << std::endl;
  EXPECT_EQ(p.written(), "");
  buf.release();
  EXPECT_EQ(p.written(), "CarbonTracker: one\nCarbonTracker: two\n");
  // Released: each flushed line at once.
  out << "three" << std::endl;
  EXPECT_EQ(p.written(), "three\n");
  buf.hold();
  out << "four\n" << std::flush;
  EXPECT_EQ(p.written(), "");
}

TEST(ConsoleBufferTest, DestructionWritesWhatIsPending) {
  Pipe p;
  {
    ConsoleBuffer buf(p.fds[1]);
    std::ostream out(&buf);
    out << "pending" << std::endl;
  }
  EXPECT_EQ(p.written(), "pending\n");
}

TEST(ConsoleBufferTest, TextLargerThanTheBufferKeepsItsOrder) {
  Pipe p;
  ConsoleBuffer buf(p.fds[1]);
  std::ostream out(&buf);
  std::string expected;
  for (int i = 0; i < 2000; ++i) {
    std::string line = "line " + std::to_string(i) + "\n";
    out << line;
    expected += line;
  }
  std::string big(40000, 'x');
  out << big;
  expected += big;
  out << "end\n";
  expected += "end\n";
  std::string got = p.written();  // what did not fit went out already
  EXPECT_FALSE(got.empty());
  buf.release();
  EXPECT_EQ(got + p.written(), expected);
}

ConsoleBuffer* g_buffer = nullptr;
void write_and_die(int sig) {
  if (g_buffer->write_pending_from_signal(sig)) {
    signal(sig, SIG_DFL);
    raise(sig);
  }
}

TEST(ConsoleBufferTest, ASignalThatEndsTheProcessLosesNoHeldText) {
  Pipe p;
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ConsoleBuffer buf(p.fds[1]);
    g_buffer = &buf;
    signal(SIGTERM, write_and_die);
    std::ostream out(&buf);
    out << "CarbonTracker: held" << std::endl;
    raise(SIGTERM);
    _exit(0);  // not reached
  }
  close(p.fds[1]);
  p.fds[1] = -1;
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_EQ(p.written(), "CarbonTracker: held\n");
}

}  // namespace
}  // namespace carbontracker
