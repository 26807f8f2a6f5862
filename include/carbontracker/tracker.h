// The tracker: the original carbontracker's CarbonTracker class in C++.
//
//   carbontracker::TrackerOptions opt;
//   opt.epochs = 10;
//   carbontracker::Tracker tracker(opt);
//   for (int e = 0; e < 10; ++e) {
//     tracker.epoch_start();
//     train_one_epoch();
//     tracker.epoch_end();
//   }
//   tracker.stop();
//
// After `epochs_before_pred` epochs the predicted consumption of all `epochs`
// is printed; after `monitor_epochs` epochs the actual consumption is printed
// and monitoring ends. stop() ends monitoring early and reports what was
// measured, including an epoch still in progress (as a partial epoch).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "carbontracker/error.h"
#include "carbontracker/results.h"
#include "carbontracker/version.h"

namespace carbontracker {

struct TrackerOptions {
  // Total epochs planned; required, > 0. Used for the prediction.
  int epochs = 0;
  // Epochs after which the prediction is printed; 0 = never, -1 = `epochs`.
  int epochs_before_pred = 1;
  // Epochs after which the actual consumption is printed and monitoring ends;
  // -1 = `epochs`. Must be > 0 (after mapping) and >= epochs_before_pred.
  int monitor_epochs = 1;
  // Seconds between two sampling ticks. Energy counters are also read at every
  // epoch boundary, so per-epoch energy does not depend on it. Must be > 0.
  double update_interval = 10.0;
  // Print the "This is equivalent to: ... km travelled by car" lines.
  bool interpretable = true;
  // After the prediction, ask "Continue training (y/n)?" through `confirm`.
  bool stop_and_confirm = false;
  // On a failure, log one message, stop monitoring and let training continue
  // instead of throwing.
  bool ignore_errors = false;
  // "all", "cpu", "gpu", "node" or a list such as "gpu,cpu" (spaces and case
  // ignored). "node" is a platform power meter's figure (hwmon), reported
  // beside the others and never in the totals; "all" includes it where found.
  std::string components = "all";
  // GPUs: keep only those running the tracked process or its descendants.
  bool devices_by_pid = false;
  // Directory for the log files (created); empty = console only.
  std::string log_dir;
  std::string log_file_prefix;
  // > 0: output messages are also printed to the console.
  int verbose = 1;
  // Digits after the point in the consumption blocks.
  int decimal_precision = 6;
  // {"electricitymaps": KEY}; names are case-insensitive.
  std::map<std::string, std::string> api_keys;

  // Simulated hardware (constant watts x utilisation, as the original 2.3).
  std::optional<std::string> sim_cpu;
  std::optional<double> sim_cpu_tdp;
  std::optional<double> sim_cpu_util;  // default 0.5
  std::optional<std::string> sim_gpu;
  std::optional<double> sim_gpu_watts;
  std::optional<double> sim_gpu_util;  // default 0.5

  // Power usage effectiveness multiplying every reported total.
  double pue = 1.58;
  // Region for the carbon intensity (zone or country code); empty = detect.
  std::string region;
  // No network access at all.
  bool offline = false;
  // Seconds between two refreshes of a live carbon intensity.
  double intensity_refresh_interval = 900.0;
  // Under a distributed launcher (torchrun, Slurm, Open MPI, MPICH/Intel
  // MPI): "auto" = one process per node measures (local rank 0, or the first
  // to take a node-local lock keyed by the job); the others measure nothing,
  // print nothing (verbose >= 2: one line saying who measures) and write no
  // logs, and their result().distributed says who measures for them.
  // "off" = every process measures what it sees (a node is counted once per
  // process), which is said in the output.
  std::string distributed = "auto";
  // Write the run's JSON record here when monitoring ends; empty = none.
  std::string json_path;
  // Live metrics in the Prometheus text format (README, "Live metrics"):
  // an HTTP endpoint /metrics on this TCP port while the tracker lives
  // (0 = none; 1..65535), bound to metrics_address (an IPv4 or IPv6 literal),
  // and/or the same text written atomically to metrics_textfile at each tick
  // (empty = none), for node_exporter's textfile collector. A port in use or
  // a failing write is said once; measuring goes on.
  int metrics_port = 0;
  std::string metrics_address = "127.0.0.1";
  std::string metrics_textfile;
  // A status line on stderr, redrawn at each tick, when stderr is a terminal
  // and verbose > 0 (README, "Progress line").
  bool progress = false;

  // Reads one answer line for stop_and_confirm; nullopt = end of input.
  // Unset = read a line from stdin.
  std::function<std::optional<std::string>()> confirm;
  // Called after every completed epoch with the result so far (on the caller's thread).
  std::function<void(const RunResult&)> on_epoch;
};

class Tracker {
 public:
  // Validates the options (Error kInvalidArgument with the reason), finds the
  // devices and starts the sampling thread. With ignore_errors, a failure other
  // than invalid options leaves a tracker that does nothing.
  explicit Tracker(TrackerOptions options);
  ~Tracker();  // stop()s if still monitoring; joins every thread.
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  // Marks the start of an epoch. A second call without epoch_end() restarts
  // the epoch, with one warning.
  void epoch_start();
  // Marks the end of an epoch; prints the prediction and the actual
  // consumption when their epoch is reached. Without an epoch started it is
  // ignored, with one warning (no epoch of 0 seconds is counted).
  void epoch_end();
  void stop();
  // Sets API keys for live intensity sources ({"electricitymaps": KEY}).
  void set_api_keys(const std::map<std::string, std::string>& keys);

  // A snapshot of everything measured so far.
  RunResult result() const;
  bool monitoring() const;

 protected:
  class Impl;  // src/tracker/tracker_impl.h
  explicit Tracker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace carbontracker
