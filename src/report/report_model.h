// What a report shows, read from a log file or a log directory: the
// aggregate over the runs (the figures and sentence of `--parse`) and one
// section per run. Built on the parser (carbontracker/parser.h), so the
// report's totals are the parser's; our JSONL files add per-device energy
// with provenance, the intensity values used, per-epoch CO2eq and (schema 2)
// the per-tick power samples.
//
// Nothing here invents figures: what a log does not hold stays empty
// (nullopt, empty vectors), and `notes` says what is missing and why.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "carbontracker/parser.h"

namespace carbontracker::report {

struct DeviceRow {
  std::string name;
  std::string component;           // "gpu", "cpu"
  std::string provenance;          // "measured", "estimated", "simulated", or "not recorded"
  std::string source;              // the counter, sensor or model; empty when not recorded
  std::optional<double> energy_j;  // over the recorded epochs, without PUE
};

struct EpochRow {
  int index = 0;  // 1-based
  bool partial = false;
  double duration_s = 0;
  // Energy per component (J, without PUE), in the order of RunReport::components.
  std::vector<double> energy_j;
  // CO2eq of the epoch (g, without PUE); nullopt when the log holds no
  // intensity to convert with.
  std::optional<double> co2_g;
  // The intensity the epoch's CO2eq implies (g/kWh, energy-weighted);
  // nullopt when unknown or the epoch used no energy.
  std::optional<double> intensity_g_per_kwh;
  // The 95 % (k = 2) intervals of the epoch's energy (J) and CO2eq (g),
  // without PUE like the figures above: the epoch's interval (JSONL schema
  // 3) without its PUE terms, divided by the PUE. nullopt for logs without
  // intervals.
  std::optional<ExpandedInterval> energy_interval_j, co2_interval_g;
};

struct IntensityRow {
  double t_s = 0;  // seconds since the run started
  double g_per_kwh = 0;
  std::string source, location;
  bool forecast = false;
};

// Per-tick power (JSONL schema 2 `sample` lines), summed per component.
struct PowerSeries {
  std::vector<double> t_s;  // end of each tick, seconds since the run started
  // Per component (RunReport::components order): watts at each t_s.
  std::vector<std::vector<double>> power_w;
};

struct RunReport {
  std::string name;                // the file stem
  std::vector<std::string> files;  // the log files read
  std::string format;              // "JSONL (schema N)" or "text logs"
  std::string version, hostname, command;
  std::string start;   // JSONL: RFC 3339 UTC; text logs: first line's local time
  std::string status;  // "finished", "interrupted", "killed ..."
  std::optional<double> pue;
  std::optional<parser::ConsumptionLog> actual;  // with PUE, as printed
  std::optional<parser::ConsumptionLog> pred;
  // Recorded epochs summed (without PUE); nullopt without per-epoch figures.
  std::optional<double> energy_j, co2_g, duration_s;
  int epochs_completed = 0, epochs_recorded = 0, planned_epochs = 0;
  // The intensity: average used (g/kWh), its source and location.
  std::optional<double> intensity_g_per_kwh;
  std::string intensity_source, intensity_location;
  std::vector<IntensityRow> intensities;
  std::vector<std::string> components;     // "gpu", "cpu" in log order
  std::vector<double> component_energy_j;  // per component, without PUE (recorded epochs)
  std::vector<DeviceRow> devices;
  std::vector<EpochRow> epochs;
  std::optional<PowerSeries> power;  // nullopt when the log has no samples
  std::vector<std::string> notes;    // what is missing or derived, in plain words
};

struct Report {
  std::string path;  // what was given
  parser::Aggregate aggregate;
  // parser::aggregate_sentence(aggregate) and, when the runs have intervals,
  // parser::uncertainty_sentence(aggregate): what --parse prints.
  std::string sentence;
  std::vector<RunReport> runs;
  std::vector<std::string> warnings;  // the parser's and ours, each naming a file
};

// Reads `path`: a log directory (every run in it, as --parse does) or one
// log file (its run: the files sharing its stem). Throws Error(kIo) naming
// the path and the fix when it is neither, or holds no carbontracker run.
Report build_report(const std::string& path);

}  // namespace carbontracker::report
