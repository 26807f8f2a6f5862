// The three outputs of the original's logger (behaviour document §6):
//  - the standard log file (info), "<time> - <message>";
//  - the output stream: console (verbose > 0) and the output log file, every
//    message prefixed with "CarbonTracker: ";
//  - the err stream: console "CarbonTracker: LEVEL - <message>" always, and
//    the err log file, created only when the first error record is written.
// Thread-safe. Each file is written with one write(2) per line, or, while a
// Hold is alive, with one per file when the outermost Hold ends: the tracker
// holds its start-up and each of its public calls, so a crash loses at most
// the lines of the call in progress, and start-up costs one write per file
// (system calls are dear on some hosts). A failing write (full disk) is said
// once on the console and logging to that file stops; measurements are
// unaffected.
#pragma once

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

  // Holds file lines in memory from construction until destruction (nested
  // holds: until the outermost ends).
  class Hold {
   public:
    explicit Hold(Logger& logger);
    ~Hold();
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    Logger& logger_;
  };
  // Writes the lines held so far (e.g. before waiting for the user).
  void flush();

  void info(const std::string& message);
  void output(const std::string& message);
  // A note of ours that the original does not print: the standard log file,
  // and the console ("CarbonTracker: <message>") at verbose 2 and above only.
  void note(const std::string& message);
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
  struct File {
    int fd = -1;
    std::string pending;  // lines not written yet
  };
  void write_file(File& f, const std::string& path, std::string line);
  void flush_file(File& f, const std::string& path);
  void flush_locked();
  std::string now_text() const;

  LoggerOptions opt_;
  std::string stem_;
  std::mutex mu_;
  File std_file_, out_file_, err_file_;
  bool err_file_failed_ = false;
  int holds_ = 0;
};

}  // namespace carbontracker
