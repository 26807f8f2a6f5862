// InternalOptions: validation and the effective epoch counts (options.cc).
#include <gtest/gtest.h>

#include <sstream>
#include <type_traits>

#include "carbontracker/tracker.h"
#include "tracker/tracker_test_util.h"

namespace carbontracker {
namespace {

using namespace carbontracker::tracker_test;

// Whether T has a member `name` (data member or function).
#define CT_HAS_MEMBER(trait, name)       \
  template <typename T, typename = void> \
  struct trait : std::false_type {};     \
  template <typename T>                  \
  struct trait<T, std::void_t<decltype(&T::name)>> : std::true_type {};
CT_HAS_MEMBER(HasEnvironment, environment)
CT_HAS_MEMBER(HasConsole, console)
CT_HAS_MEMBER(HasClock, clock)
CT_HAS_MEMBER(HasCommand, command)
CT_HAS_MEMBER(HasTrackedPid, tracked_pid)
CT_HAS_MEMBER(HasDeferSamplingThread, defer_sampling_thread)
CT_HAS_MEMBER(HasDiscardEpoch, discard_epoch)
CT_HAS_MEMBER(HasStartSamplingIfDue, start_sampling_if_due)
#undef CT_HAS_MEMBER

TrackerOptions public_options() {
  TrackerOptions o;
  o.epochs = 1;
  o.sim_cpu = "Test CPU";
  o.sim_cpu_tdp = 10;
  o.components = "cpu";
  o.offline = true;
  o.verbose = 0;
  return o;
}

TEST(TrackerOptions, TheWrappersKnobsAreOnlyInThePrivateHeader) {
  static_assert(!HasEnvironment<TrackerOptions>::value && HasEnvironment<InternalOptions>::value);
  static_assert(!HasConsole<TrackerOptions>::value && HasConsole<InternalOptions>::value);
  static_assert(!HasClock<TrackerOptions>::value && HasClock<InternalOptions>::value);
  static_assert(!HasCommand<TrackerOptions>::value && HasCommand<InternalOptions>::value);
  static_assert(!HasTrackedPid<TrackerOptions>::value && HasTrackedPid<InternalOptions>::value);
  static_assert(!HasDeferSamplingThread<TrackerOptions>::value &&
                HasDeferSamplingThread<InternalOptions>::value);
  static_assert(!HasDiscardEpoch<Tracker>::value && HasDiscardEpoch<InternalTracker>::value);
  static_assert(!HasStartSamplingIfDue<Tracker>::value &&
                HasStartSamplingIfDue<InternalTracker>::value);
  // A program using the public header alone: stdout, the system clock and
  // the process environment.
  Tracker t(public_options());
  EXPECT_TRUE(t.monitoring());
  t.stop();
  EXPECT_TRUE(t.result().finished);
}

TEST(TrackerOptions, InvalidCombinationsAreRejectedWithTheReason) {
  TempDir dir;
  std::ostringstream console;
  auto expect_invalid = [&](InternalOptions o, const std::string& message) {
    try {
      InternalTracker t(o);
      FAIL() << "accepted: " << message;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_EQ(std::string(e.what()), message);
    }
  };
  InternalOptions o = sim_options(dir, console);
  o.monitor_epochs = 0;
  expect_invalid(
      o, "Argument monitor_epochs expected a value in {-1, >0, >=epochs_before_pred}, got 0.");
  o = sim_options(dir, console);
  o.epochs_before_pred = 3;
  o.monitor_epochs = 2;
  expect_invalid(
      o, "Argument monitor_epochs expected a value in {-1, >0, >=epochs_before_pred}, got 2.");
  o = sim_options(dir, console);
  o.epochs_before_pred = -1;  // = epochs (4) > monitor_epochs (1)
  expect_invalid(
      o, "Argument monitor_epochs expected a value in {-1, >0, >=epochs_before_pred}, got 1.");
  o = sim_options(dir, console);
  o.sim_cpu_tdp.reset();
  expect_invalid(
      o, "When using simulated CPU (sim_cpu), you must also specify the CPU TDP (sim_cpu_tdp)");
  o = sim_options(dir, console);
  o.sim_gpu_watts.reset();
  expect_invalid(o,
                 "When using simulated GPU (sim_gpu), you must also specify the GPU power "
                 "consumption (sim_gpu_watts)");
  o = sim_options(dir, console);
  o.sim_cpu_util = 1.5;
  expect_invalid(o, "CPU utilization must be between 0.0 and 1.0.");
  o = sim_options(dir, console);
  o.sim_gpu_watts = -400;
  expect_invalid(o, "GPU watts must be a non-negative number.");
  o = sim_options(dir, console);
  o.sim_cpu = " ";
  expect_invalid(o, "CPU name must be a non-empty string.");
  o = sim_options(dir, console);
  o.components = "tpu";
  expect_invalid(
      o, "Component name tpu is invalid. Components must be 'all', 'cpu', 'gpu' or 'gpu,cpu'.");
  o = sim_options(dir, console);
  o.epochs = 0;
  expect_invalid(o, "Argument epochs expected a value > 0, got 0.");
  o = sim_options(dir, console);
  o.update_interval = 0;
  expect_invalid(o, "Argument update_interval expected a number of seconds > 0, got 0.");
}

TEST(TrackerOptions, MinusOneMeansAllEpochs) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);
  o.epochs = 2;
  o.epochs_before_pred = -1;
  o.monitor_epochs = -1;
  InternalTracker t(o);
  for (int i = 0; i < 2; ++i) {
    t.epoch_start();
    t.epoch_end();
  }
  EXPECT_FALSE(t.monitoring());
  std::string out = console.str();
  EXPECT_NE(out.find("Predicted consumption for 2 epoch(s):"), std::string::npos);
  EXPECT_NE(out.find("Actual consumption for 2 epoch(s):"), std::string::npos);
  EXPECT_LT(out.find("Predicted consumption"), out.find("Actual consumption"));
}

}  // namespace
}  // namespace carbontracker
