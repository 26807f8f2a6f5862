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
//   --by job|host       per job (or per host) totals with a per-node
//                       (per-job) breakdown; implies --recursive. --by job
//                       also warns about missing and duplicate nodes
//                       (check_jobs), on `err` and in the JSON "warnings"
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
  // Breakdown: per node (for --by job) or per job (for --by host).
  std::vector<std::pair<std::string, Aggregate>> parts;
};

enum class GroupBy { kJob, kHost };

// Per job (and Slurm step): "job 12: 2 nodes of 4 have logs ..." when fewer
// nodes have logs than the launcher said the job ran on (metadata "nodes" or
// SLURM_JOB_NUM_NODES), and "... appears in 2 logs ..." for a node (metadata
// "node") with more than one log; logs without "node" (older versions,
// where several logs of a host may be successive runs) are not counted as
// duplicates. Runs without a job are not checked.
std::vector<std::string> check_jobs(const std::vector<LogResult>& runs);

// Groups runs by job ("job" in the run metadata, else SLURM_JOB_ID) or host
// name; for --by job the parts are nodes: "HOST (node N)" where the metadata
// gives the node's index, else the host; runs without the metadata go to
// the group "unknown". Groups and parts are sorted by key, "unknown" last.
std::vector<GroupTotal> group_runs(const std::vector<LogResult>& runs, GroupBy by);

}  // namespace parser
}  // namespace carbontracker
