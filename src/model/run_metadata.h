// Who ran what where: the run_start line of the JSONL log and the standard
// log's "Run metadata:" line. Collected by the tracker
// (tracker/run_metadata.h), written by the logs.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace carbontracker {

struct RunMetadata {
  std::string version, hostname, command;      // command empty for the library
  std::map<std::string, std::string> cluster;  // SLURM_JOB_ID, SLURM_PROCID, SLURM_NODEID,
                                               // SLURM_JOB_NAME, RANK, LOCAL_RANK when present
  nlohmann::json options;                      // the tracker options as given
};

}  // namespace carbontracker
