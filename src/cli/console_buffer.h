// The wrapper's console: a stream buffer over a file descriptor that writes
// whole blocks. While held, text accumulates and goes out in one write(2) at
// release() (system calls are dear on sandboxed hosts: the start-up messages
// are one write instead of one per line); released, every flushed line (endl)
// is written at once, as std::cout would.
//
// Nothing is lost to a signal that ends the process: its handler calls
// write_pending_from_signal() (async-signal-safe) before taking the default
// action. A signal that comes while the buffer itself is writing is deferred:
// the write completes and then the signal is raised again with its default
// action, so no text is written twice.
#pragma once

#include <atomic>
#include <cstddef>
#include <streambuf>

namespace carbontracker {

class ConsoleBuffer : public std::streambuf {
 public:
  // Writes to fd (not owned); starts held.
  explicit ConsoleBuffer(int fd);
  ~ConsoleBuffer() override;  // writes what is pending
  ConsoleBuffer(const ConsoleBuffer&) = delete;
  ConsoleBuffer& operator=(const ConsoleBuffer&) = delete;

  // Accumulate until release().
  void hold();
  // Writes what is pending; from now on each flush writes at once.
  void release();

  // For a signal handler about to end the process with signal sig: writes
  // what is pending and returns true, or, when a write of this buffer is in
  // progress, returns false and that write raises sig (default action) once
  // it is done. Async-signal-safe.
  bool write_pending_from_signal(int sig);

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int_type overflow(int_type c) override;
  int sync() override;

 private:
  void write_pending();
  // Writes what is pending, then n bytes of extra.
  void write_out(const char* extra, size_t n);

  static constexpr size_t kCapacity = 16u << 10;
  const int fd_;
  char buf_[kCapacity];
  // Bytes of buf_ that are complete; the signal handler reads only these.
  std::atomic<size_t> len_{0};
  std::atomic<bool> held_{true};
  std::atomic<bool> writing_{false};
  std::atomic<int> deferred_signal_{0};
};

}  // namespace carbontracker
