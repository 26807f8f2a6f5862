#include "output/json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "carbontracker/error.h"
#include "carbontracker/version.h"
#include "common/format.h"
#include "model/uncertainty_json.h"

namespace carbontracker {

namespace {

constexpr double kJoulesPerKwh = 3.6e6;

nlohmann::json consumption_json(const std::optional<Consumption>& c) {
  if (!c) return nullptr;
  nlohmann::json j = {{"epochs", c->epochs},
                      {"duration_s", c->duration_s},
                      {"energy_kwh", c->energy_kwh},
                      {"co2eq_g", c->co2_g},
                      {"intensity_g_per_kwh", c->intensity_g_per_kwh},
                      {"intensity_note", c->intensity_note}};
  if (c->uncertainty) j["uncertainty"] = uncertainty_json<nlohmann::json>(*c->uncertainty);
  return j;
}

}  // namespace

nlohmann::json run_to_json(const RunResult& r) {
  nlohmann::json j;
  j["carbontracker_version"] = version();
  j["pue"] = r.pue;
  j["planned_epochs"] = r.planned_epochs;
  j["finished"] = r.finished;
  j["interrupted"] = r.interrupted;

  std::vector<double> dev_energy(r.devices.size(), 0.0), dev_co2(r.devices.size(), 0.0);
  nlohmann::json epochs = nlohmann::json::array();
  for (const EpochRecord& e : r.epochs) {
    nlohmann::json devs = nlohmann::json::array();
    for (size_t i = 0; i < r.devices.size() && i < e.energy_j.size(); ++i) {
      dev_energy[i] += e.energy_j[i];
      dev_co2[i] += e.co2_g[i];
      devs.push_back({{"name", r.devices[i].name},
                      {"component", component_name(r.devices[i].component)},
                      {"energy_j", e.energy_j[i]},
                      {"co2eq_g", e.co2_g[i]},
                      {"measured", !(i < e.missing.size() && e.missing[i])}});
    }
    epochs.push_back({{"index", e.index},
                      {"partial", e.partial},
                      {"start", format_iso_utc(e.start_unix_s)},
                      {"start_unix_s", e.start_unix_s},
                      {"duration_s", e.duration_s},
                      {"energy_j", e.total_energy_j()},
                      {"energy_j_with_pue", e.total_energy_j() * r.pue},
                      {"co2eq_g", e.total_co2_g()},
                      {"co2eq_g_with_pue", e.total_co2_g() * r.pue},
                      {"devices", devs}});
    if (e.uncertainty)
      epochs.back()["uncertainty"] = uncertainty_json<nlohmann::json>(*e.uncertainty);
  }
  nlohmann::json devices = nlohmann::json::array();
  for (size_t i = 0; i < r.devices.size(); ++i) {
    const DeviceInfo& d = r.devices[i];
    devices.push_back({{"name", d.name},
                       {"component", component_name(d.component)},
                       {"provenance", provenance_name(d.provenance)},
                       {"source", d.source},
                       {"note", d.note},
                       {"energy_j", dev_energy[i]},
                       {"energy_j_with_pue", dev_energy[i] * r.pue},
                       {"energy_kwh", dev_energy[i] / kJoulesPerKwh},
                       {"co2eq_g", dev_co2[i]}});
  }
  nlohmann::json components = nlohmann::json::object();
  for (ComponentKind k : {ComponentKind::kGpu, ComponentKind::kCpu, ComponentKind::kNode}) {
    bool present = false;
    for (const DeviceInfo& d : r.devices) present |= d.component == k;
    if (!present) continue;
    double e = r.component_energy_j(k);
    components[component_name(k)] = {{"energy_j", e},
                                     {"energy_j_with_pue", e * r.pue},
                                     {"energy_kwh", e / kJoulesPerKwh},
                                     {"energy_kwh_with_pue", e * r.pue / kJoulesPerKwh},
                                     {"in_total", counted_in_total(k)}};
  }
  nlohmann::json intensities = nlohmann::json::array();
  for (const IntensityRecord& i : r.intensities)
    intensities.push_back({{"g_per_kwh", i.g_per_kwh},
                           {"time", format_iso_utc(i.unix_time_s)},
                           {"source", i.source},
                           {"location", i.location},
                           {"forecast", i.forecast}});
  double e = r.energy_j(false);
  j["devices"] = devices;
  j["components"] = components;
  j["epochs"] = epochs;
  j["total"] = {{"epochs_completed",
                 static_cast<int>(std::count_if(r.epochs.begin(), r.epochs.end(),
                                                [](const EpochRecord& x) { return !x.partial; }))},
                {"duration_s", r.duration_s()},
                {"energy_j", e},
                {"energy_j_with_pue", e * r.pue},
                {"energy_kwh", e / kJoulesPerKwh},
                {"energy_kwh_with_pue", e * r.pue / kJoulesPerKwh},
                {"co2eq_g", r.co2_g(false)},
                {"co2eq_g_with_pue", r.co2_g(true)}};
  j["prediction"] = consumption_json(r.prediction);
  j["actual"] = consumption_json(r.actual);
  j["intensities"] = intensities;
  j["messages"] = r.messages;
  const DistributedInfo& d = r.distributed;
  auto num = [](int v) { return v >= 0 ? nlohmann::json(v) : nlohmann::json(); };
  j["distributed"] = {{"policy", d.policy},
                      {"launcher", d.launcher},
                      {"job", d.job},
                      {"step", d.step},
                      {"rank", num(d.rank)},
                      {"world_size", num(d.world_size)},
                      {"local_rank", num(d.local_rank)},
                      {"node", num(d.node)},
                      {"nodes", num(d.nodes)},
                      {"measures", d.measures},
                      {"measured_by", d.measured_by},
                      {"message", d.message}};
  return j;
}

void write_json_file(const std::string& path, const nlohmann::json& record) {
  // Arguments, paths and messages need not be valid UTF-8: such bytes are
  // written as U+FFFD, never an exception (which would leave the .tmp file).
  std::string text = record.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "we");
  bool ok = f && std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = f && (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    std::remove(tmp.c_str());
    throw Error(ErrorCode::kIo, fmt::format("Cannot write the JSON record {}: {}. Choose a "
                                            "writable path (and check free disk space).",
                                            path, std::strerror(e)));
  }
}

}  // namespace carbontracker
