// The one private header through which the C interface, and so the Python
// package that loads it, reaches the core beyond the public headers
// (carbontracker/tracker.h, carbontracker/parser.h): the tracker's private
// side (InternalTracker, InternalOptions: the console seam) and the
// functions below. core.cc is the only other file of src/capi/ that includes
// the core's own headers.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "carbontracker/results.h"
#include "tracker/tracker_internal.h"

namespace carbontracker::capi::core {

// The run's record, as --json writes it.
nlohmann::json run_record(const RunResult& result);

// A standard log's text read: components, epoch durations, early stop, the
// lines recognised and the problems found.
nlohmann::json read_std_log(std::string_view text);
// An output log's text read: the actual and predicted consumption blocks,
// components, the lines recognised and the problems found.
nlohmann::json read_output_log(std::string_view text);

// One file of a run handed in as text: an empty path when the run lacks
// it; no text when it could not be read, with `problem` saying why.
struct RunFile {
  std::string path;
  std::optional<std::string> text;
  std::string problem;
};
// One run as parse_all_logs reads it, as JSON; null when nothing of it is
// usable. Warnings name the files.
nlohmann::json read_run(const RunFile& std_log, const RunFile& output_log, const RunFile& jsonl,
                        std::vector<std::string>* warnings);

// "H:MM:SS" or "H:MM:SS.ss" in seconds.
std::optional<double> parse_duration(std::string_view text);

// Whether a report file name ends in a format the report knows.
bool report_format_known(const std::string& output);
// Writes the report of the logs under path to output; returns its warnings.
std::vector<std::string> write_report(const std::string& path, const std::string& output);

// The wrapper's main (args[0] is the program name); returns its exit status.
int run_cli(const std::vector<std::string>& args);

// Threads of the library that are running.
int running_library_threads();

}  // namespace carbontracker::capi::core
