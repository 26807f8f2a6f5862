// The tracker's private side: options and calls that only the project's own
// front ends use (the command-line wrapper, the C interface under the Python
// package, and the tests). A C++ program uses carbontracker/tracker.h alone.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "carbontracker/environment.h"
#include "carbontracker/tracker.h"

namespace carbontracker {

class Clock;

// TrackerOptions and the seams behind them.
struct InternalOptions : TrackerOptions {
  InternalOptions() = default;
  explicit InternalOptions(TrackerOptions options) : TrackerOptions(std::move(options)) {}

  // The command being tracked, recorded in the logs' run metadata (the
  // command-line wrapper sets it); empty for a program using the library.
  std::string command;
  // The process whose GPUs devices_by_pid looks for; 0 = this process.
  int tracked_pid = 0;
  // Hardware and service locations; unset = read from the process environment.
  std::optional<Environment> environment;
  // Console stream; nullptr = stdout.
  std::ostream* console = nullptr;
  // The time source of every duration and time stamp; nullptr = the system
  // clock (FakeClock, src/common/clock.h, in tests). It must outlive the
  // tracker.
  const Clock* clock = nullptr;
  // The sampling thread is not started with the tracker but by the first
  // start_sampling_if_due() call at or after its first tick (one
  // update_interval after the start): a run shorter than that starts no
  // thread. The caller must then call start_sampling_if_due() while it waits
  // (the command-line wrapper does, from its waiting loop). Epoch boundaries
  // read every device either way.
  bool defer_sampling_thread = false;
};

// A Tracker made from InternalOptions, with the wrapper's calls.
class InternalTracker : public Tracker {
 public:
  explicit InternalTracker(InternalOptions options);

  // Abandons the epoch in progress without counting it (set-up time the
  // command-line wrapper measured before the wrapped program's first marker).
  void discard_epoch();
  // With defer_sampling_thread: starts the sampling thread if its first tick
  // is due and returns -1; otherwise returns the seconds until it is due.
  // -1 when the thread runs or monitoring has ended.
  double start_sampling_if_due();
};

}  // namespace carbontracker
