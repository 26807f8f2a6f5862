// `carbontracker --parse DIR [--format text|json] [--by job|host] [--recursive]`
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "carbontracker/parser.h"

namespace carbontracker {

// Runs the parse command. `args` are the command-line tokens from `--parse`
// on (a leading "--parse" is optional; "--parse=DIR" works too):
//   DIR                 the log directory (required)
//   --format text|json  text (default): the original's aggregate sentence;
//                       json: {"logs": [...] (one run per line), "aggregate": {...},
//                       "sentence": "...", "warnings": [...]}
//   --by job|host       per Slurm job (or per host) totals with a per-node
//                       (per-job) breakdown; implies --recursive
//   --recursive, -r     also read subdirectories
// Results go to `out`; each skipped file is one "carbontracker: warning: "
// line on `err`. Returns 0 on success (warnings included), 1 when DIR cannot
// be read, 2 on a usage error (the message on `err`).
int run_parse_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

namespace parser {

// One group of runs for --by.
struct GroupTotal {
  std::string key;    // job id or host name; "unknown" without metadata
  std::string label;  // job name (for --by job), else empty
  Aggregate total;
  // Breakdown: per host (for --by job) or per job (for --by host).
  std::vector<std::pair<std::string, Aggregate>> parts;
};

enum class GroupBy { kJob, kHost };

// Groups runs by SLURM_JOB_ID or host name; runs without the metadata go to
// the group "unknown". Groups and parts are sorted by key, "unknown" last.
std::vector<GroupTotal> group_runs(const std::vector<LogResult>& runs, GroupBy by);

}  // namespace parser
}  // namespace carbontracker
