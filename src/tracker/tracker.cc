// Implementation details: the Impl holds the logger, the sampler (sensors,
// energy engine, sampling thread) and the intensity source. Epochs are
// windows between two snapshots of the sampler's accumulated energy; the
// snapshots read every counter, so per-epoch energy is exact whatever the
// sampling interval. Public methods run on the caller's thread; the sampler's
// thread only reads sensors and says messages through the logger.
#include "carbontracker/tracker.h"

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
#include "energy/sampler.h"
#include "intensity/source.h"
#include "logs/jsonl_writer.h"
#include "output/json.h"
#include "output/logger.h"
#include "output/metrics.h"
#include "output/progress.h"
#include "output/report.h"
#include "sensors/sensor_table.h"
#include "sensors/simulated.h"
#include "tracker/distributed.h"
#include "tracker/options.h"

#ifndef CT_VERSION
#define CT_VERSION "0.0.0"
#endif

namespace carbontracker {

const char* version() { return CT_VERSION; }

namespace {

constexpr double kJoulesPerKwh = 3.6e6;
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

std::optional<std::string> read_stdin_line() {
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  return line;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

class Tracker::Impl {
 public:
  explicit Impl(TrackerOptions options);
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
  EpochRecord make_epoch(const Snapshot& start, const Snapshot& end, int index, bool partial);
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

  TrackerOptions opt_;
  EffectiveOptions eff_;
  Environment env_;
  const Clock& clock_;
  std::ostream& console_;
  pid_t pid_ = 0;  // this process (asked once: a system call)
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<IntensitySource> intensity_;
  std::unique_ptr<Sampler> sampler_;
  std::mutex jsonl_mu_;  // guards jsonl_ (written from both threads)
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

Tracker::Impl::Impl(TrackerOptions options)
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
    if (opt_.verbose >= 2) console_ << "CarbonTracker: " << run_.distributed.message << std::endl;
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
  pid_ = getpid();
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
    logger_->info(run_.distributed.message);
    logger_->output(run_.distributed.message);
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
  std::string line = components_line(run_.devices);
  logger_->info(line);
  logger_->output(line);
  for (const DeviceInfo& d : run_.devices)
    if (d.provenance == Provenance::kEstimated) {
      std::string how = d.source.rfind("estimated: ", 0) == 0 ? d.source.substr(11) : d.source;
      std::string note = fmt::format("{} is estimated, not measured: {}.", d.name, how);
      logger_->info(note);
      logger_->output(note);
    } else if (d.provenance == Provenance::kPlatformMeter) {
      std::string note = fmt::format(
          "{} is the node figure of the platform power meter, shown beside the CPU and GPU "
          "figures and not added to them: {}.",
          d.name, d.source);
      logger_->info(note);
      logger_->output(note);
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
  ProbeContext ctx;
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
  for (ComponentKind kind : eff_.components) {
    if ((kind == ComponentKind::kCpu && opt_.sim_cpu) ||
        (kind == ComponentKind::kGpu && opt_.sim_gpu))
      continue;
    std::vector<std::string> reasons;
    bool found = false;
    for (const SensorEntry& entry : sensor_table()) {
      if (entry.component != kind) continue;
      if (kind == ComponentKind::kCpu && found) break;
      ProbeResult probe = entry.probe(ctx);
      for (const std::string& w : probe.warnings) {
        logger_->err(LogLevel::kWarning, w);
        run_.messages.push_back(w);
      }
      for (const std::string& n : probe.notes) logger_->info(n);
      for (const std::string& n : probe.verbose_notes) {
        logger_->info(n);
        if (opt_.verbose >= 2) console_ << "CarbonTracker: " << n << std::endl;
      }
      if (probe.sensor && !probe.sensor->devices().empty()) {
        sensors.push_back(std::move(probe.sensor));
        ctx.found.push_back(entry.name);
        found = true;
      } else if (!probe.unavailable_reason.empty()) {
        reasons.push_back(probe.unavailable_reason);
      }
    }
    if (found) continue;
    std::string why = reasons.empty() ? "no sensor for this component is available" : "";
    for (size_t i = 0; i < reasons.size(); ++i) why += (i ? "; " : "") + reasons[i];
    if (kind == ComponentKind::kNode) {
      // Most machines have no platform meter: nothing is said, unless one was
      // asked for, or one was there and could not be read (said in the log).
      if (eff_.node_explicit)
        throw Error(ErrorCode::kComponent,
                    fmt::format("No node power meter available: {}.",
                                reasons.empty() ? "no ACPI power meter or Grace module rail "
                                                  "found under " +
                                                      env_.hwmon_root
                                                : why));
      if (!reasons.empty()) logger_->info(fmt::format("No node power meter found: {}.", why));
      continue;
    }
    bool explicit_request = kind == ComponentKind::kGpu ? eff_.gpu_explicit : eff_.cpu_explicit;
    if (explicit_request)
      throw Error(
          ErrorCode::kComponent,
          fmt::format("No {}(s) available: {}.", kind == ComponentKind::kGpu ? "GPU" : "CPU", why));
    std::string note =
        fmt::format("No {} found: {}.", kind == ComponentKind::kGpu ? "GPU" : "CPU", why);
    logger_->info(note);
    logger_->output(note);
  }
  if (sensors.empty())
    throw Error(ErrorCode::kComponent,
                "No components were available. carbontracker measures Intel and AMD CPUs through "
                "RAPL, NVIDIA and AMD GPUs, and estimates the CPU elsewhere.");
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

void Tracker::Impl::say_intensity_notes() {
  for (const std::string& note : intensity_->notes()) {
    logger_->info(note);
    logger_->output(note);
  }
}

void Tracker::Impl::shutdown() {
  if (sampler_) sampler_->stop();
  if (progress_) progress_->finish();
}

std::string Tracker::Impl::location() const {
  auto recs = sampler_ ? sampler_->intensities() : std::vector<IntensityRecord>{};
  return recs.empty() ? "UNDETECTED" : recs.back().location;
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
                                      bool partial) {
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
  return e;
}

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
    EpochRecord record;
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_epoch_ = false;
      ++completed_;
      run_.epochs.push_back(make_epoch(epoch_start_snap_, end, completed_, false));
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

void Tracker::Impl::predict() {
  double k = 0, energy_j = 0, duration_s = 0, co2_g = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const EpochRecord& e : run_.epochs) {
      if (e.partial) continue;
      k += 1;
      energy_j += e.total_energy_j();
      duration_s += e.duration_s;
      co2_g += e.total_co2_g();
    }
  }
  if (k == 0) return;
  double mean_j = energy_j / k, mean_s = duration_s / k;
  double remaining_epochs = std::max(0.0, opt_.epochs - k);
  double remaining_s = remaining_epochs * mean_s;

  // The forecast first: it waits (a bounded time) for the first fetch, whose
  // live value, when there is no forecast, is the one to use.
  std::optional<IntensityValue> fc;
  if (remaining_s > 0) fc = intensity_->forecast(remaining_s);
  IntensityValue now = sampler_->current_intensity();
  double ci = fc ? fc->g_per_kwh : now.g_per_kwh;
  std::string message, note;
  if (fc) {
    message = fmt::format(
        "Carbon intensity for the next {} is predicted to be {:.2f} gCO2/kWh at detected "
        "location: {}.",
        format_duration(remaining_s), ci, fc->location);
    note = "forecast: " + fc->source;
  } else if (now.live) {
    message = fmt::format("Current carbon intensity is {:.2f} gCO2/kWh at detected location: {}.",
                          ci, now.location);
    if (remaining_s > 0) message += " No forecast is available: the prediction uses this value.";
    note = "current value, no forecast available: " + now.source;
  } else {
    message = now.default_description;
    note = "average value, no live data: " + now.source;
  }
  logger_->info(message);
  logger_->output(message);

  Consumption c;
  c.epochs = opt_.epochs;
  c.duration_s = opt_.epochs * mean_s;
  c.energy_kwh = opt_.epochs * mean_j * opt_.pue / kJoulesPerKwh;
  c.co2_g = (co2_g + remaining_epochs * mean_j / kJoulesPerKwh * ci) * opt_.pue;
  c.intensity_g_per_kwh = c.energy_kwh > 0 ? c.co2_g / c.energy_kwh : ci;
  c.intensity_note = note;
  {
    std::lock_guard<std::mutex> lock(mu_);
    run_.prediction = c;
  }
  jsonl([&](JsonlWriter& w) { w.prediction(c); });
  if (metrics_) metrics_->on_prediction(c);
  logger_->output(consumption_block(fmt::format("Predicted consumption for {} epoch(s):", c.epochs),
                                    c.duration_s, c.energy_kwh, c.co2_g, opt_.decimal_precision,
                                    opt_.interpretable));
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
    while (!a.empty() && std::isspace(static_cast<unsigned char>(a.back()))) a.pop_back();
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

void Tracker::Impl::finish(bool interrupted) {
  jsonl([&](JsonlWriter& w) { w.hold(); });  // the end's events in one write
  if (interrupted)
    logger_->info(fmt::format("Training was interrupted before all {} epochs were monitored.",
                              eff_.monitor_epochs));
  if (in_epoch_) {
    Snapshot end = sampler_->sample_now();
    EpochRecord record;
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_epoch_ = false;
      run_.epochs.push_back(make_epoch(epoch_start_snap_, end, completed_ + 1, true));
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
    c.epochs = completed_;
    c.duration_s = run_.duration_s();
    double e = run_.energy_j(false);
    c.energy_kwh = e * opt_.pue / kJoulesPerKwh;
    c.co2_g = run_.co2_g(true);
    c.intensity_g_per_kwh = e > 0 ? run_.co2_g(false) / (e / kJoulesPerKwh)
                                  : (values.empty() ? kWorldDefaultIntensity : values.back());
    c.intensity_note = recs.size() > 1 ? "energy-weighted average of the values used"
                                       : "the value used throughout";
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

Tracker::Tracker(TrackerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Tracker::~Tracker() = default;
void Tracker::epoch_start() { impl_->epoch_start(); }
double Tracker::start_sampling_if_due() { return impl_->start_sampling_if_due(); }
void Tracker::epoch_end() { impl_->epoch_end(); }
void Tracker::stop() { impl_->stop(); }
void Tracker::discard_epoch() { impl_->discard_epoch(); }
void Tracker::set_api_keys(const std::map<std::string, std::string>& keys) {
  impl_->set_api_keys(keys);
}
RunResult Tracker::result() const { return impl_->result(); }
bool Tracker::monitoring() const { return impl_->monitoring(); }

}  // namespace carbontracker
