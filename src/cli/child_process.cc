// Implementation details: the parent waits in a poll() loop on the child's
// pidfd (or, without pidfd_open, on a self-pipe written by the SIGCHLD
// handler) and, with --epochs, on the pipe whose write end the child finds in
// CARBONTRACKER_EPOCH_FD. Every signal is blocked around fork(), so that a
// signal to forward is handled once the child's pid is known, and the child
// never runs the wrapper's handlers.
#include "cli/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>

#include "cli/console_buffer.h"
#include "cli/signal_witness.h"
#include "common/host.h"

extern char** environ;

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434  // one number on every architecture (Linux 5.3)
#endif
#ifndef SYS_clone3
#define SYS_clone3 435  // likewise
#endif
// Sanitizer runtimes prepare for a fork in their fork(): plain fork() there.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define CT_PLAIN_FORK 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define CT_PLAIN_FORK 1
#endif
#endif

namespace carbontracker {

namespace {

volatile sig_atomic_t g_child_pid = 0;
volatile sig_atomic_t g_in_child = 0;  // set in the child between fork and exec
int g_sigchld_pipe[2] = {-1, -1};
// The signals forwarded to the command, and their actions before ours.
constexpr int kForwarded[6] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
struct sigaction g_old_actions[6];
// The console of the run in progress, whose pending text a signal writes out.
ConsoleBuffer* g_console = nullptr;

// Bytes read from the epoch pipe per wait, so that a writer that floods it
// cannot keep the wrapper from seeing the command's end; and after the end,
// so that a writer the command left running cannot hold the wrapper.
constexpr size_t kDrainPerWait = 64 * 1024;
constexpr size_t kDrainAtEnd = 1024 * 1024;

// exec resets these handlers in the child; before it, the child acts on a
// signal as the command would (default action), without a sigaction call per
// signal on every start.
// (kill, not raise: after a raw clone3 the C library's idea of the thread id
// is the parent's.)
void act_as_default(int sig) {
  signal(sig, SIG_DFL);
  kill(getpid(), sig);
}

void on_forwarded_signal(int sig, siginfo_t* info, void* context) {
  if (g_in_child) return act_as_default(sig);
  if (pid_t child = g_child_pid; child > 0) {
    if (!info) return;
    bool in_group = getpgid(child) == getpgrp();
    // In the wrapper's group, the witness tells whether the command got it
    // too (see signal_witness.h): the waiting loop decides.
    if (int fd = event_pipe_write_end(); in_group && fd >= 0) {
      int saved = errno;
      SignalEvent e{0, sig, static_cast<int32_t>(info->si_pid), info->si_code};
      [[maybe_unused]] ssize_t n = write(fd, &e, sizeof e);
      errno = saved;
      return;
    }
    if (forward_signal(info->si_code, in_group)) kill(child, sig);
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

// fork() that also gives a pidfd of the child in *pidfd (-1 where there is
// none): clone3 with CLONE_PIDFD (Linux 5.3) is one system call where fork()
// and pidfd_open() are two. The child runs only async-signal-safe calls
// before exec, so the C library's fork handlers are not needed.
pid_t fork_with_pidfd(bool want_pidfd, int* pidfd) {
  *pidfd = -1;
#ifndef CT_PLAIN_FORK
  if (want_pidfd) {
    struct {  // struct clone_args, version 0
      uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
    } args{};
    int fd = -1;
    constexpr uint64_t kClonePidfd = 0x1000;
    args.flags = kClonePidfd;
    args.pidfd = reinterpret_cast<uintptr_t>(&fd);
    args.exit_signal = SIGCHLD;
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid > 0) *pidfd = fd;
    if (pid >= 0) return static_cast<pid_t>(pid);
  }
#endif
  pid_t pid = fork();
  if (pid > 0 && want_pidfd) *pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  return pid;
}

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

bool forward_signal(int si_code, bool command_in_our_group) {
  // The terminal's signals (SI_KERNEL) go to its whole foreground process group.
  return !command_in_our_group || si_code != SI_KERNEL;
}

int poll_timeout_ms(double due_s) {
  constexpr int kMaxMs = 250;
  if (!(due_s >= 0)) return kMaxMs;  // also NaN
  if (due_s * 1000 >= kMaxMs) return kMaxMs;
  return static_cast<int>(std::ceil(due_s * 1000));
}

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
  for (int k = 0; k < 6; ++k) sigaction(kForwarded[k], &g_old_actions[k], nullptr);
  g_console = nullptr;
}

ChildProcess::ChildProcess(const ChildOptions& options) {
  start(options);
  if (pid_ < 0) {
    result_.exit_status = result_.start_errno == ENOENT ? 127 : 126;
    finish();
  }
}

ChildProcess::~ChildProcess() {
  try {
    if (!waited_) wait(nullptr, nullptr);
  } catch (...) {
  }
  finish();
}

void ChildProcess::start(const ChildOptions& options) {
  int status_pipe[2];
  // Flags set at creation: one system call per pipe (they are dear in sandboxes).
  if (pipe2(status_pipe, O_CLOEXEC) != 0) {
    result_.start_errno = errno;
    return;
  }
  if (options.epoch_pipe) {
    // The child's end stays blocking; it loses O_CLOEXEC in the child (dup2 or fcntl below).
    if (pipe2(epoch_pipe_, O_CLOEXEC) != 0) {
      result_.start_errno = errno;
      close(status_pipe[0]);
      close(status_pipe[1]);
      return;
    }
    fcntl(epoch_pipe_[0], F_SETFL, O_NONBLOCK);
  }

  std::vector<char*> argv;
  for (const std::string& s : options.command) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  // Everything the child needs is prepared before fork(): between fork and
  // exec only async-signal-safe calls are allowed (other threads may hold locks).
  int epoch_target = -1;
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  std::vector<std::string> extra = options.extra_env;
  if (options.epoch_pipe) {
    // A single-digit descriptor, because POSIX shells only redirect to 0-9:
    // the lowest one >= 3 that is free or would be closed by exec anyway.
    epoch_target = 3;
    for (; epoch_target < 10; ++epoch_target) {
      int flags = fcntl(epoch_target, F_GETFD);
      if (flags == -1 || (flags & FD_CLOEXEC)) break;
    }
    if (epoch_target == 10) epoch_target = epoch_pipe_[1];
    extra.push_back("CARBONTRACKER_EPOCH_FD=" + std::to_string(epoch_target));
    // The same pipe by name, for processes that do not inherit the descriptor
    // (torchrun and Python's subprocess close it): opening the wrapper's read
    // end through /proc for writing gives a write end of the same pipe.
    extra.push_back(fmt::format("CARBONTRACKER_EPOCH_PATH=/proc/{}/fd/{}",
                                static_cast<long>(process_id()), epoch_pipe_[0]));
  }
  if (!extra.empty()) {
    auto replaced = [&](const char* entry) {
      for (const std::string& e : extra)
        if (size_t eq = e.find('='); std::strncmp(entry, e.c_str(), eq + 1) == 0) return true;
      return false;
    };
    for (char** e = environ; e && *e; ++e)
      if (!replaced(*e)) env_strings.push_back(*e);
    for (std::string& e : extra) env_strings.push_back(std::move(e));
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
  }

  // Waited for through a pidfd or waitpid: SIGCHLD has its default action
  // while the command runs (an inherited SIG_IGN would reap it automatically,
  // and a caller's handler might reap it), and gets back its own afterwards.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGCHLD, &dfl, &old_sigchld_);
  sigchld_saved_ = true;

  sigset_t all, old_mask;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old_mask);
  // Forked with every signal blocked, which it keeps.
  witness_ = start_witness(kForwarded, 6);
  exits_after_ = options.exits_after;
  int pidfd = -1;
  pid_t pid = fork_with_pidfd(options.use_pidfd, &pidfd);
  if (pid == 0) {
    g_in_child = 1;
    // Caught signals return to their default at exec; ignored ones stay ignored.
    for (int k = 0; k < 6; ++k)
      if (g_old_actions[k].sa_handler == SIG_IGN)
        sigaction(kForwarded[k], &g_old_actions[k], nullptr);
    if (options.epoch_pipe) {
      if (epoch_target != epoch_pipe_[1])
        dup2(epoch_pipe_[1], epoch_target);
      else
        fcntl(epoch_target, F_SETFD, 0);
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    if (!envp.empty())
      execvpe(argv[0], argv.data(), envp.data());
    else
      execvp(argv[0], argv.data());
    int e = errno;
    [[maybe_unused]] ssize_t n = write(status_pipe[1], &e, sizeof e);
    _exit(127);
  }
  int fork_errno = errno;
  if (pid > 0) g_child_pid = pid;
  // A signal that came during fork() is handled now: forwarded when the child
  // exists, or acting as before when it does not (nothing is kept for later).
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  close(status_pipe[1]);
  if (pid < 0) {
    result_.start_errno = fork_errno;
    close(status_pipe[0]);
    return;
  }
  pid_ = pid;
  pidfd_ = pidfd;
  // The wrapper keeps a write end of the epoch pipe open until the command
  // exits: the pipe never reads as closed while CARBONTRACKER_EPOCH_PATH may
  // still be opened by a process that did not inherit the descriptor.
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(status_pipe[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  close(status_pipe[0]);
  result_.started = n == 0;
  if (n > 0) result_.start_errno = exec_errno;

  // The child's exit makes its pidfd readable (Linux 5.3). Where there is no
  // pidfd_open, a SIGCHLD handler writes to a self-pipe instead; the child may
  // have exited before the handler was installed, so each wait starts with a
  // waitpid(WNOHANG) there.
  if (pidfd_ < 0 && pipe2(g_sigchld_pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
    struct sigaction sa {};
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, nullptr);
    sigchld_handler_ = true;
  }
}

void ChildProcess::drain(size_t max_bytes, const LineFn& on_line) {
  char chunk[4096];
  for (size_t total = 0; epoch_pipe_[0] >= 0 && total < max_bytes;) {
    ssize_t r = read(epoch_pipe_[0], chunk, sizeof chunk);
    if (r == 0) close_fd(epoch_pipe_[0]);  // every writer closed it
    if (r <= 0) break;
    total += static_cast<size_t>(r);
    splitter_.feed(chunk, static_cast<size_t>(r), on_line);
  }
}

const ChildResult& ChildProcess::wait(const LineFn& on_line, const WaitFn& on_wait) {
  if (waited_ || pid_ < 0) return result_;
  // A callback that throws is not called again; the command is waited for.
  bool callbacks = true;
  auto guarded = [&](auto&& body) {
    if (!callbacks) return;
    try {
      body();
    } catch (const std::exception& e) {
      result_.callback_error = e.what();
      callbacks = false;
    } catch (...) {
      result_.callback_error = "unknown exception";
      callbacks = false;
    }
  };
  LineFn line_fn = [&](const std::string& text, bool too_long) {
    if (on_line) guarded([&] { on_line(text, too_long); });
  };

  int wstatus = 0;
  bool reaped = false;
  ForwardDecider decider;
  int events = event_pipe_read_end();
  auto now_s = [] {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
  };
  for (;;) {
    if (pidfd_ < 0) {
      pid_t w = waitpid(pid_, &wstatus, WNOHANG);
      if (w == pid_) reaped = true;
      if (w == pid_ || (w < 0 && errno != EINTR)) break;
    }
    double due_s = -1;
    if (on_wait) guarded([&] { due_s = on_wait(); });
    int timeout_ms = poll_timeout_ms(due_s);
    if (double next = decider.next_deadline(); next >= 0)
      timeout_ms = std::min(timeout_ms, poll_timeout_ms(std::max(0.0, next - now_s())));
    pollfd fds[3] = {{pidfd_ >= 0 ? pidfd_ : g_sigchld_pipe[0], POLLIN, 0},
                     {events, POLLIN, 0},
                     {epoch_pipe_[0], POLLIN, 0}};
    int ready = poll(fds, epoch_pipe_[0] >= 0 ? 3 : 2, timeout_ms);
    if (ready > 0 && (fds[1].revents & POLLIN)) {
      SignalEvent e[16];
      for (ssize_t r; (r = read(events, e, sizeof e)) > 0;)
        for (size_t i = 0; i < static_cast<size_t>(r) / sizeof e[0]; ++i) {
          if (e[i].from_witness)
            decider.witness_got(e[i], now_s());
          else
            decider.wrapper_got(e[i], now_s());
        }
    }
    if (decider.next_deadline() >= 0)
      for (int sig : decider.due(now_s(), witness_has_pending)) kill(pid_, sig);
    if (pidfd_ >= 0) {
      if (ready > 0 && (fds[0].revents & (POLLIN | POLLHUP))) {  // the child has exited
        pid_t w;
        do {
          w = waitpid(pid_, &wstatus, 0);
        } while (w < 0 && errno == EINTR);
        reaped = w == pid_;
        break;
      }
    } else {
      char sink[64];
      while (read(g_sigchld_pipe[0], sink, sizeof sink) > 0) {
      }
    }
    drain(kDrainPerWait, line_fn);
  }
  drain(kDrainAtEnd, line_fn);  // markers written just before exit
  finish();

  if (!reaped) {
    // ECHILD: someone else waited for it (a SIGCHLD handler, waitpid(-1)).
    result_.status_lost = true;
    result_.exit_status = 70;
  } else if (!result_.started) {
    result_.exit_status = result_.start_errno == ENOENT ? 127 : 126;
  } else if (WIFEXITED(wstatus)) {
    result_.code = WEXITSTATUS(wstatus);
    result_.exit_status = result_.code;
  } else if (WIFSIGNALED(wstatus)) {
    result_.signal = WTERMSIG(wstatus);
    result_.exit_status = 128 + result_.signal;
  }
  return result_;
}

void ChildProcess::finish() {
  if (waited_) return;
  waited_ = true;
  close_fd(epoch_pipe_[0]);
  close_fd(epoch_pipe_[1]);
  g_child_pid = 0;
  if (witness_) stop_witness(/*reap=*/!exits_after_);
  witness_ = false;
  if (!exits_after_) close_fd(pidfd_);
  // The handler goes before its pipe: it never writes to a closed (or reused)
  // descriptor.
  // Put back where it differs from the default set at the start (system
  // calls are dear on some hosts).
  if (sigchld_saved_ && (sigchld_handler_ || old_sigchld_.sa_handler != SIG_DFL ||
                         (old_sigchld_.sa_flags & (SA_SIGINFO | SA_NOCLDWAIT))))
    sigaction(SIGCHLD, &old_sigchld_, nullptr);
  if (sigchld_handler_) {
    close_fd(g_sigchld_pipe[0]);
    close_fd(g_sigchld_pipe[1]);
    sigchld_handler_ = false;
  }
}

}  // namespace carbontracker
