// The witness process runs only raw system calls after fork(): the wrapper
// may have other threads (whose locks a forked child must not touch), and the
// sanitizers' interceptors are not meant for a forked child that does not exec.
#include "cli/signal_witness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/host.h"

#ifndef SYS_close_range
#define SYS_close_range 436  // one number on every architecture (Linux 5.9)
#endif

namespace carbontracker {

namespace {

volatile sig_atomic_t g_witness = 0;
int g_events[2] = {-1, -1};

template <typename V, typename P>
typename V::iterator find_entry(V& v, P&& match) {
  return std::find_if(v.begin(), v.end(), match);
}

[[noreturn]] void exit_now() {
  syscall(SYS_exit_group, 0);
  __builtin_unreachable();
}

// The witness: every signal stays blocked (the mask of the fork); the
// forwarded ones are taken with rt_sigtimedwait and reported. It ends with
// the wrapper (PR_SET_PDEATHSIG), or when the pipe has no reader.
[[noreturn]] void witness_main(int fd, pid_t parent, uint64_t mask) {
  syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (syscall(SYS_getppid) != parent) exit_now();  // the wrapper ended before the prctl
  // Holds nothing of the wrapper's: a pipe to a reader waiting for its end
  // (`carbontracker ... | tee`) must not stay open because of it.
  bool closed = (fd == 0 || syscall(SYS_close_range, 0, fd - 1, 0) == 0) &&
                syscall(SYS_close_range, fd + 1, ~0U, 0) == 0;
  if (!closed)  // Linux before 5.9
    for (int i = 0; i < 65536; ++i)
      if (i != fd) syscall(SYS_close, i);
  for (;;) {
    siginfo_t info;
    long sig = syscall(SYS_rt_sigtimedwait, &mask, &info, nullptr, sizeof mask);
    if (sig <= 0) continue;
    SignalEvent e{1, static_cast<int32_t>(sig), static_cast<int32_t>(info.si_pid), info.si_code};
    if (syscall(SYS_write, fd, &e, sizeof e) < 0 && errno == EPIPE) exit_now();
  }
}

}  // namespace

void ForwardDecider::prune(double now) {
  auto old = [&](const Entry& e) { return now - e.t > kWindowS; };
  witnessed_.erase(std::remove_if(witnessed_.begin(), witnessed_.end(), old), witnessed_.end());
  matched_.erase(std::remove_if(matched_.begin(), matched_.end(), old), matched_.end());
}

void ForwardDecider::wrapper_got(const SignalEvent& e, double now) {
  prune(now);
  auto same = [&](const Entry& x) { return x.sig == e.sig && x.sender == e.sender; };
  // A later copy of a group signal already decided (timeout sends one to the
  // wrapper and one to the group): the command has it.
  if (find_entry(matched_, same) != matched_.end()) return;
  if (auto w = find_entry(witnessed_, same); w != witnessed_.end()) {
    matched_.push_back({e.sig, e.sender, e.code, now});
    witnessed_.erase(w);
    return;
  }
  // The same signal from the same sender while one waits: one signal (two
  // of a kind pending at once are one, as in the kernel).
  if (find_entry(waiting_, same) != waiting_.end()) return;
  waiting_.push_back({e.sig, e.sender, e.code, now});
}

void ForwardDecider::witness_got(const SignalEvent& e, double now) {
  prune(now);
  auto same = [&](const Entry& x) { return x.sig == e.sig && x.sender == e.sender; };
  if (auto w = find_entry(waiting_, same); w != waiting_.end()) {
    matched_.push_back({e.sig, e.sender, e.code, now});
    waiting_.erase(w);
    return;
  }
  if (auto m = find_entry(matched_, same); m != matched_.end()) {
    m->t = now;  // its copies are still coming
    return;
  }
  if (find_entry(witnessed_, same) == witnessed_.end())
    witnessed_.push_back({e.sig, e.sender, e.code, now});
}

std::vector<int> ForwardDecider::due(double now,
                                     const std::function<WitnessPending(int sig)>& pending) {
  std::vector<int> out;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (now - it->t < kWindowS) {
      ++it;
      continue;
    }
    switch (pending(it->sig)) {
      case WitnessPending::kYes:  // sent to the group; the witness has not run since
        matched_.push_back({it->sig, it->sender, it->code, now});
        break;
      case WitnessPending::kNo:
        out.push_back(it->sig);
        break;
      case WitnessPending::kGone:  // no witness: the terminal's signals reached the group
        if (it->code != SI_KERNEL) out.push_back(it->sig);
        break;
    }
    it = waiting_.erase(it);
  }
  return out;
}

double ForwardDecider::next_deadline() const {
  double next = -1;
  for (const Entry& e : waiting_)
    if (next < 0 || e.t + kWindowS < next) next = e.t + kWindowS;
  return next;
}

bool start_witness(const int forwarded[], int count) {
  if (g_witness > 0) return true;
  // Non-blocking: the signal handler never waits on it. Kept for the next
  // witness once made (a handler running in another thread may still write).
  if (g_events[0] < 0) {
    if (pipe2(g_events, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  } else {
    char stale[256];  // from the run before
    while (read(g_events[0], stale, sizeof stale) > 0) {
    }
  }
  uint64_t mask = 0;  // the kernel's sigset_t
  for (int k = 0; k < count; ++k) mask |= uint64_t{1} << (forwarded[k] - 1);
  pid_t parent = process_id();
  pid_t pid = fork();
  if (pid == 0) witness_main(g_events[1], parent, mask);
  if (pid < 0) return false;
  g_witness = pid;
  return true;
}

pid_t witness_pid() { return g_witness; }
int event_pipe_read_end() { return g_witness > 0 ? g_events[0] : -1; }
int event_pipe_write_end() { return g_witness > 0 ? g_events[1] : -1; }

WitnessPending witness_has_pending(int sig) {
  if (g_witness <= 0) return WitnessPending::kGone;
  char path[48];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(g_witness));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return WitnessPending::kGone;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return WitnessPending::kGone;
  buf[n] = '\0';
  if (const char* s = std::strstr(buf, "\nState:\t"); s && (s[8] == 'Z' || s[8] == 'X'))
    return WitnessPending::kGone;
  for (const char* key : {"\nSigPnd:\t", "\nShdPnd:\t"}) {
    const char* p = std::strstr(buf, key);
    if (!p) return WitnessPending::kGone;
    unsigned long long bits = std::strtoull(p + std::strlen(key), nullptr, 16);
    if (bits & (1ULL << (sig - 1))) return WitnessPending::kYes;
  }
  return WitnessPending::kNo;
}

void stop_witness(bool reap) {
  if (g_witness <= 0 || !reap) return;
  pid_t pid = g_witness;
  g_witness = 0;
  kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace carbontracker
