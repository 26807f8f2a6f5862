// Implementation details: every figure is formatted here, once, for both
// output formats; tables hold strings.
#include "report/document.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "carbontracker/version.h"
#include "common/format.h"
#include "common/number.h"
#include "model/uncertainty_text.h"

namespace carbontracker::report {

std::string valid_utf8(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size() && !(n == 2 && c < 0xC2) && !(n == 4 && c > 0xF4);
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 0x2;
    if (ok && n == 3) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);  // overlong, surrogates
    }
    if (ok && n == 4) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(s, i, n);
      i += n;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

namespace {

constexpr double kJoulesPerKwh = 3.6e6;

// "+/- 0.0123 (3.1 %)": an expanded interval and its share of `value`;
// "+0.0130/-0.0110 (+13.0/-11.0 %)" when its two sides differ.
std::string interval(const FigureUncertainty& f, double value, int decimals) {
  ExpandedInterval i = f.interval();
  std::string plus = format_fixed(i.plus, decimals), minus = format_fixed(i.minus, decimals);
  std::string out = two_sides(plus, minus, "+/- ");
  if (value != 0 && std::isfinite(value)) {
    std::string p = format_fixed(100 * i.plus / std::fabs(value), 1);
    std::string m = format_fixed(100 * i.minus / std::fabs(value), 1);
    out += " (" + (plus == minus ? p : two_sides(p, m, "")) + " %)";
  }
  return out;
}

// An epoch's interval in a table cell: "12.3" or "+13.0/-11.0" (grams, joules).
std::string sides(const std::optional<ExpandedInterval>& i, std::string (*number)(double)) {
  if (!i) return "-";
  return two_sides(number(i->plus), number(i->minus), "");
}

std::string coverage(double k) {
  return k == 2 ? std::string("k = 2, about 95 %") : fmt::format("k = {:g}", k);
}

// The budget under an interval: each contribution (terms of one key merged,
// as they combine) with its standard uncertainty in both figures and its
// share of the CO2eq's variance.
void uncertainty_budget(Doc& doc, const Uncertainty& u) {
  FigureUncertainty energy = sum_uncertainty({u.energy_kwh});
  FigureUncertainty co2 = sum_uncertainty({u.co2_g});
  struct Row {
    std::string source, key;
    double energy = 0, co2 = 0;
  };
  std::vector<Row> rows;
  auto add = [&](const FigureUncertainty& f, bool is_co2) {
    for (const UncertaintyTerm& t : f.terms) {
      auto it = std::find_if(rows.begin(), rows.end(),
                             [&](const Row& r) { return r.source == t.source && r.key == t.key; });
      if (it == rows.end()) it = rows.insert(rows.end(), Row{t.source, t.key});
      (is_co2 ? it->co2 : it->energy) = t.u;
    }
  };
  add(energy, false);
  add(co2, true);
  double co2_var = co2.standard() * co2.standard();
  std::vector<std::vector<std::string>> table = {{"contribution", "correlated as", "energy u (kWh)",
                                                  "CO2eq u (g)", "share of CO2eq variance"}};
  for (const Row& r : rows)
    table.push_back({r.source, r.key.empty() ? "independent" : r.key, format_fixed(r.energy, 6),
                     format_fixed(r.co2, 6),
                     co2_var > 0 ? format_fixed(100 * r.co2 * r.co2 / co2_var, 1) + " %" : "-"});
  doc.para(fmt::format(
      "How the interval is made (doc/uncertainty.md): each contribution below is a standard "
      "uncertainty (one standard deviation) in the figure's unit; contributions with the same "
      "correlation key (one PUE, one table intensity) add linearly over epochs, runs and nodes, "
      "the others in quadrature; the interval is the combined standard uncertainty times the "
      "coverage factor ({}), to first order. The carbon intensity and the PUE multiply the other "
      "contributions: their products add second-order terms and make the interval reach further "
      "above the figure than below it (+U/-U where its sides differ).",
      coverage(u.energy_kwh.k)));
  doc.table(std::move(table));
}

std::string kwh(double v) { return std::isfinite(v) ? format_fixed(v, 6) : "unknown"; }
std::string grams(double v) { return std::isfinite(v) ? format_fixed(v, 6) : "unknown"; }
std::string joules(double v) { return std::isfinite(v) ? format_fixed(v, 1) : "unknown"; }

std::string opt_duration(const std::optional<double>& s) {
  return s ? format_duration(*s) : "unknown";
}

void run_section(Doc& doc, const RunReport& run, size_t run_index, bool several) {
  doc.heading("Run " + run.name);
  std::vector<std::vector<std::string>> info = {{"", ""}};
  info.push_back({"Status", run.status});
  if (!run.start.empty()) info.push_back({"Started", run.start});
  if (!run.hostname.empty()) info.push_back({"Host", run.hostname});
  if (!run.command.empty()) info.push_back({"Command", run.command});
  if (!run.version.empty()) info.push_back({"carbontracker version", run.version});
  info.push_back({"Log format", run.format});
  for (const std::string& f : run.files) info.push_back({"Log file", f});
  info.push_back(
      {"Epochs",
       fmt::format("{} completed, {} recorded{}", run.epochs_completed, run.epochs_recorded,
                   run.planned_epochs > 0 ? fmt::format(", {} planned", run.planned_epochs)
                                          : std::string())});
  info.push_back({"PUE", run.pue ? python_float_repr(*run.pue) : "not recorded"});
  doc.table(std::move(info));

  // Totals: the actual consumption as printed (with PUE), else the
  // recorded epochs (killed run).
  double pue = run.pue.value_or(NAN);
  double e_pue = NAN, g_pue = NAN, e_raw = NAN, g_raw = NAN;
  std::optional<double> duration;
  std::string basis;
  if (run.actual) {
    e_pue = run.actual->energy_kwh;
    g_pue = run.actual->co2eq_g;
    e_raw = e_pue / pue;
    g_raw = g_pue / pue;
    duration = run.actual->duration_s;
    basis =
        fmt::format("the actual consumption the run reported ({} epoch(s))", run.actual->epochs);
  } else if (run.energy_j) {
    e_raw = *run.energy_j / kJoulesPerKwh;
    g_raw = run.co2_g.value_or(NAN);
    e_pue = e_raw * pue;
    g_pue = g_raw * pue;
    duration = run.duration_s;
    basis =
        fmt::format("the sum of the {} recorded epoch(s); the run reported no actual consumption",
                    run.epochs_recorded);
  }
  doc.para("Totals, from " +
           (basis.empty() ? std::string("nothing: the logs hold no consumption") : basis) + ".");
  std::vector<std::vector<std::string>> totals = {{"", "without PUE", "with PUE"},
                                                  {"Energy (kWh)", kwh(e_raw), kwh(e_pue)},
                                                  {"CO2eq (g)", grams(g_raw), grams(g_pue)},
                                                  {"Duration", opt_duration(duration), ""}};
  const std::optional<Uncertainty>& run_interval =
      run.actual ? run.actual->uncertainty : std::optional<Uncertainty>();
  if (run_interval) {
    totals[1].push_back(interval(run_interval->energy_kwh, e_pue, 6));
    totals[2].push_back(interval(run_interval->co2_g, g_pue, 6));
    totals[3].push_back("");
    totals[0].push_back("interval (" + coverage(run_interval->energy_kwh.k) + ", with PUE)");
  }
  doc.table(std::move(totals));
  if (run_interval) uncertainty_budget(doc, *run_interval);

  std::string intensity = "Carbon intensity used: ";
  if (run.intensity_g_per_kwh)
    intensity += format_fixed(*run.intensity_g_per_kwh, 2) + " gCO2/kWh";
  else
    intensity += "not recorded";
  intensity += "; source: " +
               (run.intensity_source.empty() ? std::string("not recorded") : run.intensity_source);
  intensity +=
      "; location: " +
      (run.intensity_location.empty() ? std::string("not recorded") : run.intensity_location) + ".";
  doc.para(intensity);
  if (run.intensities.size() > 1) {
    std::vector<std::vector<std::string>> rows = {
        {"time since start", "gCO2/kWh", "source", "location"}};
    for (const IntensityRow& r : run.intensities)
      rows.push_back({format_duration(r.t_s), format_fixed(r.g_per_kwh, 2),
                      r.forecast ? r.source + " (forecast)" : r.source, r.location});
    doc.table(std::move(rows));
  }

  if (!run.components.empty()) {
    std::vector<std::vector<std::string>> rows = {
        {"component", "energy (kWh, without PUE)", "share"}};
    double total = 0;
    for (double v : run.component_energy_j) total += v;
    for (size_t i = 0; i < run.components.size(); ++i) {
      bool known = i < run.component_energy_j.size() && !run.epochs.empty();
      double v = known ? run.component_energy_j[i] : NAN;
      rows.push_back({run.components[i], known ? kwh(v / kJoulesPerKwh) : "unknown",
                      known && total > 0 ? format_fixed(100 * v / total, 1) + " %" : ""});
    }
    doc.para("Energy per component (recorded epochs):");
    doc.table(std::move(rows));
  }
  if (!run.devices.empty()) {
    std::vector<std::vector<std::string>> rows = {
        {"device", "component", "provenance", "source", "energy (J, without PUE)"}};
    for (const DeviceRow& d : run.devices)
      rows.push_back({d.name, d.component, d.provenance, d.source.empty() ? "-" : d.source,
                      d.energy_j ? joules(*d.energy_j) : "not recorded per device"});
    doc.para("Devices:");
    doc.table(std::move(rows));
  }

  if (run.pred || run.actual) {
    std::vector<std::vector<std::string>> rows = {
        {"", "epochs", "duration", "energy (kWh)", "CO2eq (g)"}};
    bool intervals = (run.pred && run.pred->uncertainty) || (run.actual && run.actual->uncertainty);
    if (intervals) rows[0].insert(rows[0].end(), {"energy +/- (95 %)", "CO2eq +/- (95 %)"});
    auto row = [&](const char* label, const parser::ConsumptionLog& c) {
      rows.push_back({label, std::to_string(c.epochs), opt_duration(c.duration_s),
                      kwh(c.energy_kwh), grams(c.co2eq_g)});
      if (!intervals) return;
      rows.back().push_back(c.uncertainty ? interval(c.uncertainty->energy_kwh, c.energy_kwh, 6)
                                          : "not recorded");
      rows.back().push_back(c.uncertainty ? interval(c.uncertainty->co2_g, c.co2eq_g, 6) : "");
    };
    if (run.pred) row("Predicted", *run.pred);
    if (run.actual) row("Actual", *run.actual);
    doc.para("Prediction and actual consumption (with PUE, as the run printed them):");
    doc.table(std::move(rows));
    // Per epoch, since a run may stop before the epochs predicted for; the
    // recorded epochs' energy, as the actual block may leave a partial one out.
    if (run.pred && run.pred->energy_kwh > 0 && run.pred->epochs > 0 && run.energy_j && run.pue &&
        run.epochs_recorded > 0) {
      double per_epoch_pred = run.pred->energy_kwh / run.pred->epochs;
      double per_epoch_actual = *run.energy_j * *run.pue / kJoulesPerKwh / run.epochs_recorded;
      doc.para(fmt::format(
          "Energy per epoch (with PUE): predicted {} kWh, measured {} kWh over the {} recorded "
          "epoch(s) ({:+.1f} % against the prediction).",
          kwh(per_epoch_pred), kwh(per_epoch_actual), run.epochs_recorded,
          round_half_away(1000 * (per_epoch_actual - per_epoch_pred) / per_epoch_pred) / 10 + 0.0));
    }
  } else {
    doc.para("The logs hold neither a prediction nor an actual consumption.");
  }

  if (!run.epochs.empty() && run.epochs.size() <= 30) {
    std::vector<std::string> header = {"epoch", "duration"};
    for (const std::string& c : run.components) header.push_back(c + " (J)");
    header.push_back("CO2eq (g)");
    bool intervals = std::any_of(run.epochs.begin(), run.epochs.end(),
                                 [](const EpochRow& e) { return e.energy_interval_j.has_value(); });
    if (intervals) header.insert(header.end(), {"energy +/- (J, 95 %)", "CO2eq +/- (g, 95 %)"});
    std::vector<std::vector<std::string>> rows = {header};
    for (const EpochRow& e : run.epochs) {
      std::vector<std::string> r = {std::to_string(e.index) + (e.partial ? " (partial)" : ""),
                                    format_duration(e.duration_s, true)};
      for (double v : e.energy_j) r.push_back(joules(v));
      r.push_back(e.co2_g ? grams(*e.co2_g) : "unknown");
      if (intervals) {
        r.push_back(sides(e.energy_interval_j, joules));
        r.push_back(sides(e.co2_interval_g, grams));
      }
      rows.push_back(std::move(r));
    }
    doc.para("Per epoch (without PUE):");
    doc.table(std::move(rows));
  }
  for (const std::string& n : run.notes) doc.para("Note: " + n);
  if (!(run.actual && run.actual->uncertainty) && !(run.pred && run.pred->uncertainty))
    doc.para(
        "Note: this log carries no uncertainty intervals (JSONL schema 1 or 2, or text logs: "
        "written before carbontracker recorded them).");
  for (Chart& c : doc.charts[run_index]) {
    if (several) c.title = valid_utf8(run.name) + ": " + c.title;
    doc.chart(&c);
  }
}

}  // namespace

Doc document(const Report& report) {
  Doc doc;
  doc.charts.reserve(report.runs.size());
  for (const RunReport& run : report.runs) {
    doc.charts.push_back(run_charts(run));
    for (Chart& c : doc.charts.back()) {
      c.title = valid_utf8(c.title);
      for (Series& series : c.series) series.label = valid_utf8(series.label);
    }
  }
  doc.title("Carbon footprint report");
  doc.para(fmt::format("Logs: {} ({} run(s)). Made by carbontracker {}.", report.path,
                       report.runs.size(), version()));
  doc.heading(report.runs.size() > 1 ? "All runs" : "Summary");
  std::vector<std::vector<std::string>> rows = {
      {"", "energy (kWh, with PUE)", "CO2eq (g, with PUE)"}};
  const parser::Aggregate& total = report.aggregate;
  rows.push_back({"Total", kwh(total.energy_kwh), grams(total.co2eq_g)});
  if (total.uncertainty)
    rows.push_back({"Interval (" + coverage(total.uncertainty->energy_kwh.k) + ")",
                    interval(total.uncertainty->energy_kwh, total.energy_kwh, 6),
                    interval(total.uncertainty->co2_g, total.co2eq_g, 6)});
  for (auto& [unit, v] : total.equivalents)
    rows.push_back({"Equivalent: " + unit, format_fixed(v, 6), ""});
  doc.table(std::move(rows));
  doc.para("For papers (the sentences of carbontracker --parse): " + report.sentence);
  if (total.uncertainty) uncertainty_budget(doc, *total.uncertainty);
  if (std::string note = parser::missing_uncertainty_note(total); !note.empty())
    doc.para("Note: " + note + ".");
  for (const std::string& w : report.warnings) doc.para("Warning: " + w);
  for (size_t i = 0; i < report.runs.size(); ++i)
    run_section(doc, report.runs[i], i, report.runs.size() > 1);
  return doc;
}

}  // namespace carbontracker::report
