// Live metrics in the Prometheus text exposition format (version 0.0.4, which
// OpenMetrics scrapers read too): one text, re-rendered whenever the figures
// change (each sampling tick, each epoch end, the prediction), served by the
// HTTP endpoint (metrics_server.h) and written to the textfile.
//
// Names carry base units (joules, grams, watts) and counters end in _total.
// Energy and CO2eq are per device and without PUE (the measured figures);
// carbontracker_pue gives the factor of the reported totals.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "carbontracker/results.h"

namespace carbontracker {

struct Snapshot;
struct TickSample;
class MetricsServer;

// Labels on every series where known (empty = left out).
struct MetricsLabels {
  std::string job;   // SLURM_JOB_ID
  std::string node;  // the host name
  std::string rank;  // SLURM_PROCID, else RANK
};

// Everything the text shows.
struct MetricsState {
  std::string version;
  MetricsLabels labels;
  std::vector<DeviceInfo> devices;
  std::vector<double> energy_j;                // per device, accumulated, no PUE
  std::vector<double> co2_g;                   // per device, accumulated, no PUE
  std::vector<std::optional<double>> power_w;  // per device, over the last tick
  std::optional<double> intensity_g_per_kwh;
  std::string intensity_location;
  double pue = 1.58;
  int epochs_completed = 0;
  int epochs_planned = 0;
  std::optional<double> predicted_energy_j;  // with PUE, all planned epochs
  std::optional<double> predicted_co2_g;     // with PUE, all planned epochs
  // Relative expanded uncertainties (the half-width of the k = 2 interval,
  // about 95 %, the mean of its two sides, divided by the figure) of the
  // run's totals so far (with PUE, summed over devices) and of the
  // prediction; nullopt when no interval is known.
  std::optional<double> energy_relative_uncertainty, co2_relative_uncertainty;
  std::optional<double> predicted_energy_relative_uncertainty, predicted_co2_relative_uncertainty;
};

// The exposition text of `state`: HELP and TYPE for each metric family, then
// its samples. Families without a value yet (no tick, no prediction) are left
// out entirely.
std::string render_metrics(const MetricsState& state);

// A label value escaped per the exposition format: backslash, double quote
// and line feed become \\, \" and \n.
std::string escape_label_value(const std::string& value);

// Writes `text` to `path` atomically: a temporary file in the same directory,
// then rename(2), so a reader (node_exporter's textfile collector) never sees
// half a file. Returns an empty string, or the error naming the path.
std::string write_file_atomically(const std::string& path, const std::string& text);

struct LiveMetricsOptions {
  int port = 0;  // 0: no endpoint
  std::string address = "127.0.0.1";
  std::string textfile;  // empty: none
};

// The live outputs of one tracker: the state, the endpoint and the textfile.
// Thread-safe; its updates are quick (render + one write of the textfile).
class LiveMetrics {
 public:
  // Starts the endpoint when options.port > 0. A failure (port in use, bad
  // address) is said once through say() and leaves the textfile and the
  // measurement going.
  LiveMetrics(MetricsState initial, const LiveMetricsOptions& options,
              std::function<void(const std::string&)> say);
  ~LiveMetrics();  // stops and joins the endpoint's thread
  LiveMetrics(const LiveMetrics&) = delete;
  LiveMetrics& operator=(const LiveMetrics&) = delete;

  // On the sampling thread: totals, power over the interval, intensity.
  void on_tick(const TickSample& sample);
  // At an epoch end: the exact totals read at the boundary.
  void on_epoch_end(const Snapshot& totals, int epochs_completed);
  // The prediction's figures and, when it has one, its interval.
  void on_prediction(const Consumption& predicted);
  // After on_epoch_end: the epoch's figures and interval (EpochRecord's
  // uncertainty is with PUE, its energies without) added to those of the
  // epochs before, for the relative uncertainty gauges. No-op for a record
  // without an interval.
  void on_epoch_interval(const EpochRecord& record, double pue);

  // The current exposition text.
  std::string text() const;
  // The endpoint's port; 0 when there is none (not asked for, or failed).
  int port() const;

 private:
  void update_tick(const TickSample& sample);
  // Runs change() on the state under the lock, renders, writes the textfile.
  template <typename F>
  void update(F&& change) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      change();
      text_ = render_metrics(state_);
    }
    write_textfile();
  }
  void write_textfile();

  mutable std::mutex mu_;  // guards state_, text_ and the sums below
  MetricsState state_;
  Uncertainty measured_interval_;             // the epochs' intervals summed
  double measured_kwh_ = 0, measured_g_ = 0;  // the epochs' figures, with PUE
  std::string text_;
  const std::string textfile_;
  std::mutex file_mu_;  // guards the textfile and textfile_said_
  bool textfile_said_ = false;
  std::function<void(const std::string&)> say_;
  std::unique_ptr<MetricsServer> server_;
};

// The labels of the process environment's run (SLURM_JOB_ID, SLURM_PROCID or
// RANK) and host name.
MetricsLabels metrics_labels(const std::string& hostname,
                             const std::function<std::string(const std::string&)>& var);

}  // namespace carbontracker
