// Reading carbontracker log directories: the original's parser API
// (carbontracker/parser.py) with its inputs, result keys and units, minus its
// bugs.
//
//   auto logs = carbontracker::parser::parse_all_logs("./logs");
//   carbontracker::parser::print_aggregate("./logs");  // the paper sentence
//
// Reads the original's 1.x and 2.x text logs and ours. When a run also has
// our machine-readable `..._carbontracker.jsonl` file, its exact figures are
// used instead of the rounded text.
//
// Bad input never throws: a file that cannot be read or holds nothing usable
// is skipped and a warning naming it is added to the `warnings` list (or
// written to the given stream). Only a log directory that parse_all_logs
// cannot read is an error (Error kIo), because then there is nothing to
// report.
#pragma once

#include <iosfwd>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "carbontracker/uncertainty.h"

namespace carbontracker::parser {

// One component ("gpu", "cpu", ...) of one run, as parse_logs returns it.
struct ComponentLog {
  // Per epoch, the values of the "Average power usage (W) for c:" line
  // (usually one; `None` reads as 0.0, like the original). nullopt when the
  // log holds no power line for this component.
  std::optional<std::vector<std::vector<double>>> avg_power_usages_w;
  // Per epoch, power x duration (J, without PUE); nullopt when either the
  // powers or the durations are missing.
  std::optional<std::vector<std::vector<double>>> avg_energy_usages_j;
  // Per epoch, seconds; nullopt when the log holds no Duration line.
  std::optional<std::vector<double>> epoch_durations_s;
  // Device names as listed in the components line (dots kept, no padding).
  std::vector<std::string> devices;
};

// Components in the order they are listed in the log (GPU first, then CPU).
using Components = std::vector<std::pair<std::string, ComponentLog>>;

// A "Predicted consumption" or "Actual consumption" block.
struct ConsumptionLog {
  int epochs = 0;
  std::optional<double> duration_s;  // nullopt if the Time field did not parse
  double energy_kwh = 0;             // with PUE
  double co2eq_g = 0;                // with PUE
  // Insertion-ordered {unit: value}; nullopt when the block has no
  // "This is equivalent to:" part (interpretable=false).
  std::optional<std::vector<std::pair<std::string, double>>> equivalents;
  // The interval of energy_kwh and co2eq_g (JSONL schema 3, doc/uncertainty.md);
  // nullopt for logs written before intervals existed (JSONL schema 1 and 2,
  // every text log).
  std::optional<Uncertainty> uncertainty{};
};

// Run metadata from our logs (JSONL run_start or the "Run metadata:" line).
struct RunInfo {
  std::string version;  // "carbontracker version X" or the JSONL version
  std::string hostname;
  std::map<std::string, std::string> cluster;  // SLURM_JOB_ID, RANK, ...
  bool has_metadata = false;                   // hostname or cluster variables were found
};

// One run (a standard/output pair, or our JSONL file), as parse_all_logs
// returns it.
struct LogResult {
  std::string output_filename;    // empty when the run has no output log
  std::string standard_filename;  // empty when the run has no standard log
  std::string jsonl_filename;     // empty unless the figures come from JSONL
  Components components;
  bool early_stop = false;
  std::optional<ConsumptionLog> actual;
  std::optional<ConsumptionLog> pred;
  RunInfo info;
  // Per epoch, the interval of the epoch's figures (kWh and g, with PUE);
  // empty unless the JSONL file has them and per-epoch figures were asked for.
  std::vector<std::optional<Uncertainty>> epoch_uncertainties{};
};

struct Aggregate {
  double energy_kwh = 0;
  double co2eq_g = 0;
  std::vector<std::pair<std::string, double>> equivalents;  // summed by unit
  int runs = 0;                                             // runs that contributed a figure
  // The interval of the sums: each run's terms, those of one correlation key
  // (one PUE, one table intensity) added linearly across runs, the others
  // in quadrature. nullopt when no run has an interval.
  std::optional<Uncertainty> uncertainty{};
  int runs_with_uncertainty = 0;  // runs whose figure came with an interval
};

struct ParseOptions {
  bool recursive = false;  // also read subdirectories
  // Fill ComponentLog's per-epoch figures. The aggregate does not need them;
  // without them our JSONL files are read about twice as fast.
  bool per_epoch = true;
  // Read the standard text logs (components, epoch durations, early stop,
  // run metadata). The aggregate needs only the output logs' consumption
  // blocks: false halves the files a directory of text logs costs (and a
  // broken standard log then goes unnoticed).
  bool standard_logs = true;
};

// The original's parse_logs: the components of the standard log
// `log_dir/std_log_file` (the output file name is accepted for
// compatibility and not read, as in the original). With either name empty,
// the most recently modified standard log in log_dir is used; none found (or
// no such directory) gives an empty result and a warning.
Components parse_logs(const std::string& log_dir, const std::string& std_log_file = "",
                      const std::string& output_log_file = "",
                      std::vector<std::string>* warnings = nullptr);

// One entry per run in log_dir, sorted by file name. Standard and output
// files are paired by their common stem; a JSONL file with the same stem
// supplies exact figures. Unreadable or unusable files are skipped with a
// warning.
std::vector<LogResult> parse_all_logs(const std::string& log_dir,
                                      std::vector<std::string>* warnings = nullptr,
                                      const ParseOptions& options = {});

// Which block of a run counts toward the aggregate: the actual consumption
// when there is one, else the prediction; nullptr when neither exists.
const ConsumptionLog* chosen_consumption(const LogResult& run);

// Sums chosen_consumption() over runs (NaN CO2 is skipped, as the original).
Aggregate aggregate(const std::vector<LogResult>& runs);
// Adds one run's chosen_consumption() to `total` (no-op when it has none).
void accumulate(Aggregate& total, const LogResult& run);

// The original's aggregate_consumption over the runs of log_dir.
Aggregate aggregate_consumption(const std::string& log_dir,
                                std::vector<std::string>* warnings = nullptr,
                                const ParseOptions& options = {});

// The original's sentence: "The training of models in this work is
// estimated to use ... Measured by carbontracker (https://...)." (no newline).
std::string aggregate_sentence(const Aggregate& total);

// The sentence that follows aggregate_sentence() when some run has an
// interval: "With expanded uncertainties (k = 2, about 95 %), the energy is
// X +/- U kWh (+/-R %) and the CO2eq Y +U+/-U- kg (+R+/-R- %); the largest
// contributions are ... for the energy and ... for the CO2eq." (each side
// given when the two print differently) and, when some runs have none, how
// many. Empty when no run has an interval.
std::string uncertainty_sentence(const Aggregate& total);

// A note for runs without intervals, e.g. "3 of 5 runs carry no uncertainty
// interval (their logs predate them: JSONL schema 1 or 2, or text logs)";
// empty when every run has one.
std::string missing_uncertainty_note(const Aggregate& total);

// Prints aggregate_sentence() and a newline to `out` (stdout when null);
// warnings go to `err` (stderr when null).
void print_aggregate(const std::string& log_dir, std::ostream* out = nullptr,
                     std::ostream* err = nullptr, const ParseOptions& options = {});

// The original's dictionaries, with the same keys and units:
//   {"output_filename", "standard_filename", "components": {c: {
//    "avg_power_usages (W)", "avg_energy_usages (J)", "epoch_durations (s)",
//    "devices"}}, "early_stop", "actual", "pred"}
// with "actual"/"pred" = {"epochs", "duration (s)", "energy (kWh)",
// "co2eq (g)", "equivalents"} or null; "uncertainty" is added to a block
// only when it has one (log_uncertainty.h shows its shape). A missing file name is null.
// LogResult additionally gets "jsonl_filename" and "run_metadata" (only
// when present), which the original does not have.
nlohmann::json to_json(const ComponentLog& c);
nlohmann::json to_json(const Components& c);
nlohmann::json to_json(const ConsumptionLog& c);
nlohmann::json to_json(const LogResult& r);
nlohmann::json to_json(const std::vector<LogResult>& runs);
// {"energy (kWh)", "co2eq (g)", "equivalents": {...}, "runs",
//  "uncertainty": {...} or null, "runs_with_uncertainty"}
nlohmann::json to_json(const Aggregate& a);

}  // namespace carbontracker::parser
