// The three outputs of the original's logger (behaviour document §6):
//  - the standard log file (info), "<time> - <message>";
//  - the output stream: console (verbose > 0) and the output log file, every
//    message prefixed with "CarbonTracker: ";
//  - the err stream: console "CarbonTracker: LEVEL - <message>" always, and
//    the err log file, created only when the first error record is written.
// Thread-safe. Files are flushed after every line, so a crash loses at most
// the line being written. A failing write (full disk) is said once on the
// console and logging to that file stops; measurements are unaffected.
#pragma once

#include <cstdio>
#include <mutex>
#include <ostream>
#include <string>

namespace carbontracker {

class Clock;

enum class LogLevel { kDebug, kInfo, kWarning, kCritical };

struct LoggerOptions {
  std::ostream* console = nullptr;  // required
  int verbose = 1;
  std::string log_dir;           // empty: console only
  std::string prefix;            // log_file_prefix
  const Clock* clock = nullptr;  // required
  long pid = 0;
  long logger_id = 0;
};

class Logger {
 public:
  // Creates log_dir (with parents) and the standard and output files. Throws
  // Error(kIo) naming the path and the fix when that fails.
  explicit Logger(LoggerOptions options);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void info(const std::string& message);
  void output(const std::string& message);
  void err(LogLevel level, const std::string& message, const char* thread = "MainThread");
  // A plain console line (the original's print()s).
  void print(const std::string& message);

  // "<log_dir>/<prefix_><pid>.<id>_<stamp>" (empty without log_dir); the file
  // names append "_carbontracker.log" etc.
  const std::string& stem() const { return stem_; }
  std::string standard_path() const;
  std::string output_path() const;
  std::string err_path() const;

 private:
  void write_file(std::FILE*& f, const std::string& path, const std::string& line);
  std::string now_text() const;

  LoggerOptions opt_;
  std::string stem_;
  std::mutex mu_;
  std::FILE* std_file_ = nullptr;
  std::FILE* out_file_ = nullptr;
  std::FILE* err_file_ = nullptr;
  bool err_file_failed_ = false;
};

}  // namespace carbontracker
