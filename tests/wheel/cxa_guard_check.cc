// src/common/cxa_guard.cc under racing threads, built with the wheels' Zig
// toolchain (libc++) by tests/wheel/wheel_check_test.sh: a function-local
// static is initialised once however many threads reach it first, and one
// whose initialiser throws is initialised by a later thread. Exit status 0
// when both hold.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

std::atomic<int> inits{0};
std::atomic<int> attempts{0};

int slow_init() {
  ++inits;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the others wait meanwhile
  return 42;
}

int& once() {
  static int value = slow_init();
  return value;
}

int throwing_init() {
  if (attempts++ == 0) throw std::runtime_error("first attempt");
  return 7;
}

int& retried() {
  static int value = throwing_init();
  return value;
}

}  // namespace

int main() {
  constexpr int kThreads = 16;
  std::atomic<int> sum{0};
  std::atomic<int> sum_retried{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      sum += once();
      try {
        sum_retried += retried();
      } catch (const std::runtime_error&) {
      }
    });
  }
  for (auto& t : threads) t.join();
  std::printf("initialisations %d, sum %d, attempts %d, sum after the throw %d\n", inits.load(),
              sum.load(), attempts.load(), sum_retried.load());
  const bool ok =
      inits == 1 && sum == kThreads * 42 && attempts == 2 && sum_retried == (kThreads - 1) * 7;
  return ok ? 0 : 1;
}
