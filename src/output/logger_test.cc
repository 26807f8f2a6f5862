#include "output/logger.h"

#include <gtest/gtest.h>

#include <atomic>
#include <sstream>

#include "common/clock.h"

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

}  // namespace
}  // namespace carbontracker
