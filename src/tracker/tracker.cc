// Set-up, epochs and the end of a run (the Impl and its other half:
// tracker_impl.h, tracker_outputs.cc).
#include <fmt/format.h>
#include <sys/random.h>
#include <unistd.h>

#include <cmath>
#include <iostream>
#include <mutex>
#include <random>

#include "common/clock.h"
#include "common/format.h"
#include "common/host.h"
#include "model/uncertainty_budget.h"
#include "output/console_text.h"
#include "output/json.h"
#include "sensors/discovery.h"
#include "sensors/simulated.h"
#include "tracker/distributed.h"
#include "tracker/prediction.h"
#include "tracker/run_metadata.h"
#include "tracker/tracker_impl.h"

namespace carbontracker {

namespace {

constexpr double kDefaultPue = 1.58;

long random_logger_id() {
#if defined(_LIBCPP_VERSION)
  // libc++'s random_device opens, reads and closes /dev/urandom each time:
  // getrandom is one system call (glibc 2.25).
  unsigned long bits = 0;
  if (::getrandom(&bits, sizeof bits, GRND_NONBLOCK) == static_cast<ssize_t>(sizeof bits)) {
    return 1 + static_cast<long>(bits % 999999);
  }
#endif
  std::random_device rd;
  return std::uniform_int_distribution<long>(1, 999999)(rd);
}

}  // namespace

Tracker::Impl::Impl(InternalOptions options)
    : opt_(std::move(options)),
      clock_(opt_.clock ? *opt_.clock : SystemClock::instance()),
      console_(opt_.console ? *opt_.console : std::cout) {
  eff_ = validate_options(opt_);
  env_ = opt_.environment ? *opt_.environment : Environment::from_process_env();
  run_.pue = opt_.pue;
  run_.planned_epochs = opt_.epochs;
  // Outside a launcher nothing more is asked of the kernel (system calls are
  // dear on some hosts).
  const bool launched = in_distributed_context(env_);
  run_.distributed = resolve_distributed(opt_.distributed, env_, launched ? host_name() : "",
                                         launched ? static_cast<long>(getppid()) : 0);
  if (!run_.distributed.measures) {
    quiet_ = true;
    run_.messages.push_back(run_.distributed.message);
    if (opt_.verbose >= 2 || (opt_.verbose >= 1 && claimed_twice(run_.distributed)))
      console_ << "CarbonTracker: " << run_.distributed.message << std::endl;
    return;
  }
  try {
    setup();
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kInvalidArgument || !opt_.ignore_errors) throw;
    handle_error(e);
  }
}

Tracker::Impl::~Impl() {
  try {
    if (monitoring_) stop();
  } catch (...) {
  }
  shutdown();
}

void Tracker::Impl::setup() {
  // Simulated devices are validated first: their errors are option errors.
  std::vector<std::unique_ptr<Sensor>> sensors;
  std::vector<std::string> banners;
  for (ComponentKind kind : eff_.components) {
    if (kind == ComponentKind::kCpu && opt_.sim_cpu) {
      sensors.push_back(
          make_simulated_sensor(kind, *opt_.sim_cpu, *opt_.sim_cpu_tdp, opt_.sim_cpu_util));
      banners.push_back(
          simulated_banner(kind, *opt_.sim_cpu, *opt_.sim_cpu_tdp, opt_.sim_cpu_util));
    }
    if (kind == ComponentKind::kGpu && opt_.sim_gpu) {
      sensors.push_back(
          make_simulated_sensor(kind, *opt_.sim_gpu, *opt_.sim_gpu_watts, opt_.sim_gpu_util));
      banners.push_back(
          simulated_banner(kind, *opt_.sim_gpu, *opt_.sim_gpu_watts, opt_.sim_gpu_util));
    }
  }

  LoggerOptions lo;
  lo.console = &console_;
  lo.verbose = opt_.verbose;
  lo.log_dir = opt_.log_dir;
  lo.prefix = opt_.log_file_prefix;
  lo.clock = &clock_;
  pid_ = process_id();
  lo.pid = static_cast<long>(pid_);
  lo.logger_id = random_logger_id();
  logger_ = std::make_unique<Logger>(lo);
  // Start-up's lines go to each log file in one write, at the end of set-up.
  Logger::Hold hold(*logger_);
  logger_->info(fmt::format("carbontracker version {}", version()));
  if (opt_.pue == kDefaultPue)
    logger_->info(
        "Only predicted and actual consumptions are multiplied by a PUE coefficient of 1.58 "
        "(Daniel Bizo, 2023, Uptime Institute Global Data Center Survey).");
  else
    logger_->info(fmt::format(
        "Only predicted and actual consumptions are multiplied by a PUE coefficient of {} (set by "
        "the user).",
        python_float_repr(opt_.pue)));
  RunMetadata meta = collect_run_metadata(env_);
  meta.command = opt_.command;
  meta.options = options_json();
  add_distributed_metadata(run_.distributed, meta);
  logger_->info("Run metadata: " + run_metadata_json(meta));
  if (!run_.distributed.message.empty()) {
    // Said at verbose 1 where the node may be counted more than once.
    if (run_.distributed.may_double_count) {
      logger_->info(run_.distributed.message);
      logger_->output(run_.distributed.message);
    } else {
      logger_->note(run_.distributed.message);
    }
  }
  for (const std::string& b : banners) logger_->print(b);

  find_devices(sensors);

  IntensityOptions io;
  io.env = &env_;
  io.clock = &clock_;
  io.region = opt_.region;
  io.offline = opt_.offline || env_.offline;
  io.refresh_interval_s = opt_.intensity_refresh_interval;
  io.api_keys = opt_.api_keys;
  intensity_ = make_intensity_source(io);
  if (!opt_.api_keys.empty()) intensity_->set_api_keys(opt_.api_keys);
  say_intensity_notes();

  sampler_ = std::make_unique<Sampler>(std::move(sensors), intensity_.get(), clock_,
                                       opt_.update_interval, [this](const std::string& m) {
                                         logger_->err(LogLevel::kWarning, m, "CarbonTrackerThread");
                                         std::lock_guard<std::mutex> lock(mu_);
                                         run_.messages.push_back(m);
                                       });
  run_.devices = sampler_->devices();
  budget_ = std::make_unique<UncertaintyBudget>(run_.devices, opt_.pue, opt_.pue != kDefaultPue,
                                                rapl_cpu_vendor(env_.proc_root, run_.devices));
  std::string line = components_line(run_.devices);
  logger_->info(line);
  logger_->output(line);
  // Our one line at verbose 1; the details at verbose 2 and in the log.
  IntensityValue start_value = intensity_->current();
  std::string summary =
      measurement_summary(run_.devices, start_value.source, start_value.location, io.offline);
  logger_->info(summary);
  logger_->output(summary);
  for (const DeviceInfo& d : run_.devices)
    if (d.provenance == Provenance::kEstimated) {
      std::string how = d.source.rfind("estimated: ", 0) == 0 ? d.source.substr(11) : d.source;
      logger_->note(fmt::format("{} is estimated, not measured: {}.", d.name, how));
    } else if (d.provenance == Provenance::kPlatformMeter) {
      logger_->note(fmt::format(
          "{} is the node figure of the platform power meter, shown beside the CPU and GPU "
          "figures and not added to them: {}.",
          d.name, d.source));
    }
  if (!logger_->stem().empty()) {
    jsonl_ = std::make_unique<JsonlWriter>(logger_->stem() + "_carbontracker.jsonl");
    jsonl([&](JsonlWriter& w) { w.run_start(meta, run_.devices, opt_.pue, clock_.unix_s()); });
  }
  if (opt_.metrics_port > 0 || !opt_.metrics_textfile.empty()) start_metrics(meta.hostname);
  start_steady_s_ = clock_.steady_s();
  if (opt_.progress && ProgressLine::wanted(STDERR_FILENO, opt_.verbose))
    progress_ = std::make_unique<ProgressLine>(STDERR_FILENO);
  sampler_->set_on_tick([this](const TickSample& s) { on_tick(s); });
  sampler_->start(!opt_.defer_sampling_thread);
  logger_->info("Monitoring thread started.");
  monitoring_ = true;
}

void Tracker::Impl::find_devices(std::vector<std::unique_ptr<Sensor>>& sensors) {
  DiscoveryRequest req;
  req.components = eff_.components;
  if (opt_.sim_cpu) req.provided.push_back(ComponentKind::kCpu);
  if (opt_.sim_gpu) req.provided.push_back(ComponentKind::kGpu);
  req.gpu_explicit = eff_.gpu_explicit;
  req.cpu_explicit = eff_.cpu_explicit;
  req.node_explicit = eff_.node_explicit;
  ProbeContext& ctx = req.context;
  ctx.env = &env_;
  ctx.clock = &clock_;
  ctx.tracked_pid = opt_.tracked_pid ? opt_.tracked_pid : static_cast<int>(pid_);
  // The node's measuring rank counts the GPUs of every process of the job on
  // the node: the launcher's process there (torchrun's agent, slurmstepd,
  // orted) is the parent of them all.
  if (!opt_.tracked_pid && opt_.devices_by_pid && !run_.distributed.launcher.empty() &&
      run_.distributed.policy == "auto") {
    ctx.tracked_pid = static_cast<int>(getppid());
    logger_->info(fmt::format(
        "devices_by_pid: GPUs used by the processes under pid {} (the launcher's process on this "
        "node, parent of every local rank).",
        ctx.tracked_pid));
  }
  ctx.devices_by_pid = opt_.devices_by_pid;
  auto say = [this](DiscoveryNote kind, const std::string& text) {
    switch (kind) {
      case DiscoveryNote::kWarning:
        logger_->err(LogLevel::kWarning, text);
        run_.messages.push_back(text);
        break;
      case DiscoveryNote::kLog:
        logger_->info(text);
        break;
      case DiscoveryNote::kNote:
        logger_->note(text);
        break;
    }
  };
  for (std::unique_ptr<Sensor>& s : discover_devices(std::move(req), say, sensors.size()))
    sensors.push_back(std::move(s));
}

void Tracker::Impl::handle_error(const std::exception& e) {
  std::string text = e.what();
  if (opt_.ignore_errors)
    text = "Ignored error: " + text + "\nContinued training without monitoring...";
  if (logger_) {
    logger_->err(LogLevel::kCritical, text);
    logger_->output(text);
  } else {
    console_ << "CarbonTracker: CRITICAL - " << text << std::endl;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    run_.messages.push_back(text);
  }
  monitoring_ = false;
  shutdown();
}

template <typename F>
void Tracker::Impl::guarded(F&& body) {
  try {
    body();
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kUserQuit) throw;
    handle_error(e);
    if (!opt_.ignore_errors) throw;
  } catch (const std::exception& e) {
    handle_error(e);
    if (!opt_.ignore_errors) throw Error(ErrorCode::kInternal, e.what());
  }
}

void Tracker::Impl::shutdown() {
  if (sampler_) sampler_->stop();
  if (progress_) progress_->finish();
}

void Tracker::Impl::epoch_start() {
  if (!monitoring_) return;
  guarded([&] {
    Snapshot snap = sampler_->sample_now();
    std::lock_guard<std::mutex> lock(mu_);
    if (in_epoch_) {
      std::string m = "epoch_start() was called twice without epoch_end(); the epoch restarts now.";
      logger_->err(LogLevel::kWarning, m);
      run_.messages.push_back(m);
    }
    epoch_start_snap_ = std::move(snap);
    in_epoch_ = true;
  });
}

EpochRecord Tracker::Impl::make_epoch(const Snapshot& start, const Snapshot& end, int index,
                                      bool partial,
                                      const std::vector<IntensityRecord>& intensities) {
  EpochRecord e;
  e.index = index;
  e.partial = partial;
  e.start_unix_s = start.unix_s;
  e.duration_s = std::max(0.0, end.steady_s - start.steady_s);
  for (size_t i = 0; i < end.energy_j.size(); ++i) {
    e.energy_j.push_back(end.energy_j[i] - start.energy_j[i]);
    e.co2_g.push_back(end.co2_g[i] - start.co2_g[i]);
    e.missing.push_back(start.lost[i]);
    e.beside.push_back(i < run_.devices.size() && !counted_in_total(run_.devices[i].component));
  }
  if (budget_)
    e.uncertainty = budget_->window(window_figures(start, end),
                                    window_intensity(intensities, start.unix_s, end.unix_s));
  return e;
}

void Tracker::Impl::epoch_end() {
  if (!monitoring_) return;
  guarded([&] {
    Logger::Hold hold(*logger_);  // the epoch's lines in one write per file
    if (!in_epoch_) {
      std::string m = "epoch_end() was called without epoch_start(); it is ignored.";
      logger_->err(LogLevel::kWarning, m);
      std::lock_guard<std::mutex> lock(mu_);
      run_.messages.push_back(m);
      return;
    }
    Snapshot end = sampler_->sample_now();
    std::vector<IntensityRecord> intensities = sampler_->intensities();  // before mu_: see result()
    EpochRecord record;
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_epoch_ = false;
      ++completed_;
      run_.epochs.push_back(make_epoch(epoch_start_snap_, end, completed_, false, intensities));
      log_epoch(run_.epochs.back());
      record = run_.epochs.back();
    }
    say_intensity_notes();
    // The epoch's events (and the prediction's and the end's that may follow)
    // in one write.
    jsonl([&](JsonlWriter& w) { w.hold(); });
    jsonl_new_intensities();
    jsonl([&](JsonlWriter& w) { w.epoch(record, run_.devices); });
    if (metrics_) {
      metrics_->on_epoch_end(end, record.index);
      metrics_->on_epoch_interval(record, run_.pue);
    }
    if (opt_.on_epoch) opt_.on_epoch(result());
    if (completed_ == eff_.epochs_before_pred) {
      predict();
      if (opt_.stop_and_confirm) confirm();
    }
    if (completed_ == eff_.monitor_epochs) finish(false);
    jsonl([&](JsonlWriter& w) { w.release(); });
  });
}

void Tracker::Impl::finish(bool interrupted) {
  jsonl([&](JsonlWriter& w) { w.hold(); });  // the end's events in one write
  if (interrupted)
    logger_->info(fmt::format("Training was interrupted before all {} epochs were monitored.",
                              eff_.monitor_epochs));
  if (in_epoch_) {
    Snapshot end = sampler_->sample_now();
    std::vector<IntensityRecord> intensities = sampler_->intensities();
    EpochRecord record;
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_epoch_ = false;
      run_.epochs.push_back(make_epoch(epoch_start_snap_, end, completed_ + 1, true, intensities));
      log_epoch(run_.epochs.back());
      record = run_.epochs.back();
    }
    logger_->info(fmt::format(
        "Epoch {} was in progress at stop(): it is measured up to now and counted as partial.",
        completed_ + 1));
    jsonl([&](JsonlWriter& w) { w.epoch(record, run_.devices); });
  }
  shutdown();
  say_intensity_notes();
  std::vector<IntensityRecord> recs = sampler_->intensities();
  std::vector<double> values;
  for (const IntensityRecord& r : recs) values.push_back(r.g_per_kwh);
  std::string loc = location();
  logger_->info(
      fmt::format("Carbon intensities (gCO2/kWh) fetched every {} s at detected location {}: {}",
                  python_number(intensity_->refresh_interval_s()), loc, python_list(values)));
  Consumption c;
  {
    std::lock_guard<std::mutex> lock(mu_);
    run_.intensities = recs;
    run_.finished = true;
    run_.interrupted = interrupted;
    c = actual_consumption(run_, completed_, opt_.pue, recs);
    c.uncertainty = UncertaintyBudget::total(run_.epochs);
    run_.actual = c;
  }
  std::string avg = fmt::format(
      "Average carbon intensity during training was {:.2f} gCO2/kWh at detected location: {}.",
      c.intensity_g_per_kwh, loc);
  logger_->info(avg);
  logger_->output(avg);
  std::string desc = eff_.epochs_before_pred == 0
                         ? "Actual consumption:"
                         : fmt::format("Actual consumption for {} epoch(s):", c.epochs);
  logger_->output(consumption_block(desc, c.duration_s, c.energy_kwh, c.co2_g,
                                    opt_.decimal_precision, opt_.interpretable));
  if (std::string line = uncertainty_line(c); !line.empty()) logger_->output(line);
  if (std::string node = node_figure_line(result(), opt_.decimal_precision); !node.empty()) {
    logger_->info(node);
    logger_->output(node);
  }
  logger_->info("Monitoring thread ended.");
  logger_->output("Finished monitoring.");
  monitoring_ = false;
  jsonl_new_intensities();
  jsonl([&](JsonlWriter& w) { w.totals(result(), clock_.unix_s()); });
  jsonl([&](JsonlWriter& w) { w.release(); });
  {
    std::lock_guard<std::mutex> lock(jsonl_mu_);
    jsonl_.reset();
  }
  if (!opt_.json_path.empty()) write_json_file(opt_.json_path, run_to_json(result()));
}

void Tracker::Impl::stop() {
  if (quiet_) {
    std::lock_guard<std::mutex> lock(mu_);
    run_.finished = true;
    return;
  }
  if (!monitoring_) return;
  guarded([&] {
    Logger::Hold hold(*logger_);  // the report's lines in one write per file
    finish(true);
  });
}

void Tracker::Impl::discard_epoch() {
  std::lock_guard<std::mutex> lock(mu_);
  in_epoch_ = false;
}

void Tracker::Impl::set_api_keys(const std::map<std::string, std::string>& keys) {
  guarded([&] {
    if (intensity_) intensity_->set_api_keys(keys);
  });
}

RunResult Tracker::Impl::result() const {
  RunResult r;
  {
    std::lock_guard<std::mutex> lock(mu_);
    r = run_;
  }
  // Outside mu_: the sampling thread takes mu_ (its messages) while it holds
  // the sampler's lock, so taking them the other way round could deadlock.
  if (!r.finished && sampler_) r.intensities = sampler_->intensities();
  return r;
}

Tracker::Tracker(TrackerOptions options)
    : impl_(std::make_unique<Impl>(InternalOptions(std::move(options)))) {}
Tracker::Tracker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tracker::~Tracker() = default;
void Tracker::epoch_start() { impl_->epoch_start(); }
void Tracker::epoch_end() { impl_->epoch_end(); }
void Tracker::stop() { impl_->stop(); }
void Tracker::set_api_keys(const std::map<std::string, std::string>& keys) {
  impl_->set_api_keys(keys);
}
RunResult Tracker::result() const { return impl_->result(); }
bool Tracker::monitoring() const { return impl_->monitoring(); }

InternalTracker::InternalTracker(InternalOptions options)
    : Tracker(std::make_unique<Impl>(std::move(options))) {}
void InternalTracker::discard_epoch() { impl_->discard_epoch(); }
double InternalTracker::start_sampling_if_due() { return impl_->start_sampling_if_due(); }

}  // namespace carbontracker
