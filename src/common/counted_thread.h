// A std::thread that the process counts from its start until it is joined.
// Every thread the library starts is one, so that tests (and the Python
// package's _threads_running()) can check that a tracker joins everything
// it started before its stop() or destructor returns.
#pragma once

#include <thread>
#include <utility>

namespace carbontracker {

// Threads started by the library and not joined yet, in this process.
int running_library_threads();

class CountedThread {
 public:
  CountedThread() = default;
  template <typename F>
  explicit CountedThread(F&& body) : thread_(std::forward<F>(body)) {
    note_started();
  }
  CountedThread(CountedThread&& other) noexcept = default;
  CountedThread& operator=(CountedThread&& other) noexcept = default;
  CountedThread(const CountedThread&) = delete;
  CountedThread& operator=(const CountedThread&) = delete;

  bool joinable() const { return thread_.joinable(); }
  void join() {
    thread_.join();
    note_joined();
  }

 private:
  static void note_started();
  static void note_joined();
  std::thread thread_;
};

}  // namespace carbontracker
