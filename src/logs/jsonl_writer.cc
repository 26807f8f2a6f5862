#include "logs/jsonl_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "carbontracker/error.h"
#include "common/equivalents.h"
#include "common/format.h"
#include "common/number.h"
#include "model/uncertainty_json.h"

namespace carbontracker {
namespace {

constexpr int kSchemaVersion = 3;

// Lines keep their keys in writing order ("event" first), for people who
// read or grep the file.
using Json = nlohmann::ordered_json;

// x rounded to three decimals; the shortest text of the result is short.
double milli(double x) { return std::isfinite(x) ? round_half_away(x * 1000.0) / 1000.0 : x; }

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

JsonlWriter::JsonlWriter(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw Error(ErrorCode::kIo, "cannot create the JSONL log " + path_ + ": " +
                                    std::strerror(errno) +
                                    " (check that log_dir exists and is writable)");
  }
}

JsonlWriter::~JsonlWriter() {
  if (fd_ < 0) return;
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!held_.empty()) write_locked(held_);
  } catch (const std::exception&) {
    // Said by the release() that should have come first; nothing to add here.
  }
  ::close(fd_);
}

void JsonlWriter::hold() {
  std::lock_guard<std::mutex> lock(mutex_);
  holding_ = true;
}

void JsonlWriter::release() {
  std::lock_guard<std::mutex> lock(mutex_);
  holding_ = false;
  std::string text = std::move(held_);
  held_.clear();
  if (!text.empty()) write_locked(text);
}

void JsonlWriter::write_line(const Json& j) {
  std::string line = dump(j);
  line += '\n';
  std::lock_guard<std::mutex> lock(mutex_);
  if (holding_) {
    held_ += line;
    return;
  }
  write_locked(line);
}

void JsonlWriter::write_locked(const std::string& text) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      throw Error(ErrorCode::kIo, "cannot write the JSONL log " + path_ + ": " + std::strerror(e) +
                                      " (free disk space or choose another log_dir)");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

Json JsonlWriter::consumption_json(const Consumption& c) const {
  Json j = {{"epochs", c.epochs},
            {"duration_s", c.duration_s},
            {"energy_kwh", c.energy_kwh},
            {"co2_g", c.co2_g},
            {"intensity_g_per_kwh", c.intensity_g_per_kwh},
            {"intensity_note", c.intensity_note}};
  if (interpretable_) {
    Json eq = Json::object();
    if (c.co2_g >= 0) eq[kCarKmUnit] = car_km(c.co2_g);
    j["equivalents"] = eq;
  } else {
    j["equivalents"] = nullptr;
  }
  if (c.uncertainty) j["uncertainty"] = uncertainty_json<Json>(*c.uncertainty);
  return j;
}

void JsonlWriter::run_start(const RunMetadata& meta, const std::vector<DeviceInfo>& devices,
                            double pue, double unix_s) {
  if (meta.options.is_object()) {
    auto it = meta.options.find("interpretable");
    if (it != meta.options.end() && it->is_boolean()) interpretable_ = it->get<bool>();
  }
  Json devs = Json::array();
  for (const DeviceInfo& d : devices) {
    devs.push_back({{"name", d.name},
                    {"component", component_name(d.component)},
                    {"provenance", provenance_name(d.provenance)},
                    {"source", d.source},
                    {"note", d.note}});
  }
  Json cluster = Json::object();
  for (auto& [k, v] : meta.cluster) cluster[k] = v;
  write_line({{"event", "run_start"},
              {"schema", kSchemaVersion},
              {"time", unix_s},
              {"time_utc", format_iso_utc(unix_s)},
              {"version", meta.version},
              {"hostname", meta.hostname},
              {"command", meta.command},
              {"cluster", cluster},
              {"options", meta.options.is_null()
                              ? Json::object()
                              : Json::parse(meta.options.dump(
                                    -1, ' ', false, nlohmann::json::error_handler_t::replace))},
              {"pue", pue},
              {"devices", devs}});
}

void JsonlWriter::epoch(const EpochRecord& epoch, const std::vector<DeviceInfo>& devices) {
  Json j = {{"event", "epoch"},
            {"index", epoch.index},
            {"partial", epoch.partial},
            {"start", epoch.start_unix_s},
            {"duration_s", epoch.duration_s},
            {"energy_j", epoch.energy_j},
            {"co2_g", epoch.co2_g}};
  bool any_missing = false;
  for (bool m : epoch.missing) any_missing = any_missing || m;
  if (any_missing) j["missing"] = epoch.missing;
  if (devices.size() != epoch.energy_j.size()) {
    Json names = Json::array();
    for (const DeviceInfo& d : devices) names.push_back(d.name);
    j["devices"] = names;
  }
  if (epoch.uncertainty) j["uncertainty"] = uncertainty_json<Json>(*epoch.uncertainty);
  write_line(j);
}

void JsonlWriter::intensity(const IntensityRecord& r) {
  write_line({{"event", "intensity"},
              {"time", r.unix_time_s},
              {"g_per_kwh", r.g_per_kwh},
              {"source", r.source},
              {"location", r.location},
              {"forecast", r.forecast}});
}

void JsonlWriter::sample(double unix_s, double interval_s, const std::vector<double>& power_w,
                         double intensity_g_per_kwh) {
  Json power = Json::array();
  for (double w : power_w) power.push_back(milli(w));
  write_line({{"event", "sample"},
              {"time", milli(unix_s)},
              {"interval_s", milli(interval_s)},
              {"power_w", power},
              {"g_per_kwh", milli(intensity_g_per_kwh)}});
}

void JsonlWriter::prediction(const Consumption& c) {
  Json j = {{"event", "prediction"}};
  j.update(consumption_json(c));
  write_line(j);
}

void JsonlWriter::totals(const RunResult& result, double unix_s) {
  double energy_j = 0, co2_g = 0, duration_s = 0;
  int completed = 0;
  Json components = Json::object();
  for (const EpochRecord& e : result.epochs) {
    duration_s += e.duration_s;
    if (!e.partial) ++completed;
    // The node figure (a platform meter) is reported beside, not in, the totals.
    energy_j += e.total_energy_j();
    co2_g += e.total_co2_g();
    for (size_t i = 0; i < e.energy_j.size(); ++i) {
      if (i < result.devices.size()) {
        const char* key = component_name(result.devices[i].component);
        components[key] = components.value(key, 0.0) + e.energy_j[i];
      }
    }
  }
  write_line({{"event", "totals"},
              {"time", unix_s},
              {"time_utc", format_iso_utc(unix_s)},
              {"epochs_completed", completed},
              {"epochs_recorded", result.epochs.size()},
              {"planned_epochs", result.planned_epochs},
              {"duration_s", duration_s},
              {"pue", result.pue},
              {"energy_j", energy_j},
              {"energy_j_with_pue", energy_j * result.pue},
              {"energy_kwh_with_pue", energy_j * result.pue / 3.6e6},
              {"co2_g", co2_g},
              {"co2_g_with_pue", co2_g * result.pue},
              {"components_energy_j", components},
              {"finished", result.finished},
              {"interrupted", result.interrupted},
              {"actual", result.actual ? consumption_json(*result.actual) : Json()},
              {"messages", result.messages}});
}

}  // namespace carbontracker
