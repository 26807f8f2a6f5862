#include "output/logger.h"

#include <fmt/format.h>

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

std::FILE* open_or_throw(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "we");
  if (!f)
    throw Error(ErrorCode::kIo,
                fmt::format("Cannot create log file {}: {}. Choose a writable log_dir.", path,
                            std::strerror(errno)));
  return f;
}

}  // namespace

Logger::Logger(LoggerOptions options) : opt_(std::move(options)) {
  if (opt_.log_dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(opt_.log_dir, ec);
  if (ec)
    throw Error(ErrorCode::kIo, fmt::format("Cannot create log directory {}: {}. Choose a "
                                            "writable log_dir.",
                                            opt_.log_dir, ec.message()));
  std::string name =
      fmt::format("{}{}.{}_{}", opt_.prefix.empty() ? "" : opt_.prefix + "_", opt_.pid,
                  opt_.logger_id, format_file_stamp_utc(opt_.clock->unix_s()));
  stem_ = (std::filesystem::path(opt_.log_dir) / name).string();
  std_file_ = open_or_throw(standard_path());
  try {
    out_file_ = open_or_throw(output_path());
  } catch (...) {
    std::fclose(std_file_);
    throw;
  }
}

Logger::~Logger() {
  for (std::FILE* f : {std_file_, out_file_, err_file_})
    if (f) std::fclose(f);
}

std::string Logger::standard_path() const { return stem_ + "_carbontracker.log"; }
std::string Logger::output_path() const { return stem_ + "_carbontracker_output.log"; }
std::string Logger::err_path() const { return stem_ + "_carbontracker_err.log"; }

std::string Logger::now_text() const { return format_log_time(opt_.clock->unix_s()); }

void Logger::write_file(std::FILE*& f, const std::string& path, const std::string& line) {
  if (!f) return;
  if (std::fputs(line.c_str(), f) < 0 || std::fflush(f) != 0) {
    int e = errno;
    std::fclose(f);
    f = nullptr;
    *opt_.console << fmt::format(
                         "CarbonTracker: WARNING - Cannot write log file {}: {}. Logging to it "
                         "stopped; measurements continue and are reported at the end.",
                         path, std::strerror(e))
                  << std::endl;
  }
}

void Logger::info(const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  // Without a file there is nothing to format (the time would read the time zone).
  if (!std_file_) return;
  write_file(std_file_, standard_path(), fmt::format("{} - {}\n", now_text(), message));
}

void Logger::output(const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string text = "CarbonTracker: " + message;
  if (opt_.verbose > 0) *opt_.console << text << std::endl;
  if (!out_file_) return;
  write_file(out_file_, output_path(), fmt::format("{} - {}\n", now_text(), text));
}

void Logger::err(LogLevel level, const std::string& message, const char* thread) {
  std::lock_guard<std::mutex> lock(mu_);
  if (level != LogLevel::kDebug)
    *opt_.console << "CarbonTracker: " << level_name(level) << " - " << message << std::endl;
  if (stem_.empty()) return;
  if (!err_file_ && !err_file_failed_) {
    err_file_ = std::fopen(err_path().c_str(), "we");
    if (!err_file_) err_file_failed_ = true;
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
