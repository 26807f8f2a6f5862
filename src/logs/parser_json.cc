// The parser's results as the original's dictionaries (parser.h, to_json).
#include <nlohmann/json.hpp>

#include "carbontracker/parser.h"
#include "logs/log_uncertainty.h"

namespace carbontracker::parser {
namespace {

nlohmann::json optional_rows(const std::optional<std::vector<std::vector<double>>>& rows) {
  return rows ? nlohmann::json(*rows) : nlohmann::json();
}

nlohmann::json path_or_null(const std::string& path) {
  return path.empty() ? nlohmann::json() : nlohmann::json(path);
}

}  // namespace

nlohmann::json to_json(const ComponentLog& c) {
  return {{"avg_power_usages (W)", optional_rows(c.avg_power_usages_w)},
          {"avg_energy_usages (J)", optional_rows(c.avg_energy_usages_j)},
          {"epoch_durations (s)",
           c.epoch_durations_s ? nlohmann::json(*c.epoch_durations_s) : nlohmann::json()},
          {"devices", c.devices}};
}

nlohmann::json to_json(const Components& comps) {
  nlohmann::json j = nlohmann::json::object();
  for (auto& [name, c] : comps) j[name] = to_json(c);
  return j;
}

nlohmann::json to_json(const ConsumptionLog& c) {
  nlohmann::json eq;
  if (c.equivalents) {
    eq = nlohmann::json::object();
    for (auto& [unit, v] : *c.equivalents) eq[unit] = v;
  }
  nlohmann::json j = {
      {"epochs", c.epochs},
      {"duration (s)", c.duration_s ? nlohmann::json(*c.duration_s) : nlohmann::json()},
      {"energy (kWh)", c.energy_kwh},
      {"co2eq (g)", c.co2eq_g},
      {"equivalents", eq}};
  if (c.uncertainty) j["uncertainty"] = uncertainty_to_json(*c.uncertainty);
  return j;
}

nlohmann::json to_json(const LogResult& r) {
  nlohmann::json j = {{"output_filename", path_or_null(r.output_filename)},
                      {"standard_filename", path_or_null(r.standard_filename)},
                      {"components", to_json(r.components)},
                      {"early_stop", r.early_stop},
                      {"actual", r.actual ? to_json(*r.actual) : nlohmann::json()},
                      {"pred", r.pred ? to_json(*r.pred) : nlohmann::json()}};
  if (!r.jsonl_filename.empty()) j["jsonl_filename"] = r.jsonl_filename;
  if (!r.epoch_uncertainties.empty()) {
    nlohmann::json epochs = nlohmann::json::array();
    for (const auto& u : r.epoch_uncertainties)
      epochs.push_back(u ? uncertainty_to_json(*u) : nlohmann::json());
    j["epoch_uncertainty"] = std::move(epochs);
  }
  if (r.info.has_metadata || !r.info.version.empty()) {
    nlohmann::json meta = nlohmann::json::object();
    if (!r.info.version.empty()) meta["version"] = r.info.version;
    if (!r.info.hostname.empty()) meta["hostname"] = r.info.hostname;
    for (auto& [k, v] : r.info.cluster) meta[k] = v;
    j["run_metadata"] = meta;
  }
  return j;
}

nlohmann::json to_json(const std::vector<LogResult>& runs) {
  nlohmann::json j = nlohmann::json::array();
  for (const LogResult& r : runs) j.push_back(to_json(r));
  return j;
}

nlohmann::json to_json(const Aggregate& a) {
  nlohmann::json eq = nlohmann::json::object();
  for (auto& [unit, v] : a.equivalents) eq[unit] = v;
  return {{"energy (kWh)", a.energy_kwh},
          {"co2eq (g)", a.co2eq_g},
          {"equivalents", eq},
          {"runs", a.runs},
          {"uncertainty", a.uncertainty ? uncertainty_to_json(*a.uncertainty) : nlohmann::json()},
          {"runs_with_uncertainty", a.runs_with_uncertainty}};
}

}  // namespace carbontracker::parser
