#include "output/metrics.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "energy/sampler.h"
#include "model/uncertainty_sum.h"
#include "output/metrics_server.h"

namespace carbontracker {

namespace {

constexpr double kJoulesPerKwh = 3.6e6;

// Go's ParseFloat spellings for what fmt writes as nan and inf.
std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

class Writer {
 public:
  explicit Writer(const MetricsLabels& common) {
    if (!common.job.empty()) common_.emplace_back("job", common.job);
    if (!common.node.empty()) common_.emplace_back("node", common.node);
    if (!common.rank.empty()) common_.emplace_back("rank", common.rank);
  }
  void family(const char* name, const char* type, const char* help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(const char* name, std::vector<std::pair<std::string, std::string>> labels,
              double value) {
    out_ += name;
    labels.insert(labels.end(), common_.begin(), common_.end());
    if (!labels.empty()) {
      out_ += '{';
      for (size_t i = 0; i < labels.size(); ++i)
        out_ += fmt::format("{}{}=\"{}\"", i ? "," : "", labels[i].first,
                            escape_label_value(labels[i].second));
      out_ += '}';
    }
    out_ += ' ';
    out_ += number(value);
    out_ += '\n';
  }
  std::string take() { return std::move(out_); }

 private:
  std::vector<std::pair<std::string, std::string>> common_;
  std::string out_;
};

std::vector<std::pair<std::string, std::string>> device_labels(const DeviceInfo& d) {
  return {{"component", component_name(d.component)},
          {"device", d.name},
          {"provenance", provenance_name(d.provenance)}};
}

}  // namespace

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string render_metrics(const MetricsState& s) {
  Writer w(s.labels);
  w.family("carbontracker_info", "gauge", "carbontracker version; the value is always 1.");
  w.sample("carbontracker_info", {{"version", s.version}}, 1);

  w.family("carbontracker_energy_joules_total", "counter",
           "Energy used by the device since the start of monitoring, in joules, without PUE.");
  for (size_t i = 0; i < s.devices.size() && i < s.energy_j.size(); ++i)
    w.sample("carbontracker_energy_joules_total", device_labels(s.devices[i]), s.energy_j[i]);

  bool any_power = false;
  for (const auto& p : s.power_w) any_power |= p.has_value();
  if (any_power) {
    w.family("carbontracker_power_watts", "gauge",
             "Mean power of the device over the last sampling interval, in watts.");
    for (size_t i = 0; i < s.devices.size() && i < s.power_w.size(); ++i)
      if (s.power_w[i])
        w.sample("carbontracker_power_watts", device_labels(s.devices[i]), *s.power_w[i]);
  }

  w.family("carbontracker_co2eq_grams_total", "counter",
           "CO2-equivalent emissions of the device's energy since the start of monitoring, in "
           "grams, without PUE.");
  for (size_t i = 0; i < s.devices.size() && i < s.co2_g.size(); ++i)
    w.sample("carbontracker_co2eq_grams_total", device_labels(s.devices[i]), s.co2_g[i]);

  if (s.intensity_g_per_kwh) {
    w.family("carbontracker_carbon_intensity_grams_per_kwh", "gauge",
             "Carbon intensity of electricity used for the latest reading, in grams CO2eq per "
             "kilowatt-hour.");
    std::vector<std::pair<std::string, std::string>> l;
    if (!s.intensity_location.empty()) l.emplace_back("location", s.intensity_location);
    w.sample("carbontracker_carbon_intensity_grams_per_kwh", l, *s.intensity_g_per_kwh);
  }

  w.family("carbontracker_pue", "gauge",
           "Power usage effectiveness that multiplies the reported totals.");
  w.sample("carbontracker_pue", {}, s.pue);
  w.family("carbontracker_epochs_completed", "gauge", "Epochs completed so far.");
  w.sample("carbontracker_epochs_completed", {}, s.epochs_completed);
  w.family("carbontracker_epochs_planned", "gauge", "Epochs planned for the run.");
  w.sample("carbontracker_epochs_planned", {}, s.epochs_planned);

  if (s.predicted_energy_j) {
    w.family("carbontracker_predicted_energy_joules", "gauge",
             "Predicted energy of all planned epochs, in joules, with PUE.");
    w.sample("carbontracker_predicted_energy_joules", {}, *s.predicted_energy_j);
  }
  if (s.predicted_co2_g) {
    w.family("carbontracker_predicted_co2eq_grams", "gauge",
             "Predicted CO2-equivalent emissions of all planned epochs, in grams, with PUE.");
    w.sample("carbontracker_predicted_co2eq_grams", {}, *s.predicted_co2_g);
  }
  // One gauge per figure: the half-width of its 95 % interval over the figure.
  const struct {
    const char* name;
    const std::optional<double>& value;
    const char* figure;
  } relative[] = {
      {"carbontracker_energy_relative_uncertainty", s.energy_relative_uncertainty,
       "the energy used so far (all devices, with PUE)"},
      {"carbontracker_co2eq_relative_uncertainty", s.co2_relative_uncertainty,
       "the CO2-equivalent emissions so far (all devices, with PUE)"},
      {"carbontracker_predicted_energy_relative_uncertainty",
       s.predicted_energy_relative_uncertainty, "the predicted energy"},
      {"carbontracker_predicted_co2eq_relative_uncertainty", s.predicted_co2_relative_uncertainty,
       "the predicted CO2-equivalent emissions"},
  };
  for (const auto& r : relative) {
    if (!r.value) continue;
    w.family(r.name, "gauge",
             fmt::format("Relative expanded uncertainty (k = 2, about 95 %) of {}: the interval's "
                         "half-width divided by the figure (0.05 = +-5 %).",
                         r.figure)
                 .c_str());
    w.sample(r.name, {}, *r.value);
  }
  return w.take();
}

std::string write_file_atomically(const std::string& path, const std::string& text) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  // A dot name: node_exporter reads *.prom files only, so it never reads the temporary.
  std::string tmp = dir + "/." + base + ".tmp" + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return fmt::format(
        "Cannot write the metrics textfile {}: {} (creating {}; check that the directory exists "
        "and is writable).",
        path, std::strerror(errno), tmp);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      close(fd);
      unlink(tmp.c_str());
      return fmt::format("Cannot write the metrics textfile {}: {} (writing {}).", path,
                         std::strerror(e), tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    unlink(tmp.c_str());
    return fmt::format("Cannot write the metrics textfile {}: {}.", path, std::strerror(e));
  }
  return "";
}

LiveMetrics::LiveMetrics(MetricsState initial, const LiveMetricsOptions& options,
                         std::function<void(const std::string&)> say)
    : state_(std::move(initial)), textfile_(options.textfile), say_(std::move(say)) {
  size_t n = state_.devices.size();
  state_.energy_j.resize(n, 0.0);
  state_.co2_g.resize(n, 0.0);
  state_.power_w.resize(n);
  {
    std::lock_guard<std::mutex> lock(mu_);
    text_ = render_metrics(state_);
  }
  write_textfile();
  if (options.port > 0) {
    MetricsServerOptions so;
    so.address = options.address;
    so.port = options.port;
    so.say = say_;
    std::string error;
    server_ = MetricsServer::start(
        so, [this] { return text(); }, &error);
    if (!server_ && say_) say_(error);
  }
}

LiveMetrics::~LiveMetrics() { server_.reset(); }

void LiveMetrics::on_tick(const TickSample& sample) {
  update_tick(sample);
  write_textfile();
}

void LiveMetrics::update_tick(const TickSample& sample) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < state_.devices.size(); ++i) {
    // Counters never go down: an epoch boundary may have been read after this tick.
    if (i < sample.totals.energy_j.size())
      state_.energy_j[i] = std::max(state_.energy_j[i], sample.totals.energy_j[i]);
    if (i < sample.totals.co2_g.size())
      state_.co2_g[i] = std::max(state_.co2_g[i], sample.totals.co2_g[i]);
    bool lost = i < sample.totals.lost.size() && sample.totals.lost[i];
    if (i < sample.power_w.size() && !lost && std::isfinite(sample.power_w[i]))
      state_.power_w[i] = sample.power_w[i];
    else
      state_.power_w[i].reset();
  }
  if (sample.intensity_g_per_kwh > 0) state_.intensity_g_per_kwh = sample.intensity_g_per_kwh;
  text_ = render_metrics(state_);
}

void LiveMetrics::on_epoch_end(const Snapshot& totals, int epochs_completed) {
  update([&] {
    for (size_t i = 0; i < state_.devices.size(); ++i) {
      // Counters never go down, whichever of a tick and a boundary read came last.
      if (i < totals.energy_j.size())
        state_.energy_j[i] = std::max(state_.energy_j[i], totals.energy_j[i]);
      if (i < totals.co2_g.size()) state_.co2_g[i] = std::max(state_.co2_g[i], totals.co2_g[i]);
    }
    state_.epochs_completed = epochs_completed;
  });
}

void LiveMetrics::on_prediction(const Consumption& predicted) {
  update([&] {
    state_.predicted_energy_j = predicted.energy_kwh * kJoulesPerKwh;
    state_.predicted_co2_g = predicted.co2_g;
    if (predicted.uncertainty) {
      state_.predicted_energy_relative_uncertainty =
          predicted.uncertainty->energy_kwh.relative(predicted.energy_kwh);
      state_.predicted_co2_relative_uncertainty =
          predicted.uncertainty->co2_g.relative(predicted.co2_g);
    }
  });
}

void LiveMetrics::on_epoch_interval(const EpochRecord& record, double pue) {
  if (!record.uncertainty) return;
  update([&] {
    add_uncertainty(measured_interval_.energy_kwh, record.uncertainty->energy_kwh);
    add_uncertainty(measured_interval_.co2_g, record.uncertainty->co2_g);
    measured_kwh_ += record.total_energy_j() * pue / kJoulesPerKwh;
    measured_g_ += record.total_co2_g() * pue;
    state_.energy_relative_uncertainty = measured_interval_.energy_kwh.relative(measured_kwh_);
    state_.co2_relative_uncertainty = measured_interval_.co2_g.relative(measured_g_);
  });
}

std::string LiveMetrics::text() const {
  std::lock_guard<std::mutex> lock(mu_);
  return text_;
}

int LiveMetrics::port() const { return server_ ? server_->port() : 0; }

void LiveMetrics::write_textfile() {
  if (textfile_.empty()) return;
  // Serialised, and always the latest text: a write that waited here for
  // another one never puts older figures back.
  std::lock_guard<std::mutex> lock(file_mu_);
  std::string error = write_file_atomically(textfile_, text());
  if (error.empty() || textfile_said_) return;
  textfile_said_ = true;
  if (say_) say_(error + " It is tried again at each tick; measuring goes on.");
}

MetricsLabels metrics_labels(const std::string& hostname,
                             const std::function<std::string(const std::string&)>& var) {
  MetricsLabels l;
  l.job = var("SLURM_JOB_ID");
  l.node = hostname;
  l.rank = var("SLURM_PROCID");
  if (l.rank.empty()) l.rank = var("RANK");
  return l;
}

}  // namespace carbontracker
