// The command-line wrapper: carbontracker [options] [--] command args...
// Shared by the carbontracker binary and `python -m carbontracker`.
#pragma once

#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/child_process.h"

namespace carbontracker {

// Runs the CLI: parses args (args[0] is the program name) and either parses
// logs (--parse), writes a report (--report) or runs the command under a
// tracker. Returns the exit status: the command's status (128+signal when
// killed), 127 when it cannot be started, 70 when the tracker fails, 2 on a
// usage error. handlers: see SignalHandlers.
int run_cli(const std::vector<std::string>& args,
            SignalHandlers handlers = SignalHandlers::kRestore);

}  // namespace carbontracker
