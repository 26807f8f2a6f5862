#include "output/logger.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "carbontracker/error.h"
#include "common/clock.h"
#include "common/format.h"

namespace carbontracker {

namespace {

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kCritical:
      return "CRITICAL";
  }
  return "INFO";
}

int open_log(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
}

int open_or_throw(const std::string& path) {
  int fd = open_log(path);
  if (fd < 0)
    throw Error(ErrorCode::kIo,
                fmt::format("Cannot create log file {}: {}. Choose a writable log_dir.", path,
                            std::strerror(errno)));
  return fd;
}

}  // namespace

Logger::Logger(LoggerOptions options) : opt_(std::move(options)) {
  if (opt_.log_dir.empty()) return;
  std::error_code ec;
  // mkdir first: one system call where the directory or its parent exists.
  if (::mkdir(opt_.log_dir.c_str(), 0777) != 0 && errno != EEXIST)
    std::filesystem::create_directories(opt_.log_dir, ec);
  if (ec)
    throw Error(ErrorCode::kIo, fmt::format("Cannot create log directory {}: {}. Choose a "
                                            "writable log_dir.",
                                            opt_.log_dir, ec.message()));
  std::string name =
      fmt::format("{}{}.{}_{}", opt_.prefix.empty() ? "" : opt_.prefix + "_", opt_.pid,
                  opt_.logger_id, format_file_stamp_utc(opt_.clock->unix_s()));
  stem_ = (std::filesystem::path(opt_.log_dir) / name).string();
  std_file_.fd = open_or_throw(standard_path());
  try {
    out_file_.fd = open_or_throw(output_path());
  } catch (...) {
    ::close(std_file_.fd);
    throw;
  }
}

Logger::~Logger() {
  std::lock_guard<std::mutex> lock(mu_);
  flush_locked();
  for (File* f : {&std_file_, &out_file_, &err_file_})
    if (f->fd >= 0) ::close(f->fd);
}

Logger::Hold::Hold(Logger& logger) : logger_(logger) {
  std::lock_guard<std::mutex> lock(logger_.mu_);
  ++logger_.holds_;
}

Logger::Hold::~Hold() {
  std::lock_guard<std::mutex> lock(logger_.mu_);
  if (--logger_.holds_ == 0) logger_.flush_locked();
}

void Logger::flush() {
  std::lock_guard<std::mutex> lock(mu_);
  flush_locked();
}

void Logger::flush_locked() {
  flush_file(std_file_, standard_path());
  flush_file(out_file_, output_path());
  flush_file(err_file_, err_path());
}

std::string Logger::standard_path() const { return stem_ + "_carbontracker.log"; }
std::string Logger::output_path() const { return stem_ + "_carbontracker_output.log"; }
std::string Logger::err_path() const { return stem_ + "_carbontracker_err.log"; }

std::string Logger::now_text() const { return format_log_time(opt_.clock->unix_s()); }

void Logger::write_file(File& f, const std::string& path, std::string line) {
  if (f.fd < 0) return;
  if (f.pending.empty())
    f.pending = std::move(line);
  else
    f.pending += line;
  if (holds_ == 0) flush_file(f, path);
}

void Logger::flush_file(File& f, const std::string& path) {
  if (f.fd < 0 || f.pending.empty()) return;
  const char* p = f.pending.data();
  size_t left = f.pending.size();
  while (left > 0) {
    ssize_t n = ::write(f.fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      p += n;
      left -= static_cast<size_t>(n);
      continue;
    }
    int e = n < 0 ? errno : ENOSPC;
    ::close(f.fd);
    f.fd = -1;
    f.pending.clear();
    *opt_.console << fmt::format(
                         "CarbonTracker: WARNING - Cannot write log file {}: {}. Logging to it "
                         "stopped; measurements continue and are reported at the end.",
                         path, std::strerror(e))
                  << std::endl;
    return;
  }
  f.pending.clear();
}

void Logger::info(const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  // Without a file there is nothing to format (the time would read the time zone).
  if (std_file_.fd < 0) return;
  write_file(std_file_, standard_path(), fmt::format("{} - {}\n", now_text(), message));
}

void Logger::output(const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string text = "CarbonTracker: " + message;
  if (opt_.verbose > 0) *opt_.console << text << std::endl;
  if (out_file_.fd < 0) return;
  write_file(out_file_, output_path(), fmt::format("{} - {}\n", now_text(), text));
}

void Logger::note(const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  if (opt_.verbose >= 2) *opt_.console << "CarbonTracker: " << message << std::endl;
  if (std_file_.fd < 0) return;
  write_file(std_file_, standard_path(), fmt::format("{} - {}\n", now_text(), message));
}

void Logger::err(LogLevel level, const std::string& message, const char* thread) {
  std::lock_guard<std::mutex> lock(mu_);
  if (level != LogLevel::kDebug)
    *opt_.console << "CarbonTracker: " << level_name(level) << " - " << message << std::endl;
  if (stem_.empty()) return;
  if (err_file_.fd < 0 && !err_file_failed_) {
    err_file_.fd = open_log(err_path());
    if (err_file_.fd < 0) err_file_failed_ = true;
  }
  write_file(err_file_, err_path(),
             fmt::format("{} - {} - {} - {}\n", format_log_time_ms(opt_.clock->unix_s()), thread,
                         level_name(level), message));
}

void Logger::print(const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  *opt_.console << message << std::endl;
}

}  // namespace carbontracker
