// ct_tracker_create's options_json as TrackerOptions (doc/c-api.md lists the
// options).
#pragma once

#include "carbontracker/tracker.h"

namespace carbontracker::capi {

// Where the tracker's console text goes: stdout, or kept until
// ct_tracker_take_output takes it.
enum class ConsoleMode { kStdout, kBuffer };

// Throws Error(kInvalidArgument) naming the option for an unknown option or
// a value of the wrong type.
TrackerOptions parse_options(const char* text, ConsoleMode* console);

}  // namespace carbontracker::capi
