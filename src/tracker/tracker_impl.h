// Private to the tracker: Tracker::Impl, whose member functions are defined
// in tracker.cc (set-up, epochs, prediction, the end) and tracker_outputs.cc
// (epoch log lines, the confirmation dialogue, JSONL log, live metrics,
// progress line, the options recorded in the run metadata).
//
// The Impl holds the logger, the sampler (sensors, energy engine, sampling
// thread) and the intensity source. Epochs are windows between two snapshots
// of the sampler's accumulated energy; the snapshots read every counter, so
// per-epoch energy is exact whatever the sampling interval. Public methods run
// on the caller's thread; the sampler's thread only reads sensors and says
// messages through the logger.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "carbontracker/tracker.h"
#include "energy/sampler.h"
#include "intensity/source.h"
#include "logs/jsonl_writer.h"
#include "model/uncertainty_budget.h"
#include "output/logger.h"
#include "output/metrics.h"
#include "output/progress.h"
#include "tracker/options.h"
#include "tracker/tracker_internal.h"

namespace carbontracker {

class Tracker::Impl {
 public:
  explicit Impl(InternalOptions options);
  ~Impl();

  void epoch_start();
  void epoch_end();
  void stop();
  void discard_epoch();
  void set_api_keys(const std::map<std::string, std::string>& keys);
  RunResult result() const;
  bool monitoring() const { return monitoring_; }
  bool quiet() const { return quiet_; }
  double start_sampling_if_due() {
    return monitoring_ && sampler_ ? sampler_->start_thread_if_due() : -1;
  }

 private:
  void setup();
  void find_devices(std::vector<std::unique_ptr<Sensor>>& sensors);
  void handle_error(const std::exception& e);
  template <typename F>
  void guarded(F&& body);
  EpochRecord make_epoch(const Snapshot& start, const Snapshot& end, int index, bool partial,
                         const std::vector<IntensityRecord>& intensities);
  void log_epoch(const EpochRecord& e);
  void predict();
  void confirm();
  void finish(bool interrupted);
  void shutdown();
  // Says the intensity source's notes queued since the last call (location
  // found, a live source failing or recovering on its background thread).
  void say_intensity_notes();
  // On the sampling thread, after each of its ticks (Sampler::set_on_tick):
  // feeds what follows the run live. Must be quick and must not throw.
  void on_tick(const TickSample& sample);
  void start_metrics(const std::string& hostname);
  ProgressFigures progress_figures(const TickSample& sample);
  std::string location() const;
  // Runs f on the JSONL writer, if there is one. A failed write is said once
  // and ends the JSONL file, never the measurement.
  template <typename F>
  void jsonl(F&& f);
  void jsonl_new_intensities();
  nlohmann::json options_json() const;

  InternalOptions opt_;
  EffectiveOptions eff_;
  Environment env_;
  const Clock& clock_;
  std::ostream& console_;
  pid_t pid_ = 0;  // this process (asked once: a system call)
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<IntensitySource> intensity_;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<UncertaintyBudget> budget_;  // the terms of every figure's uncertainty
  std::mutex jsonl_mu_;                        // guards jsonl_ (written from both threads)
  std::unique_ptr<JsonlWriter> jsonl_;
  std::unique_ptr<LiveMetrics> metrics_;    // with metrics_port or metrics_textfile
  std::unique_ptr<ProgressLine> progress_;  // with progress, on a terminal
  double start_steady_s_ = 0;
  size_t jsonl_intensities_ = 0;  // intensity records already in the JSONL file

  mutable std::mutex mu_;  // guards the results below for result()
  RunResult run_;
  bool monitoring_ = false;
  // Another process of the distributed job measures this node: nothing is
  // measured, printed (below verbose 2) or written here.
  bool quiet_ = false;
  bool in_epoch_ = false;
  int completed_ = 0;
  Snapshot epoch_start_snap_;
};

template <typename F>
void Tracker::Impl::jsonl(F&& f) {
  std::string m;
  {
    // The sampling thread writes sample lines while the caller's thread
    // writes the others and may end the file.
    std::lock_guard<std::mutex> lock(jsonl_mu_);
    if (!jsonl_) return;
    try {
      f(*jsonl_);
      return;
    } catch (const std::exception& e) {
      m = std::string(e.what()) + " The JSONL log stops here; measuring goes on.";
      jsonl_.reset();
    }
  }
  logger_->err(LogLevel::kWarning, m);
  std::lock_guard<std::mutex> lock(mu_);
  run_.messages.push_back(m);
}

}  // namespace carbontracker
