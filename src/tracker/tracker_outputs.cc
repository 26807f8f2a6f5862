// What the tracker says and writes: the prediction after the monitored
// epochs, the epoch's log lines, the stop_and_confirm dialogue, the intensity source's
// notes, and, at each tick, the JSONL samples, live metrics and progress line.
#include <fmt/format.h>

#include <iostream>

#include "common/format.h"
#include "common/text.h"
#include "model/uncertainty_budget.h"
#include "output/console_text.h"
#include "output/json.h"
#include "tracker/prediction.h"
#include "tracker/tracker_impl.h"

namespace carbontracker {

namespace {

std::optional<std::string> read_stdin_line() {
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  return line;
}

}  // namespace

void Tracker::Impl::log_epoch(const EpochRecord& e) {
  logger_->info(fmt::format("Epoch {}:", e.index));
  logger_->info(fmt::format("Duration: {}", format_duration(e.duration_s, true)));
  for (ComponentKind kind : {ComponentKind::kGpu, ComponentKind::kCpu, ComponentKind::kNode}) {
    double energy = 0;
    bool present = false, any_data = false;
    for (size_t i = 0; i < run_.devices.size(); ++i) {
      if (run_.devices[i].component != kind) continue;
      present = true;
      energy += e.energy_j[i];
      any_data |= !e.missing[i];
    }
    if (!present) continue;
    std::string value = "None";
    if (any_data && e.duration_s > 0) value = python_float_repr(energy / e.duration_s);
    logger_->info(fmt::format("Average power usage (W) for {}: {}", component_name(kind), value));
  }
}

void Tracker::Impl::confirm() {
  auto read = opt_.confirm ? opt_.confirm : read_stdin_line;
  logger_->output("Continue training (y/n)?");
  for (;;) {
    logger_->flush();  // the log files say everything before the wait
    jsonl([&](JsonlWriter& w) { w.release(); });
    std::optional<std::string> answer = read();
    if (!answer)
      throw Error(ErrorCode::kInput,
                  "stop_and_confirm: no answer could be read (end of input). Run interactively "
                  "or set stop_and_confirm=false.");
    std::string a = lower(*answer);
    while (!a.empty() && is_blank(a.back())) a.pop_back();
    if (a == "y") {
      logger_->output("Continuing...");
      return;
    }
    if (a == "n") {
      logger_->info("Session ended by user.");
      logger_->output("Quitting...");
      monitoring_ = false;
      shutdown();
      throw Error(ErrorCode::kUserQuit, "Session ended by user.");
    }
    logger_->output("Input not recognized. Try again (y/n):");
  }
}

void Tracker::Impl::on_tick(const TickSample& sample) {
  jsonl([&](JsonlWriter& w) {
    w.sample(sample.totals.unix_s, sample.interval_s, sample.power_w, sample.intensity_g_per_kwh);
  });
  if (metrics_) metrics_->on_tick(sample);
  if (progress_) progress_->draw(progress_figures(sample));
}

ProgressFigures Tracker::Impl::progress_figures(const TickSample& sample) {
  ProgressFigures f;
  f.epochs_planned = opt_.epochs;
  f.elapsed_s = sample.totals.steady_s - start_steady_s_;
  for (ComponentKind kind : eff_.components) {
    double watts = 0;
    bool present = false;
    for (size_t i = 0; i < run_.devices.size() && i < sample.power_w.size(); ++i)
      if (run_.devices[i].component == kind) {
        watts += sample.power_w[i];
        present = true;
      }
    if (present) f.power_w.emplace_back(component_name(kind), watts);
  }
  for (size_t i = 0; i < sample.totals.energy_j.size(); ++i) {
    if (i < run_.devices.size() && !counted_in_total(run_.devices[i].component)) continue;
    f.energy_kwh += sample.totals.energy_j[i] * opt_.pue / kJoulesPerKwh;
    if (i < sample.totals.co2_g.size()) f.co2_g += sample.totals.co2_g[i] * opt_.pue;
  }
  std::lock_guard<std::mutex> lock(mu_);
  f.epochs_completed = completed_;
  f.in_epoch = in_epoch_;
  if (run_.prediction) {
    f.predicted_energy_kwh = run_.prediction->energy_kwh;
    f.predicted_co2_g = run_.prediction->co2_g;
    double done_s = 0;
    for (const EpochRecord& e : run_.epochs) done_s += e.duration_s;
    if (in_epoch_) done_s += std::max(0.0, sample.totals.steady_s - epoch_start_snap_.steady_s);
    f.remaining_s = std::max(0.0, run_.prediction->duration_s - done_s);
  }
  return f;
}

void Tracker::Impl::start_metrics(const std::string& hostname) {
  MetricsState st;
  st.version = version();
  st.labels = metrics_labels(hostname, [&](const std::string& n) { return env_.var(n); });
  st.devices = run_.devices;
  st.pue = opt_.pue;
  st.epochs_planned = opt_.epochs;
  LiveMetricsOptions mo;
  mo.port = opt_.metrics_port;
  mo.address = opt_.metrics_address;
  mo.textfile = opt_.metrics_textfile;
  metrics_ = std::make_unique<LiveMetrics>(std::move(st), mo, [this](const std::string& m) {
    logger_->err(LogLevel::kWarning, m);
    std::lock_guard<std::mutex> lock(mu_);
    run_.messages.push_back(m);
  });
}

void Tracker::Impl::jsonl_new_intensities() {
  if (!sampler_) return;
  std::vector<IntensityRecord> recs = sampler_->intensities();
  for (; jsonl_intensities_ < recs.size(); ++jsonl_intensities_)
    jsonl([&](JsonlWriter& w) { w.intensity(recs[jsonl_intensities_]); });
}

nlohmann::json Tracker::Impl::options_json() const {
  nlohmann::json j = {{"epochs", opt_.epochs},
                      {"epochs_before_pred", opt_.epochs_before_pred},
                      {"monitor_epochs", opt_.monitor_epochs},
                      {"update_interval", opt_.update_interval},
                      {"interpretable", opt_.interpretable},
                      {"stop_and_confirm", opt_.stop_and_confirm},
                      {"ignore_errors", opt_.ignore_errors},
                      {"components", opt_.components},
                      {"devices_by_pid", opt_.devices_by_pid},
                      {"log_dir", opt_.log_dir},
                      {"log_file_prefix", opt_.log_file_prefix},
                      {"verbose", opt_.verbose},
                      {"decimal_precision", opt_.decimal_precision},
                      {"pue", opt_.pue},
                      {"region", opt_.region},
                      {"offline", opt_.offline},
                      {"distributed", opt_.distributed}};
  if (opt_.sim_cpu) j["sim_cpu"] = *opt_.sim_cpu;
  if (opt_.sim_cpu_tdp) j["sim_cpu_tdp"] = *opt_.sim_cpu_tdp;
  if (opt_.sim_cpu_util) j["sim_cpu_util"] = *opt_.sim_cpu_util;
  if (opt_.sim_gpu) j["sim_gpu"] = *opt_.sim_gpu;
  if (opt_.sim_gpu_watts) j["sim_gpu_watts"] = *opt_.sim_gpu_watts;
  if (opt_.sim_gpu_util) j["sim_gpu_util"] = *opt_.sim_gpu_util;
  // API keys are never written anywhere; only which providers have one.
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& [name, key] : opt_.api_keys) keys.push_back(name);
  j["api_keys_for"] = keys;
  return j;
}

void Tracker::Impl::say_intensity_notes() {
  for (const std::string& note : intensity_->notes()) logger_->note(note);
}

std::string Tracker::Impl::location() const {
  auto recs = sampler_ ? sampler_->intensities() : std::vector<IntensityRecord>{};
  return recs.empty() ? "UNDETECTED" : recs.back().location;
}

void Tracker::Impl::predict() {
  EpochTotals done;
  std::vector<EpochRecord> measured;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done = complete_epochs(run_.epochs);
    for (const EpochRecord& e : run_.epochs)
      if (!e.partial) measured.push_back(e);
  }
  if (done.count == 0) return;
  double remaining = remaining_s(done, opt_.epochs);
  // The forecast first: it waits (a bounded time) for the first fetch, whose
  // live value, when there is no forecast, is the one to use.
  std::optional<IntensityValue> fc;
  if (remaining > 0) fc = intensity_->forecast(remaining);
  IntensityValue now = sampler_->current_intensity();
  PredictionIntensity ci = prediction_intensity(fc, now, remaining);
  logger_->info(ci.message);
  logger_->output(ci.message);

  Consumption c = predicted_consumption(done, opt_.epochs, opt_.pue, ci);
  if (budget_)
    c.uncertainty =
        budget_->prediction(measured, opt_.epochs, ci.g_per_kwh, intensity_use(fc ? *fc : now));
  {
    std::lock_guard<std::mutex> lock(mu_);
    run_.prediction = c;
  }
  jsonl([&](JsonlWriter& w) { w.prediction(c); });
  if (metrics_) metrics_->on_prediction(c);
  logger_->output(consumption_block(fmt::format("Predicted consumption for {} epoch(s):", c.epochs),
                                    c.duration_s, c.energy_kwh, c.co2_g, opt_.decimal_precision,
                                    opt_.interpretable));
  if (std::string line = uncertainty_line(c); !line.empty()) logger_->output(line);
}

}  // namespace carbontracker
