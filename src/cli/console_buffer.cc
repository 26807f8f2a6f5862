#include "cli/console_buffer.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace carbontracker {

namespace {

// Writes all of [data, data + n) to fd; EINTR is retried, other errors drop the text.
void write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

ConsoleBuffer::ConsoleBuffer(int fd) : fd_(fd) {}

ConsoleBuffer::~ConsoleBuffer() { write_pending(); }

void ConsoleBuffer::hold() { held_ = true; }

void ConsoleBuffer::release() {
  held_ = false;
  write_pending();
}

void ConsoleBuffer::write_pending() { write_out(nullptr, 0); }

void ConsoleBuffer::write_out(const char* extra, size_t n) {
  // Whoever sets writing_ writes; a signal handler that finds it set defers
  // its signal to us, so no text is written twice.
  if (writing_.exchange(true)) return;
  write_all(fd_, buf_, len_);
  len_ = 0;
  if (n > 0) write_all(fd_, extra, n);
  writing_ = false;
  if (int sig = deferred_signal_.exchange(0)) {
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  }
}

bool ConsoleBuffer::write_pending_from_signal(int sig) {
  if (writing_.exchange(true)) {
    deferred_signal_ = sig;
    return false;
  }
  int saved = errno;
  write_all(fd_, buf_, len_);
  errno = saved;
  // writing_ stays set: the process ends with the signal.
  return true;
}

std::streamsize ConsoleBuffer::xsputn(const char* s, std::streamsize n) {
  size_t size = static_cast<size_t>(n);
  if (len_ + size > kCapacity) {
    if (size > kCapacity) {
      write_out(s, size);  // what is pending, then this piece
      return n;
    }
    write_pending();
    if (len_ + size > kCapacity) return n;  // a signal handler is ending the process
  }
  size_t len = len_;
  std::memcpy(buf_ + len, s, size);
  len_ = len + size;  // published after the copy, for a signal handler
  return n;
}

ConsoleBuffer::int_type ConsoleBuffer::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  char ch = traits_type::to_char_type(c);
  xsputn(&ch, 1);
  return c;
}

int ConsoleBuffer::sync() {
  if (!held_) write_pending();
  return 0;
}

}  // namespace carbontracker
