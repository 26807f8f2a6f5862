#include "output/logger.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "common/clock.h"
#include "fakes/fake_powercap_tree.h"

namespace carbontracker {
namespace {

// Counts the timestamps asked for: each one formatted as local time reads the
// time zone (/etc/localtime) on first use.
class CountingClock : public Clock {
 public:
  double steady_s() const override { return 1000.0; }
  double unix_s() const override {
    ++unix_reads;
    return 1.7e9;
  }
  mutable std::atomic<int> unix_reads{0};
};

TEST(Logger, WithoutLogFilesNothingIsTimeStamped) {
  std::ostringstream console;
  CountingClock clock;
  LoggerOptions options;
  options.console = &console;
  options.clock = &clock;
  Logger logger(options);
  logger.info("only for the standard log");
  logger.output("Finished monitoring.");
  EXPECT_EQ(console.str(), "CarbonTracker: Finished monitoring.\n");
  EXPECT_EQ(clock.unix_reads.load(), 0);
}

using LogDir = carbontracker::testing::TempDir;  // tests/fakes/fake_powercap_tree.h

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t lines(const std::string& path) {
  std::string text = slurp(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// The descriptor this process holds open on `path` (found through /proc).
int fd_of(const std::string& path) {
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(e.path(), ec);
    if (!ec && target == std::filesystem::path(path)) return std::stoi(e.path().filename());
  }
  return -1;
}

LoggerOptions file_options(std::ostream& console, const Clock& clock, const LogDir& dir) {
  LoggerOptions options;
  options.console = &console;
  options.clock = &clock;
  options.log_dir = dir.path();
  options.pid = 42;
  options.logger_id = 7;
  return options;
}

TEST(Logger, WithoutAHoldEachLineIsWrittenAtOnce) {
  LogDir dir;
  std::ostringstream console;
  CountingClock clock;
  Logger logger(file_options(console, clock, dir));
  logger.info("one");
  EXPECT_EQ(lines(logger.standard_path()), 1u);
  logger.output("two");
  EXPECT_EQ(lines(logger.output_path()), 1u);
  logger.info("three");
  EXPECT_EQ(lines(logger.standard_path()), 2u);
}

TEST(Logger, NotesReachTheConsoleOnlyAtVerboseTwoAndAlwaysTheStandardLog) {
  for (int verbose : {0, 1, 2}) {
    LogDir dir;
    std::ostringstream console;
    CountingClock clock;
    LoggerOptions options = file_options(console, clock, dir);
    options.verbose = verbose;
    Logger logger(options);
    logger.note("Location DK from the region option.");
    EXPECT_EQ(console.str(),
              verbose >= 2 ? "CarbonTracker: Location DK from the region option.\n" : "")
        << verbose;
    std::string standard = slurp(logger.standard_path());
    EXPECT_NE(standard.find(" - Location DK from the region option.\n"), std::string::npos);
    EXPECT_EQ(lines(logger.output_path()), 0u);  // the output log mirrors verbose 1
  }
}

TEST(Logger, AHoldWritesTheLinesWhenTheOutermostHoldEnds) {
  LogDir dir;
  std::ostringstream console;
  CountingClock clock;
  Logger logger(file_options(console, clock, dir));
  {
    Logger::Hold outer(logger);
    logger.info("one");
    logger.output("two");
    {
      Logger::Hold inner(logger);
      logger.info("three");
    }
    logger.err(LogLevel::kWarning, "four");
    EXPECT_EQ(lines(logger.standard_path()), 0u);
    EXPECT_EQ(lines(logger.output_path()), 0u);
    EXPECT_EQ(lines(logger.err_path()), 0u);
    // The console is not held.
    EXPECT_NE(console.str().find("CarbonTracker: two"), std::string::npos);
  }
  std::string standard = slurp(logger.standard_path());
  EXPECT_EQ(lines(logger.standard_path()), 2u);
  EXPECT_LT(standard.find(" - one\n"), standard.find(" - three\n"));
  EXPECT_EQ(lines(logger.output_path()), 1u);
  EXPECT_NE(slurp(logger.err_path()).find("WARNING - four"), std::string::npos);
}

TEST(Logger, FlushWritesWhatAHoldKeeps) {
  LogDir dir;
  std::ostringstream console;
  CountingClock clock;
  Logger logger(file_options(console, clock, dir));
  Logger::Hold hold(logger);
  logger.info("before the question");
  logger.flush();
  EXPECT_EQ(lines(logger.standard_path()), 1u);
  logger.info("after");
  EXPECT_EQ(lines(logger.standard_path()), 1u);
}

TEST(Logger, DestructionWritesWhatAHoldKeeps) {
  LogDir dir;
  std::ostringstream console;
  CountingClock clock;
  std::string path;
  {
    auto logger = std::make_unique<Logger>(file_options(console, clock, dir));
    path = logger->standard_path();
    auto hold = std::make_unique<Logger::Hold>(*logger);
    logger->info("kept");
    hold.reset();
  }
  EXPECT_EQ(lines(path), 1u);
}

TEST(Logger, AFullDiskIsSaidOnceAndTheOtherFilesGoOn) {
  LogDir dir;
  std::ostringstream console;
  CountingClock clock;
  Logger logger(file_options(console, clock, dir));
  int fd = fd_of(logger.standard_path());
  ASSERT_GE(fd, 0);
  int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(full, 0);
  ASSERT_EQ(::dup2(full, fd), fd);  // every write to the standard log now fails: ENOSPC
  ::close(full);
  {
    Logger::Hold hold(logger);
    logger.info("lost");
    logger.output("kept");
  }
  logger.info("also lost");
  logger.output("kept too");
  std::string text = console.str();
  size_t at = text.find("Cannot write log file " + logger.standard_path() +
                        ": No space left on device. Logging to it stopped");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_EQ(text.find("Cannot write log file", at + 1), std::string::npos) << text;
  EXPECT_EQ(lines(logger.output_path()), 2u);
}

}  // namespace
}  // namespace carbontracker
