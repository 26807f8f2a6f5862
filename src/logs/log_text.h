// In-memory readers for the text log files (standard and output) and the
// JSONL file. They take the whole file as text and never throw: whatever
// does not parse is ignored, and what is wrong is described in `problems`.
// File discovery and pairing live in parser.cc; the fuzz target drives
// these functions directly.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "carbontracker/parser.h"

namespace carbontracker::parser {

struct StdLogText {
  Components components;  // devices, powers, durations, energies
  // Every "Duration:" line, in order, whether or not a component is known.
  std::vector<double> epoch_durations_s;
  bool early_stop = false;  // "Training was interrupted" occurs
  int epoch_lines = 0;      // "Epoch n:" lines
  RunInfo info;
  bool recognized = false;  // at least one line written by a carbontracker
  std::vector<std::string> problems;
};

struct OutputLogText {
  std::optional<ConsumptionLog> actual;
  std::optional<ConsumptionLog> pred;
  bool actual_count_in_text = false;  // "Actual consumption for N epoch(s):"
  Components components;              // devices only, from the components line
  bool recognized = false;
  std::vector<std::string> problems;
};

StdLogText parse_std_log_text(std::string_view text);
OutputLogText parse_output_log_text(std::string_view text);

// A run read from our JSONL file. nullopt when the text holds no run_start
// line (not our file, or empty); `problems` then says why. With per_epoch
// false the components get their devices but no per-epoch figures (faster:
// epoch lines are not parsed when the file has its totals line).
struct JsonlRun {
  Components components;
  bool early_stop = false;
  std::optional<ConsumptionLog> actual;
  std::optional<ConsumptionLog> pred;
  RunInfo info;
  bool has_totals = false;
  int schema = 0;  // run_start.schema (1 when absent)
  // Per epoch, the interval of its figures (with PUE); empty when no epoch
  // line has one (schema 1 and 2, or per_epoch false).
  std::vector<std::optional<Uncertainty>> epoch_uncertainties;
};
std::optional<JsonlRun> parse_jsonl_text(std::string_view text, std::vector<std::string>* problems,
                                         bool per_epoch = true);

// The files of one run handed in as text, for callers that read files
// themselves (the Python package reads through Python's open(), so that
// file-system fakes work). A file the run lacks has an empty path; a file
// that could not be read has no text and `problem` says why.
struct RunFileText {
  std::string path;
  std::optional<std::string> text;
  std::string problem;
};
struct RunTexts {
  RunFileText std_log, output_log, jsonl;
};
// One run as parse_all_logs reads it (JSONL figures first, else the text
// logs); nullopt when nothing of it is usable. Warnings name the files.
std::optional<LogResult> read_run_texts(const RunTexts& run, const ParseOptions& options,
                                        std::vector<std::string>* warnings);

// Parsing helpers shared with the tests.
// "H:MM:SS" or "H:MM:SS.ss" (hours unbounded) in seconds.
std::optional<double> parse_duration_text(std::string_view text);
// The value of a power line: "300.0", "None" (0.0), "[136.86]",
// "[ 5.5 12.3]", "1e-05". Empty when nothing parses.
std::vector<double> parse_power_values(std::string_view text);
// The components line after "The following components were found:".
Components parse_components_line(std::string_view text);

}  // namespace carbontracker::parser
