// Implementation details: the parser finds and pairs the files and gives the
// totals; this file then reads the run's JSONL file a second time for what
// the parser does not keep (devices' provenance, intensity records, per-epoch
// CO2eq, samples), or the standard text log for its PUE and intensity lines.
#include "report/report_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "carbontracker/error.h"
#include "common/format.h"
#include "common/number.h"
#include "logs/log_uncertainty.h"

namespace carbontracker::report {
namespace fs = std::filesystem;

namespace {

constexpr double kJoulesPerKwh = 3.6e6;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "<dir>/<stem>" of a log file name, or empty when the name is not a log's.
std::string stem_of(const std::string& path) {
  for (std::string_view suffix :
       {"_carbontracker_output.log", "_carbontracker.log", "_carbontracker.jsonl",
        "carbontracker_output.log", "carbontracker.log", "carbontracker.jsonl"}) {
    if (ends_with(path, suffix)) return path.substr(0, path.size() - suffix.size());
  }
  return "";
}

std::string run_stem(const parser::LogResult& r) {
  for (const std::string* p : {&r.jsonl_filename, &r.standard_filename, &r.output_filename})
    if (!p->empty()) return stem_of(*p);
  return "";
}

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

double num(const nlohmann::json& j, const char* key, double fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

size_t component_index(RunReport& run, const std::string& component) {
  auto it = std::find(run.components.begin(), run.components.end(), component);
  if (it != run.components.end()) return static_cast<size_t>(it - run.components.begin());
  run.components.push_back(component);
  return run.components.size() - 1;
}

std::string join_unique(const std::vector<std::string>& items) {
  std::vector<std::string> seen;
  for (const std::string& s : items)
    if (!s.empty() && std::find(seen.begin(), seen.end(), s) == seen.end()) seen.push_back(s);
  std::string out;
  for (size_t i = 0; i < seen.size(); ++i) out += (i ? ", " : "") + seen[i];
  return out;
}

// The figure's interval without its PUE terms (key "pue:..."): what is
// left once the PUE factor is taken out of a figure (still scaled by the
// PUE, like its value).
FigureUncertainty without_pue(const FigureUncertainty& f) {
  FigureUncertainty out{f.k, {}, f.value};
  for (const UncertaintyTerm& t : f.terms)
    if (t.key.rfind("pue:", 0) != 0) out.terms.push_back(t);
  return out;
}

// The per-epoch sums, component energies and the intensity of each epoch.
void finish_epochs(RunReport& run) {
  if (run.epochs.empty()) return;
  run.component_energy_j.assign(run.components.size(), 0.0);
  double joules = 0, seconds = 0, grams = 0;
  bool all_co2 = true;
  for (EpochRow& e : run.epochs) {
    e.energy_j.resize(run.components.size(), 0.0);
    double ej = 0;
    for (size_t c = 0; c < e.energy_j.size(); ++c) {
      run.component_energy_j[c] += e.energy_j[c];
      // The node figure (a platform power meter) contains the others: beside, not in, the total.
      if (run.components[c] != "node") ej += e.energy_j[c];
    }
    joules += ej;
    seconds += e.duration_s;
    if (e.co2_g) {
      grams += *e.co2_g;
      if (ej > 0) e.intensity_g_per_kwh = *e.co2_g / (ej / kJoulesPerKwh);
    } else {
      all_co2 = false;
    }
    if (e.partial)
      ++run.epochs_recorded;
    else
      ++run.epochs_completed, ++run.epochs_recorded;
  }
  run.energy_j = joules;
  run.duration_s = seconds;
  if (all_co2) run.co2_g = grams;
}

// Our JSONL file: everything the report shows.
void read_jsonl(const std::string& path, RunReport& run) {
  std::string text = read_text(path);
  std::vector<std::string> device_names;
  std::vector<size_t> device_component;  // index into run.components
  double t0 = 0;
  std::optional<nlohmann::json> totals;
  PowerSeries power;
  int schema = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    std::string event = str(j, "event");
    if (event == "run_start" && schema == 0) {
      schema = static_cast<int>(num(j, "schema", 1));
      t0 = num(j, "time", 0);
      run.start = str(j, "time_utc");
      run.version = str(j, "version");
      run.hostname = str(j, "hostname");
      run.command = str(j, "command");
      run.pue = num(j, "pue", 1.0);
      if (auto o = j.find("options"); o != j.end() && o->is_object())
        run.planned_epochs = static_cast<int>(num(*o, "epochs", 0));
      if (auto d = j.find("devices"); d != j.end() && d->is_array()) {
        for (auto& dev : *d) {
          if (!dev.is_object()) continue;
          DeviceRow row{str(dev, "name"), str(dev, "component"), str(dev, "provenance"),
                        str(dev, "source"), 0.0};
          if (!str(dev, "note").empty()) row.source += " (" + str(dev, "note") + ")";
          device_names.push_back(row.name);
          device_component.push_back(component_index(run, row.component));
          run.devices.push_back(std::move(row));
        }
      }
    } else if (schema == 0) {
      continue;
    } else if (event == "intensity") {
      run.intensities.push_back({num(j, "time", t0) - t0, num(j, "g_per_kwh", NAN),
                                 str(j, "source"), str(j, "location"), j.value("forecast", false)});
    } else if (event == "epoch") {
      EpochRow e;
      e.index = static_cast<int>(num(j, "index", static_cast<double>(run.epochs.size() + 1)));
      e.partial = j.value("partial", false);
      e.duration_s = num(j, "duration_s", 0);
      e.energy_j.assign(run.components.size(), 0.0);
      std::vector<std::string> names = device_names;
      if (auto d = j.find("devices"); d != j.end() && d->is_array()) {
        names.clear();
        for (auto& n : *d) names.push_back(n.is_string() ? n.get<std::string>() : "");
      }
      double grams = 0;
      bool has_co2 = false;
      if (auto a = j.find("energy_j"); a != j.end() && a->is_array()) {
        for (size_t i = 0; i < a->size() && i < names.size(); ++i) {
          if (!(*a)[i].is_number()) continue;
          double v = (*a)[i].get<double>();
          auto it = std::find(device_names.begin(), device_names.end(), names[i]);
          if (it == device_names.end()) continue;
          size_t dev = static_cast<size_t>(it - device_names.begin());
          e.energy_j[device_component[dev]] += v;
          *run.devices[dev].energy_j += v;
        }
      }
      if (auto a = j.find("co2_g"); a != j.end() && a->is_array()) {
        has_co2 = true;
        for (size_t i = 0; i < a->size(); ++i) {
          if (!(*a)[i].is_number()) continue;
          if (i < names.size()) {
            auto it = std::find(device_names.begin(), device_names.end(), names[i]);
            if (it != device_names.end() &&
                run.components[device_component[it - device_names.begin()]] == "node")
              continue;
          }
          grams += (*a)[i].get<double>();
        }
      }
      if (has_co2) e.co2_g = grams;
      if (auto u = j.find("uncertainty"); u != j.end()) {
        if (std::optional<Uncertainty> interval = parser::read_uncertainty(*u)) {
          double pue = run.pue.value_or(1.0) > 0 ? run.pue.value_or(1.0) : 1.0;
          e.energy_interval_j =
              scaled(without_pue(interval->energy_kwh), kJoulesPerKwh / pue).interval();
          if (e.co2_g) e.co2_interval_g = scaled(without_pue(interval->co2_g), 1 / pue).interval();
        }
      }
      run.epochs.push_back(std::move(e));
    } else if (event == "sample") {
      auto a = j.find("power_w");
      if (a == j.end() || !a->is_array()) continue;
      std::vector<double> per_component(run.components.size(), 0.0);
      for (size_t i = 0; i < a->size() && i < device_component.size(); ++i)
        if ((*a)[i].is_number()) per_component[device_component[i]] += (*a)[i].get<double>();
      power.t_s.push_back(num(j, "time", t0) - t0);
      power.power_w.resize(run.components.size());
      for (size_t c = 0; c < per_component.size(); ++c)
        power.power_w[c].push_back(per_component[c]);
    } else if (event == "totals") {
      totals = std::move(j);
    }
  }
  run.format = fmt::format("JSONL (schema {})", schema);
  finish_epochs(run);
  if (!power.t_s.empty()) {
    run.power = std::move(power);
  } else {
    run.notes.push_back(
        schema < 2 ? "This log (JSONL schema 1) holds no per-tick samples: power over time is not "
                     "shown. Runs of carbontracker 0.1.0 and later with schema 2 have them."
                   : "The run ended before its first sampling tick: power over time is not shown.");
  }
  if (totals) {
    run.planned_epochs = static_cast<int>(num(*totals, "planned_epochs", run.planned_epochs));
    run.status = totals->value("interrupted", false)
                     ? "interrupted (stopped before all monitored epochs were done)"
                     : "finished";
    if (auto a = totals->find("actual"); a != totals->end() && a->is_object())
      run.intensity_g_per_kwh = num(*a, "intensity_g_per_kwh", NAN);
  } else {
    run.status = "killed or still running (no totals line)";
    run.notes.push_back(
        fmt::format("The log has no totals line (the process was killed or still runs): the actual "
                    "consumption is the sum of the {} epoch record(s) it holds.",
                    run.epochs.size()));
  }
  if (!run.intensity_g_per_kwh || std::isnan(*run.intensity_g_per_kwh)) {
    run.intensity_g_per_kwh.reset();
    if (run.co2_g && run.energy_j && *run.energy_j > 0)
      run.intensity_g_per_kwh = *run.co2_g / (*run.energy_j / kJoulesPerKwh);
    else if (!run.intensities.empty())
      run.intensity_g_per_kwh = run.intensities.back().g_per_kwh;
  }
  std::vector<std::string> sources, locations;
  for (const IntensityRow& r : run.intensities) {
    sources.push_back(r.forecast ? r.source + " (forecast)" : r.source);
    locations.push_back(r.location);
  }
  run.intensity_source = join_unique(sources);
  run.intensity_location = join_unique(locations);
}

// Text logs (ours without JSONL, or the original's): the parser's
// per-component figures and the standard log's PUE and intensity lines.
void read_text_logs(const parser::LogResult& r, RunReport& run) {
  run.format = "text logs";
  for (auto& [name, comp] : r.components) {
    size_t c = component_index(run, name);
    (void)c;
  }
  for (auto& [name, comp] : r.components) {
    for (const std::string& d : comp.devices)
      run.devices.push_back({d, name, "not recorded", "", std::nullopt});
  }
  // Epochs: the durations and per-component energies the parser read.
  size_t n_epochs = 0;
  for (auto& [name, comp] : r.components)
    if (comp.avg_energy_usages_j) n_epochs = std::max(n_epochs, comp.avg_energy_usages_j->size());
  for (size_t i = 0; i < n_epochs; ++i) {
    EpochRow e;
    e.index = static_cast<int>(i + 1);
    e.energy_j.assign(run.components.size(), 0.0);
    for (auto& [name, comp] : r.components) {
      size_t c = component_index(run, name);
      if (comp.avg_energy_usages_j && i < comp.avg_energy_usages_j->size())
        for (double v : (*comp.avg_energy_usages_j)[i]) e.energy_j[c] += v;
      if (comp.epoch_durations_s && i < comp.epoch_durations_s->size())
        e.duration_s = (*comp.epoch_durations_s)[i];
    }
    run.epochs.push_back(std::move(e));
  }

  std::string std_text = r.standard_filename.empty() ? "" : read_text(r.standard_filename);
  std::smatch m;
  static const std::regex kPue(R"(PUE coefficient of ([0-9.]+))");
  static const std::regex kAverage(
      R"(Average carbon intensity during training was ([0-9.]+) gCO2/kWh at detected location: ([^\n]*?)\.?\n)");
  static const std::regex kDefault(
      R"(Defaulted to average carbon intensity for (\w+) in (\d+) of ([0-9.]+) gCO2/kWh)");
  static const std::regex kFirstTime(R"(^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d))");
  static const std::regex kVersion(R"(carbontracker version ([^\s]+))");
  // A malformed figure ("1.2.3", ".") is left out, never read in part.
  auto number = [&m](int group) { return parse_number(m[group].str()); };
  if (std::regex_search(std_text, m, kPue)) {
    if (std::optional<double> pue = number(1)) run.pue = pue;
  }
  if (std::regex_search(std_text, m, kFirstTime)) run.start = m[1].str() + " (local time)";
  if (std::regex_search(std_text, m, kVersion)) run.version = m[1];
  if (std::regex_search(std_text, m, kAverage)) {
    run.intensity_g_per_kwh = number(1);
    run.intensity_location = m[2];
  }
  if (std::regex_search(std_text, m, kDefault)) {
    run.intensity_source =
        fmt::format("{} average of {} (live intensity unavailable)", m[1].str(), m[2].str());
    if (!run.intensity_g_per_kwh) run.intensity_g_per_kwh = number(3);
  } else if (run.intensity_g_per_kwh) {
    run.intensity_source = "not recorded in the text logs";
  }
  finish_epochs(run);
  if (run.intensity_g_per_kwh) {
    for (EpochRow& e : run.epochs) {
      double ej = 0;
      for (double v : e.energy_j) ej += v;
      e.co2_g = ej / kJoulesPerKwh * *run.intensity_g_per_kwh;
      e.intensity_g_per_kwh = *run.intensity_g_per_kwh;
    }
    if (run.energy_j) run.co2_g = *run.energy_j / kJoulesPerKwh * *run.intensity_g_per_kwh;
    if (!run.epochs.empty())
      run.notes.push_back(
          "CO2eq per epoch is the epoch's energy times the run's average intensity: text logs "
          "hold no per-epoch CO2eq.");
  }
  for (DeviceRow& d : run.devices) {
    size_t c = component_index(run, d.component);
    int same = 0;
    for (const DeviceRow& o : run.devices) same += o.component == d.component;
    if (same == 1 && c < run.component_energy_j.size()) d.energy_j = run.component_energy_j[c];
  }
  run.notes.push_back(
      "Text logs record neither each device's provenance (measured, estimated or simulated) nor "
      "per-tick samples: power over time is not shown.");
  if (run.actual)
    run.status =
        r.early_stop ? "interrupted (stopped before all monitored epochs were done)" : "finished";
  else
    run.status = "killed or still running (no actual consumption in the output log)";
  if (!run.actual && !run.epochs.empty())
    run.notes.push_back(fmt::format(
        "The output log has no actual consumption (the process was killed or still runs); the "
        "{} epoch(s) of the standard log are shown.",
        run.epochs.size()));
}

RunReport make_run(const parser::LogResult& r) {
  RunReport run;
  std::string stem = run_stem(r);
  run.name = fs::path(stem).filename().string();
  for (const std::string* p : {&r.standard_filename, &r.output_filename, &r.jsonl_filename})
    if (!p->empty()) run.files.push_back(*p);
  run.actual = r.actual;
  run.pred = r.pred;
  if (!r.jsonl_filename.empty()) {
    read_jsonl(r.jsonl_filename, run);
  } else {
    read_text_logs(r, run);
  }
  if (run.version.empty()) run.version = r.info.version;
  if (run.hostname.empty()) run.hostname = r.info.hostname;
  return run;
}

}  // namespace

Report build_report(const std::string& path) {
  Report report;
  report.path = path;
  std::error_code ec;
  auto st = fs::status(path, ec);
  std::vector<parser::LogResult> runs;
  if (!ec && fs::is_directory(st)) {
    runs = parser::parse_all_logs(path, &report.warnings);
  } else if (!ec && fs::is_regular_file(st)) {
    std::string stem = stem_of(path);
    if (stem.empty())
      throw Error(ErrorCode::kIo,
                  "cannot make a report from " + path +
                      ": not a carbontracker log (give a log directory or a file named "
                      "*_carbontracker.log, *_carbontracker_output.log or *_carbontracker.jsonl)");
    fs::path dir = fs::path(path).parent_path();
    if (dir.empty()) dir = ".";
    std::vector<std::string> warnings;
    for (parser::LogResult& r : parser::parse_all_logs(dir.string(), &warnings)) {
      if (fs::path(run_stem(r)).filename() == fs::path(stem).filename())
        runs.push_back(std::move(r));
    }
    std::string name = fs::path(stem).filename().string();
    for (std::string& w : warnings)
      if (w.find(name) != std::string::npos) report.warnings.push_back(std::move(w));
  } else {
    throw Error(ErrorCode::kIo, "cannot make a report from " + path + ": " +
                                    (ec ? ec.message() : std::string("no such file or directory")) +
                                    " (give a log directory or one of its log files)");
  }
  if (runs.empty())
    throw Error(ErrorCode::kIo, "cannot make a report from " + path +
                                    ": no carbontracker run found there (give the log_dir the "
                                    "tracker wrote to, or one of its log files)");
  report.aggregate = parser::aggregate(runs);
  report.sentence = parser::aggregate_sentence(report.aggregate);
  if (std::string intervals = parser::uncertainty_sentence(report.aggregate); !intervals.empty())
    report.sentence += " " + intervals;
  for (const parser::LogResult& r : runs) report.runs.push_back(make_run(r));
  return report;
}

}  // namespace carbontracker::report
