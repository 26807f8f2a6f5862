#include "common/host.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>

namespace carbontracker {

const std::string& host_name() {
  static const std::string name = [] {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) return std::string();
    return std::string(host);
  }();
  return name;
}

namespace {
std::atomic<pid_t> g_pid{0};
}  // namespace

pid_t process_id() {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, [] { g_pid.store(0, std::memory_order_relaxed); });
    return true;
  }();
  (void)registered;
  pid_t pid = g_pid.load(std::memory_order_relaxed);
  if (pid == 0) {
    pid = getpid();
    g_pid.store(pid, std::memory_order_relaxed);
  }
  return pid;
}

}  // namespace carbontracker
