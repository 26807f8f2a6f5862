// The tracker's console as seen from Python: an std::ostream whose text goes
// to whatever `sys.stdout` is at the time of writing (pytest's capture, a
// notebook's stream, a redirected file), in order with the program's own
// print()s.
//
// Implementation details: the tracker writes its console lines from the
// caller's thread (inside epoch_start/epoch_end/stop, with the GIL released)
// and, rarely, from its sampling thread (a sensor warning). A thread that
// has a Python thread state takes the GIL back and writes through at once on
// every flush (std::endl). Other threads never take the GIL: waiting for it
// could deadlock against a Python thread that waits for the tracker, and it
// is unsafe during interpreter shutdown. Their text is kept and written by
// the next flush from a Python thread (every tracker call ends with one).
#pragma once

#include <mutex>
#include <ostream>
#include <streambuf>
#include <string>

namespace carbontracker::python {

class PythonConsoleBuf : public std::streambuf {
 public:
  // Writes the pending text to sys.stdout if the calling thread may take the
  // GIL; otherwise keeps it. Never throws: a failing sys.stdout.write (closed
  // stream, sys.stdout None) drops the text.
  void flush_to_python();

 protected:
  int_type overflow(int_type ch) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  std::mutex mu_;
  std::string pending_;
};

class PythonConsole : public std::ostream {
 public:
  PythonConsole() : std::ostream(&buf_) {}
  void flush_to_python() { buf_.flush_to_python(); }

 private:
  PythonConsoleBuf buf_;
};

}  // namespace carbontracker::python
