// The machine-readable record of a run (--json FILE and TrackerOptions::json_path).
// Schema: doc/json-format.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "carbontracker/results.h"

namespace carbontracker {

nlohmann::json run_to_json(const RunResult& result);

// Writes `record` to `path` atomically (temporary file + rename). Throws
// Error(kIo) naming the path when that fails.
void write_json_file(const std::string& path, const nlohmann::json& record);

}  // namespace carbontracker
