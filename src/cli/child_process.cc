// Implementation details: the parent waits in a poll() loop on the child's
// pidfd (or, without pidfd_open, on a self-pipe written by the SIGCHLD
// handler) and, with --epochs, on the pipe whose write end the child finds in
// CARBONTRACKER_EPOCH_FD. SIGINT/SIGTERM/SIGHUP/SIGQUIT sent to the wrapper
// with kill() are forwarded to the child; terminal-generated signals already
// reach the child through its process group and are not sent twice.
#include "cli/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "cli/console_buffer.h"

extern char** environ;

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434  // one number on every architecture (Linux 5.3)
#endif

namespace carbontracker {

namespace {

volatile sig_atomic_t g_child_pid = 0;
volatile sig_atomic_t g_in_child = 0;  // set in the child between fork and exec
// Set around fork(): a signal to forward that comes before the child's pid is
// known is kept here and sent once it is.
volatile sig_atomic_t g_forking = 0;
volatile sig_atomic_t g_pending_signal = 0;
int g_sigchld_pipe[2] = {-1, -1};
// The signals forwarded to the command, and their actions before ours.
constexpr int kForwarded[6] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
struct sigaction g_old_actions[6];
// The console of the run in progress, whose pending text a signal writes out.
ConsoleBuffer* g_console = nullptr;

// exec resets these handlers in the child; before it, the child acts on a
// signal as the command would (default action), without a sigaction call per
// signal on every start.
void act_as_default(int sig) {
  signal(sig, SIG_DFL);
  raise(sig);
}

void on_forwarded_signal(int sig, siginfo_t* info, void* context) {
  if (g_in_child) return act_as_default(sig);
  // Signals from the terminal (SI_KERNEL) reach the child's process group too.
  const bool to_forward = info && info->si_code == SI_USER;
  if (g_child_pid > 0) {
    if (to_forward) kill(g_child_pid, sig);
    return;
  }
  if (g_forking) {
    if (to_forward) g_pending_signal = sig;
    return;
  }
  // No command running (start-up, or the report after it): the signal does
  // what it did before our handler, the console's pending text written first.
  int k = 0;
  while (k < 6 && kForwarded[k] != sig) ++k;
  if (k == 6) return;
  const struct sigaction& old = g_old_actions[k];
  if (old.sa_flags & SA_SIGINFO) return old.sa_sigaction(sig, info, context);
  if (old.sa_handler == SIG_IGN) return;
  if (old.sa_handler != SIG_DFL) return old.sa_handler(sig);            // e.g. Python's
  if (g_console && !g_console->write_pending_from_signal(sig)) return;  // raised after its write
  act_as_default(sig);
}

void on_sigchld(int) {
  if (g_in_child) return;
  int saved = errno;
  if (g_sigchld_pipe[1] >= 0) {
    char c = 1;
    [[maybe_unused]] ssize_t n = write(g_sigchld_pipe[1], &c, 1);
  }
  errno = saved;
}

}  // namespace

// Installed for the whole tracked run, so that a signal during start-up or the
// report writes the console's pending text before it ends the process.
void install_forwarding(ConsoleBuffer* console) {
  g_console = console;
  struct sigaction fwd {};
  fwd.sa_sigaction = on_forwarded_signal;
  fwd.sa_flags = SA_RESTART | SA_SIGINFO;
  sigemptyset(&fwd.sa_mask);
  for (int k = 0; k < 6; ++k) sigaction(kForwarded[k], &fwd, &g_old_actions[k]);
}

void restore_forwarding() {
  g_console = nullptr;
  for (int k = 0; k < 6; ++k) sigaction(kForwarded[k], &g_old_actions[k], nullptr);
}

ChildResult run_child(const std::vector<std::string>& command, bool epoch_fd,
                      SignalHandlers handlers,
                      const std::function<void(const std::string&)>& on_line,
                      const std::function<double()>& on_wait) {
  ChildResult result;
  int status_pipe[2], epoch_pipe[2] = {-1, -1};
  // Flags set at creation: one system call per pipe (they are dear in sandboxes).
  if (pipe2(status_pipe, O_CLOEXEC) != 0) {
    result.start_errno = errno;
    return result;
  }
  if (epoch_fd) {
    // The child's end stays blocking; it loses O_CLOEXEC in the child (dup2 or fcntl below).
    if (pipe2(epoch_pipe, O_CLOEXEC) != 0) {
      result.start_errno = errno;
      return result;
    }
    fcntl(epoch_pipe[0], F_SETFL, O_NONBLOCK);
  }

  // Waited for through a pidfd: SIGCHLD keeps its default action, which an
  // inherited SIG_IGN would replace with automatic reaping (and no status).
  signal(SIGCHLD, SIG_DFL);

  std::vector<char*> argv;
  for (const std::string& s : command) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  // Everything the child needs is prepared before fork(): between fork and
  // exec only async-signal-safe calls are allowed (other threads may hold locks).
  int epoch_target = -1;
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  if (epoch_fd) {
    // A single-digit descriptor, because POSIX shells only redirect to 0-9:
    // the lowest one >= 3 that is free or would be closed by exec anyway.
    epoch_target = 3;
    for (; epoch_target < 10; ++epoch_target) {
      int flags = fcntl(epoch_target, F_GETFD);
      if (flags == -1 || (flags & FD_CLOEXEC)) break;
    }
    if (epoch_target == 10) epoch_target = epoch_pipe[1];
    for (char** e = environ; e && *e; ++e)
      if (std::strncmp(*e, "CARBONTRACKER_EPOCH_FD=", 23) != 0 &&
          std::strncmp(*e, "CARBONTRACKER_EPOCH_PATH=", 25) != 0)
        env_strings.push_back(*e);
    env_strings.push_back("CARBONTRACKER_EPOCH_FD=" + std::to_string(epoch_target));
    // The same pipe by name, for processes that do not inherit the descriptor
    // (torchrun and Python's subprocess close it): opening the wrapper's read
    // end through /proc for writing gives a write end of the same pipe.
    env_strings.push_back(fmt::format("CARBONTRACKER_EPOCH_PATH=/proc/{}/fd/{}",
                                      static_cast<long>(getpid()), epoch_pipe[0]));
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
  }

  g_forking = 1;
  pid_t pid = fork();
  if (pid == 0) {
    g_in_child = 1;
    // Caught signals return to their default at exec; ignored ones stay ignored.
    for (int k = 0; k < 6; ++k)
      if (g_old_actions[k].sa_handler == SIG_IGN)
        sigaction(kForwarded[k], &g_old_actions[k], nullptr);
    if (epoch_fd) {
      if (epoch_target != epoch_pipe[1])
        dup2(epoch_pipe[1], epoch_target);
      else
        fcntl(epoch_target, F_SETFD, 0);
      execvpe(argv[0], argv.data(), envp.data());
    }
    execvp(argv[0], argv.data());
    int e = errno;
    [[maybe_unused]] ssize_t n = write(status_pipe[1], &e, sizeof e);
    _exit(127);
  }
  close(status_pipe[1]);
  // The wrapper keeps a write end open until the command exits: the pipe
  // never reads as closed while CARBONTRACKER_EPOCH_PATH may still be opened
  // by a process that did not inherit the descriptor.
  if (pid < 0) {
    result.start_errno = errno;
    g_forking = 0;
    close(status_pipe[0]);
    if (epoch_fd) {
      close(epoch_pipe[0]);
      close(epoch_pipe[1]);
    }
    return result;
  }
  g_child_pid = pid;
  g_forking = 0;
  if (int sig = g_pending_signal) {
    g_pending_signal = 0;
    kill(pid, sig);
  }
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(status_pipe[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  close(status_pipe[0]);
  result.started = n == 0;
  if (n > 0) result.start_errno = exec_errno;

  // The child's exit makes its pidfd readable (Linux 5.3). Where there is no
  // pidfd_open, a SIGCHLD handler writes to a self-pipe instead; the child may
  // have exited before the handler was installed, so each wait starts with a
  // waitpid(WNOHANG) there.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0 && pipe2(g_sigchld_pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
    struct sigaction sa {};
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, nullptr);
  }

  std::string buffer;
  auto drain_epoch_pipe = [&] {
    if (epoch_pipe[0] < 0) return;
    char chunk[512];
    for (;;) {
      ssize_t r = read(epoch_pipe[0], chunk, sizeof chunk);
      if (r <= 0) {
        if (r == 0) {  // every writer closed it
          close(epoch_pipe[0]);
          epoch_pipe[0] = -1;
        }
        break;
      }
      buffer.append(chunk, r);
      size_t nl;
      while ((nl = buffer.find('\n')) != std::string::npos) {
        std::string line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        on_line(line);
      }
    }
  };

  int wstatus = 0;
  for (;;) {
    if (pidfd < 0) {
      pid_t w = waitpid(pid, &wstatus, WNOHANG);
      if (w == pid) break;
      if (w < 0 && errno != EINTR) break;
    }
    int timeout_ms = 250;
    if (double due_s = on_wait(); due_s >= 0)
      timeout_ms = std::min(timeout_ms, static_cast<int>(std::ceil(due_s * 1000)));
    pollfd fds[2] = {{pidfd >= 0 ? pidfd : g_sigchld_pipe[0], POLLIN, 0},
                     {epoch_pipe[0], POLLIN, 0}};
    int ready = poll(fds, epoch_pipe[0] >= 0 ? 2 : 1, timeout_ms);
    if (pidfd >= 0) {
      if (ready > 0 && (fds[0].revents & POLLIN)) {  // the child has exited
        pid_t w;
        do {
          w = waitpid(pid, &wstatus, 0);
        } while (w < 0 && errno == EINTR);
        break;
      }
    } else {
      char sink[64];
      while (read(g_sigchld_pipe[0], sink, sizeof sink) > 0) {
      }
    }
    drain_epoch_pipe();
  }
  drain_epoch_pipe();  // markers written just before exit
  if (epoch_pipe[0] >= 0) close(epoch_pipe[0]);
  if (epoch_pipe[1] >= 0) close(epoch_pipe[1]);
  g_child_pid = 0;
  // Left installed, the SIGCHLD handler does nothing more: the pipe is closed below.
  if (pidfd >= 0) {
    close(pidfd);
  } else {
    if (handlers == SignalHandlers::kRestore) signal(SIGCHLD, SIG_DFL);
    close(g_sigchld_pipe[0]);
    close(g_sigchld_pipe[1]);
    g_sigchld_pipe[0] = g_sigchld_pipe[1] = -1;
  }

  if (!result.started) {
    result.exit_status = result.start_errno == ENOENT ? 127 : 126;
  } else if (WIFEXITED(wstatus)) {
    result.code = WEXITSTATUS(wstatus);
    result.exit_status = result.code;
  } else if (WIFSIGNALED(wstatus)) {
    result.signal = WTERMSIG(wstatus);
    result.exit_status = 128 + result.signal;
  }
  return result;
}

}  // namespace carbontracker
