// Implementation details: the JSONL reader parses each line as one JSON
// object (nlohmann), after a cheap prefix test that lets --parse skip the
// epoch and sample lines of a file that has its totals line. Schema 3 adds
// an "uncertainty" member to the consumption blocks (log_uncertainty.h).
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "common/equivalents.h"
#include "logs/log_text.h"
#include "logs/log_uncertainty.h"
#include "logs/text_scan.h"

namespace carbontracker::parser {

using scan::for_each_line;
using scan::get_component;
using scan::parse_log_json;

std::optional<JsonlRun> parse_jsonl_text(std::string_view text, std::vector<std::string>* problems,
                                         bool per_epoch) {
  JsonlRun run;
  // Without per-epoch figures, a file with its totals line needs only the
  // run_start, prediction and totals lines; the others are not parsed.
  static constexpr std::string_view kEventPrefix = "{\"event\":\"";
  bool skip_other_events =
      !per_epoch && (text.substr(0, 18) == "{\"event\":\"totals\"" ||
                     text.find("\n{\"event\":\"totals\"") != std::string_view::npos);
  bool started = false;
  bool interpretable = true;
  double pue = 1.0;
  int bad_lines = 0;
  bool last_line_bad = false;
  std::vector<std::pair<std::string, std::string>> devices;  // (name, component)
  struct Epoch {
    bool partial = false;
    double duration_s = 0;
    std::vector<double> energy_j, co2_g;
    std::optional<Uncertainty> uncertainty;  // with PUE (schema 3)
  };
  std::vector<Epoch> epochs;
  std::optional<nlohmann::json> totals;

  auto num = [](const nlohmann::json& j, const char* key, double fallback) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return fallback;
    return it->get<double>();
  };
  auto str = [](const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto consumption = [&](const nlohmann::json& j) {
    ConsumptionLog c;
    c.epochs = static_cast<int>(std::clamp(num(j, "epochs", 0), -1e9, 1e9));
    double d = num(j, "duration_s", NAN);
    if (!std::isnan(d)) c.duration_s = d;
    c.energy_kwh = num(j, "energy_kwh", NAN);
    c.co2eq_g = num(j, "co2_g", NAN);
    auto eq = j.find("equivalents");
    if (eq != j.end() && eq->is_object()) {
      c.equivalents.emplace();
      for (auto& [unit, v] : eq->items())
        if (v.is_number()) c.equivalents->emplace_back(unit, v.get<double>());
    }
    if (auto u = j.find("uncertainty"); u != j.end()) c.uncertainty = read_uncertainty(*u);
    return c;
  };

  for_each_line(text, [&](std::string_view line) {
    if (trim(line).empty()) return;
    if (skip_other_events && line.substr(0, kEventPrefix.size()) == kEventPrefix) {
      std::string_view event = line.substr(kEventPrefix.size());
      if (!(event.starts_with("run_start\"") || event.starts_with("prediction\"") ||
            event.starts_with("totals\""))) {
        last_line_bad = false;
        return;
      }
    }
    nlohmann::json j = parse_log_json(line);
    last_line_bad = !j.is_object();
    if (last_line_bad) {
      ++bad_lines;
      return;
    }
    std::string event = str(j, "event");
    if (event == "run_start") {
      if (started) return;
      started = true;
      run.info.version = str(j, "version");
      run.info.hostname = str(j, "hostname");
      if (auto c = j.find("cluster"); c != j.end() && c->is_object())
        for (auto& [k, v] : c->items())
          run.info.cluster[k] =
              v.is_string() ? v.get<std::string>()
                            : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      run.info.has_metadata = !run.info.hostname.empty() || !run.info.cluster.empty();
      pue = num(j, "pue", 1.0);
      run.schema = static_cast<int>(std::clamp(num(j, "schema", 1), 0.0, 1e6));
      if (auto o = j.find("options"); o != j.end() && o->is_object()) {
        auto it = o->find("interpretable");
        if (it != o->end() && it->is_boolean()) interpretable = it->get<bool>();
      }
      if (auto d = j.find("devices"); d != j.end() && d->is_array()) {
        for (auto& dev : *d) {
          if (!dev.is_object()) continue;
          devices.emplace_back(str(dev, "name"), str(dev, "component"));
          get_component(run.components, devices.back().second)
              .devices.push_back(devices.back().first);
        }
      }
    } else if (!started) {
      ++bad_lines;
    } else if (event == "epoch") {
      Epoch e;
      if (auto p = j.find("partial"); p != j.end() && p->is_boolean()) e.partial = p->get<bool>();
      e.duration_s = num(j, "duration_s", 0);
      for (const char* key : {"energy_j", "co2_g"}) {
        auto a = j.find(key);
        if (a == j.end() || !a->is_array()) continue;
        auto& dst = std::string_view(key) == "energy_j" ? e.energy_j : e.co2_g;
        for (auto& v : *a) dst.push_back(v.is_number() ? v.get<double>() : 0.0);
      }
      if (auto u = j.find("uncertainty"); u != j.end()) e.uncertainty = read_uncertainty(*u);
      epochs.push_back(std::move(e));
    } else if (event == "prediction") {
      if (!run.pred) run.pred = consumption(j);
    } else if (event == "totals") {
      totals = std::move(j);
    }
  });

  if (!started) {
    problems->push_back("no run_start line; not a carbontracker JSONL file");
    return std::nullopt;
  }
  if (bad_lines > 0) {
    problems->push_back(last_line_bad && bad_lines == 1
                            ? "last line truncated; ignored"
                            : std::to_string(bad_lines) + " unreadable line(s) ignored");
  }

  std::vector<double> durations;
  for (auto& e : epochs) durations.push_back(e.duration_s);
  if (std::any_of(epochs.begin(), epochs.end(),
                  [](const Epoch& e) { return e.uncertainty.has_value(); }))
    for (auto& e : epochs) run.epoch_uncertainties.push_back(e.uncertainty);
  for (auto& [name, comp] : run.components) {
    if (epochs.empty()) break;
    comp.epoch_durations_s = durations;
    std::vector<std::vector<double>> power, energy;
    for (auto& e : epochs) {
      double joules = 0;
      for (size_t i = 0; i < devices.size() && i < e.energy_j.size(); ++i)
        if (devices[i].second == name) joules += e.energy_j[i];
      energy.push_back({joules});
      power.push_back({e.duration_s > 0 ? joules / e.duration_s : 0.0});
    }
    comp.avg_power_usages_w = std::move(power);
    comp.avg_energy_usages_j = std::move(energy);
  }

  auto equivalents_of = [&](double co2_g) {
    std::optional<std::vector<std::pair<std::string, double>>> eq;
    if (!interpretable) return eq;
    eq.emplace();
    if (co2_g >= 0) eq->emplace_back(kCarKmUnit, car_km(co2_g));
    return eq;
  };

  if (totals) {
    run.has_totals = true;
    if (auto it = totals->find("interrupted"); it != totals->end() && it->is_boolean())
      run.early_stop = it->get<bool>();
    if (auto a = totals->find("actual"); a != totals->end() && a->is_object())
      run.actual = consumption(*a);
  } else {
    // Killed before the totals: the epochs written so far are what it used.
    run.early_stop = true;
    if (!epochs.empty()) {
      ConsumptionLog c;
      double joules = 0, grams = 0, seconds = 0;
      for (auto& e : epochs) {
        // The node figure (a platform meter) is beside the totals, not in them.
        for (size_t i = 0; i < e.energy_j.size(); ++i)
          if (i >= devices.size() || devices[i].second != "node") joules += e.energy_j[i];
        for (size_t i = 0; i < e.co2_g.size(); ++i)
          if (i >= devices.size() || devices[i].second != "node") grams += e.co2_g[i];
        seconds += e.duration_s;
        if (!e.partial) ++c.epochs;
      }
      c.duration_s = seconds;
      c.energy_kwh = joules * pue / 3.6e6;
      c.co2eq_g = grams * pue;
      c.equivalents = equivalents_of(c.co2eq_g);
      // Their intervals sum like the figures (same-key terms correlated),
      // when every epoch has one.
      if (std::all_of(epochs.begin(), epochs.end(),
                      [](const Epoch& e) { return e.uncertainty.has_value(); })) {
        std::vector<FigureUncertainty> energy, co2;
        for (auto& e : epochs) {
          energy.push_back(e.uncertainty->energy_kwh);
          co2.push_back(e.uncertainty->co2_g);
        }
        c.uncertainty = Uncertainty{sum_uncertainty(energy), sum_uncertainty(co2)};
      }
      run.actual = c;
      problems->push_back("no totals line (run killed?); actual consumption summed from its " +
                          std::to_string(epochs.size()) + " epoch record(s)");
    }
  }
  return run;
}

}  // namespace carbontracker::parser
