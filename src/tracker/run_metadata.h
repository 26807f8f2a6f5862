// The run's metadata (model/run_metadata.h) as the tracker collects it, and
// its one-line form for the standard log.
#pragma once

#include <string>

#include "carbontracker/environment.h"
#include "model/run_metadata.h"

namespace carbontracker {

// The library version, the host name (gethostname; empty if it fails) and
// the cluster variables of kClusterVars present in env.vars.
RunMetadata collect_run_metadata(const Environment& env);

// The variables collect_run_metadata looks for, in this order.
extern const char* const kClusterVars[6];

// Compact one-line JSON object {"hostname": ..., "SLURM_JOB_ID": ..., ...}
// for the standard log's `Run metadata: {...}` line (hostname first, then
// the cluster variables). Invalid UTF-8 is replaced, never thrown on.
std::string run_metadata_json(const RunMetadata& meta);

}  // namespace carbontracker
