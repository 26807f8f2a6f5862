#include "energy/sampler.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <exception>

#include "common/clock.h"

namespace carbontracker {

namespace {
// Shortest tick, whatever the devices ask for.
constexpr double kMinTickS = 0.005;
// How often devices_by_pid selections are re-checked.
constexpr double kSelectionRecheckS = 2.0;

std::vector<SensorDevice> all_devices(const std::vector<std::unique_ptr<Sensor>>& sensors) {
  std::vector<SensorDevice> out;
  for (const auto& s : sensors)
    for (const SensorDevice& d : s->devices()) out.push_back(d);
  return out;
}
}  // namespace

Sampler::Sampler(std::vector<std::unique_ptr<Sensor>> sensors, IntensityFeed* intensity,
                 const Clock& clock, double update_interval_s,
                 std::function<void(const std::string&)> say)
    : sensors_(std::move(sensors)),
      engine_(all_devices(sensors_)),
      intensity_(intensity),
      clock_(clock),
      say_(std::move(say)) {
  for (const auto& s : sensors_) {
    first_device_.push_back(infos_.size());
    for (const SensorDevice& d : s->devices()) infos_.push_back(d.info);
  }
  selected_.assign(infos_.size(), true);
  tick_s_ = std::max(kMinTickS, std::min(update_interval_s, engine_.max_safe_interval_s()));
}

Sampler::~Sampler() { stop(); }

namespace {
std::chrono::steady_clock::duration to_duration(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(s));
}
}  // namespace

void Sampler::start(bool with_thread) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    double t = clock_.steady_s();
    read_all_guarded_locked(t);
    last_tick_ = totals_locked(t, clock_.unix_s());
  }
  std::lock_guard<std::mutex> lock(thread_mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  first_tick_ = std::chrono::steady_clock::now() + to_duration(tick_s_);
  deferred_ = !with_thread;
  if (with_thread) start_thread_locked();
}

double Sampler::start_thread_if_due() {
  std::lock_guard<std::mutex> lock(thread_mu_);
  if (!deferred_) return -1;
  auto left = first_tick_ - std::chrono::steady_clock::now();
  if (left > std::chrono::steady_clock::duration::zero())
    return std::chrono::duration<double>(left).count();
  deferred_ = false;
  start_thread_locked();
  return -1;
}

void Sampler::start_thread_locked() {
  thread_ = CountedThread([this] { run(); });
}

void Sampler::stop() {
  {
    std::lock_guard<std::mutex> lock(thread_mu_);
    stopping_ = true;
    deferred_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sampler::run() {
  std::unique_lock<std::mutex> lock(thread_mu_);
  // A deferred thread starts when its first tick is due, and ticks at once.
  auto next = first_tick_;
  const auto tick = to_duration(tick_s_);
  while (!stopping_) {
    if (cv_.wait_until(lock, next, [this] { return stopping_; })) break;
    lock.unlock();
    TickSample sample;
    bool ticked = false;
    {
      std::lock_guard<std::mutex> guard(mu_);
      double t = clock_.steady_s();
      ticked = read_all_guarded_locked(t);
      if (ticked && on_tick_) {
        sample.totals = totals_locked(t, clock_.unix_s());
        sample.interval_s = t - last_tick_.steady_s;
        for (size_t i = 0; i < sample.totals.energy_j.size(); ++i) {
          double prev = i < last_tick_.energy_j.size() ? last_tick_.energy_j[i] : 0;
          sample.power_w.push_back(
              sample.interval_s > 0 ? (sample.totals.energy_j[i] - prev) / sample.interval_s : 0);
        }
        sample.intensity_g_per_kwh = intensities_.empty() ? 0 : intensities_.back().g_per_kwh;
        last_tick_ = sample.totals;
      }
    }
    if (!ticked) return;  // failed: the figures so far stand
    if (on_tick_) {
      try {
        on_tick_(sample);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> guard(mu_);
        say_once(fmt::format("Sampling output failed ({}); the samples go on.", e.what()));
      } catch (...) {
        std::lock_guard<std::mutex> guard(mu_);
        say_once("Sampling output failed (unknown error); the samples go on.");
      }
    }
    lock.lock();
    next += tick;
    auto now = std::chrono::steady_clock::now();
    if (next < now) next = now + tick;  // fell behind: do not burst
  }
}

bool Sampler::read_all_guarded_locked(double t_s) {
  if (failed_) return false;
  std::string what;
  try {
    read_all_locked(t_s);
    return true;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown error";
  }
  failed_ = true;
  say_once(fmt::format(
      "Energy sampling stopped after an internal error ({}): the figures are those measured so "
      "far.",
      what));
  return false;
}

void Sampler::say_once(const std::string& message) {
  if (said_.insert(message).second && say_) say_(message);
}

void Sampler::read_all_locked(double t_s) {
  IntensityValue iv = intensity_ ? intensity_->current() : IntensityValue{};
  if (intensity_ &&
      (intensities_.empty() || intensities_.back().g_per_kwh != iv.g_per_kwh ||
       intensities_.back().source != iv.source || intensities_.back().location != iv.location)) {
    IntensityRecord rec;
    rec.g_per_kwh = iv.g_per_kwh;
    rec.unix_time_s = clock_.unix_s();
    rec.source = iv.source;
    rec.location = iv.location;
    rec.forecast = iv.forecast;
    intensities_.push_back(rec);
  }
  bool recheck = t_s - last_selection_s_ >= kSelectionRecheckS;
  if (recheck) last_selection_s_ = t_s;
  std::vector<std::string> events;
  for (size_t s = 0; s < sensors_.size(); ++s) {
    Sensor& sensor = *sensors_[s];
    size_t n = sensor.devices().size();
    size_t base = first_device_[s];
    if (recheck) {
      std::vector<bool> sel = sensor.selected();
      for (size_t d = 0; d < n && d < sel.size(); ++d) selected_[base + d] = sel[d];
    }
    readings_.assign(n, Reading{});
    sensor.read(readings_);
    double read_end_s = clock_.steady_s();
    for (size_t d = 0; d < n; ++d) {
      if (!selected_[base + d]) {
        engine_.pause(base + d);
        continue;
      }
      const Reading& r = readings_[d];
      if (r.status == ReadStatus::kRetry && !r.message.empty())
        say_once(infos_[base + d].name + ": " + r.message);
      engine_.apply(base + d, t_s, r, iv.g_per_kwh, events, read_end_s);
    }
  }
  for (const std::string& e : events) say_once(e);
}

Snapshot Sampler::totals_locked(double steady_s, double unix_s) const {
  Snapshot snap;
  snap.steady_s = steady_s;
  snap.unix_s = unix_s;
  const size_t n = engine_.size();
  snap.energy_j.reserve(n);
  snap.co2_g.reserve(n);
  snap.lost.reserve(n);
  snap.sampling.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    snap.energy_j.push_back(engine_.energy_j(i));
    snap.co2_g.push_back(engine_.co2_g(i));
    snap.lost.push_back(engine_.lost(i));
    snap.sampling.push_back(engine_.sampling_variance(i));
  }
  return snap;
}

Snapshot Sampler::sample_now() {
  std::lock_guard<std::mutex> lock(mu_);
  double steady_s = clock_.steady_s();
  double unix_s = clock_.unix_s();
  read_all_guarded_locked(steady_s);
  return totals_locked(steady_s, unix_s);
}

std::vector<IntensityRecord> Sampler::intensities() const {
  std::lock_guard<std::mutex> lock(mu_);
  return intensities_;
}

IntensityValue Sampler::current_intensity() {
  return intensity_ ? intensity_->current() : IntensityValue{};
}

}  // namespace carbontracker
