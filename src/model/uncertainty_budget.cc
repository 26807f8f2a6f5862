// Implementation details: every term is built from a relative standard
// uncertainty (the table) times the part of the figure it concerns, or from
// the engine's sampling variances; the combination itself is the GUM's
// (carbontracker/uncertainty.h). doc/uncertainty.md derives each term.
#include "model/uncertainty_budget.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <map>

#include "common/number.h"

namespace carbontracker {
namespace {

constexpr double kJoulesPerKwh = 3.6e6;

// factor: the relative uncertainty of a factor of the figure (intensity,
// PUE), 0 for the other terms (UncertaintyTerm::factor).
void add(FigureUncertainty& f, std::string source, std::string key, double u, double factor = 0) {
  if (u > 0 && std::isfinite(u)) f.terms.push_back({std::move(source), std::move(key), u, factor});
}

bool counter_class(const std::string& cls) {
  return cls.rfind("rapl:", 0) == 0 || cls.find(":energy") != std::string::npos;
}

}  // namespace

UncertaintyBudget::UncertaintyBudget(const std::vector<DeviceInfo>& devices, double pue,
                                     bool pue_given, std::string_view cpu_vendor,
                                     const UncertaintyTable& table)
    : table_(table), devices_(devices), pue_(pue), pue_given_(pue_given) {
  std::map<std::string, int> seen;
  for (const DeviceInfo& d : devices_) {
    classes_.push_back(device_class(d, cpu_vendor));
    std::string key = "sensor:" + classes_.back() + ":" + d.name;
    int n = seen[key]++;
    keys_.push_back(n == 0 ? key : fmt::format("{}#{}", key, n));
  }
}

Uncertainty UncertaintyBudget::window(const std::vector<DeviceFigure>& devices,
                                      const IntensityUse& intensity) const {
  Uncertainty u;
  const double to_kwh = pue_ / kJoulesPerKwh;
  double energy_j = 0, co2_g = 0;
  for (size_t i = 0; i < devices.size() && i < devices_.size(); ++i) {
    if (!counted_in_total(devices_[i].component)) continue;
    const DeviceFigure& f = devices[i];
    energy_j += f.energy_j;
    co2_g += f.co2_g;
    const UncertaintyClass& cls = table_.get(classes_[i]);
    std::string source = cls.label + " (" + devices_[i].name + ")";
    add(u.energy_kwh, source, keys_[i], cls.relative_u * std::fabs(f.energy_j) * to_kwh);
    add(u.co2_g, source, keys_[i], cls.relative_u * std::fabs(f.co2_g) * pue_);
    std::string sampling = std::string(counter_class(classes_[i]) ? "sampling: counter read times"
                                                                  : "sampling: polled power") +
                           " (" + devices_[i].name + ")";
    add(u.energy_kwh, sampling, "", sqrt_nonneg(std::max(0.0, f.sampling_var_j2)) * to_kwh);
    add(u.co2_g, sampling, "", sqrt_nonneg(std::max(0.0, f.sampling_var_co2_g2)) * pue_);
  }
  u.energy_kwh.value = energy_j * to_kwh;
  u.co2_g.value = co2_g * pue_;
  const UncertaintyClass& ci = table_.get(intensity.cls);
  add(u.co2_g, ci.label + " (" + intensity.detail + ")", intensity.key,
      ci.relative_u * std::fabs(co2_g) * pue_, ci.relative_u);
  if (!pue_given_) {
    const UncertaintyClass& p = table_.get("pue:default");
    std::string source = p.label + " (" + p.reference + ")";
    add(u.energy_kwh, source, "pue:default", p.relative_u * std::fabs(energy_j) * to_kwh,
        p.relative_u);
    add(u.co2_g, source, "pue:default", p.relative_u * std::fabs(co2_g) * pue_, p.relative_u);
  }
  return u;
}

Uncertainty UncertaintyBudget::total(const std::vector<Uncertainty>& windows) {
  std::vector<FigureUncertainty> energy, co2;
  for (const Uncertainty& w : windows) {
    energy.push_back(w.energy_kwh);
    co2.push_back(w.co2_g);
  }
  return {compact(sum_uncertainty(energy)), compact(sum_uncertainty(co2))};
}

std::optional<Uncertainty> UncertaintyBudget::total(const std::vector<EpochRecord>& epochs) {
  std::vector<Uncertainty> windows;
  for (const EpochRecord& e : epochs) {
    if (!e.uncertainty) return std::nullopt;
    windows.push_back(*e.uncertainty);
  }
  if (windows.empty()) return std::nullopt;
  return total(windows);
}

std::optional<Uncertainty> UncertaintyBudget::prediction(const std::vector<EpochRecord>& measured,
                                                         int planned_epochs,
                                                         double remaining_g_per_kwh,
                                                         const IntensityUse& remaining) const {
  std::vector<FigureUncertainty> energy, co2;
  std::vector<double> epoch_kwh;
  for (const EpochRecord& e : measured) {
    if (!e.uncertainty) continue;
    energy.push_back(e.uncertainty->energy_kwh);
    co2.push_back(e.uncertainty->co2_g);
    epoch_kwh.push_back(e.total_energy_j() * pue_ / kJoulesPerKwh);
  }
  const double k = static_cast<double>(energy.size());
  if (k == 0) return std::nullopt;
  const double n = std::max(0, planned_epochs);
  const double rest = std::max(0.0, n - k);
  double mean_kwh = 0;
  for (double x : epoch_kwh) mean_kwh += x / k;

  FigureUncertainty measured_energy = sum_uncertainty(energy);
  Uncertainty u;
  // The planned epochs' energy is n times the measured mean: every measured
  // term scaled by n / k; the remaining epochs' CO2eq likewise at the
  // intensity they are predicted at, with that intensity's own term.
  u.energy_kwh = scaled(measured_energy, n / k);
  u.co2_g = sum_uncertainty(co2);
  FigureUncertainty rest_co2 = scaled(measured_energy, rest / k * remaining_g_per_kwh);
  u.co2_g.terms.insert(u.co2_g.terms.end(), rest_co2.terms.begin(), rest_co2.terms.end());
  u.co2_g.value += rest_co2.value;
  const UncertaintyClass& ci = table_.get(remaining.cls);
  add(u.co2_g, ci.label + " (" + remaining.detail + ")", remaining.key,
      ci.relative_u * rest * mean_kwh * remaining_g_per_kwh, ci.relative_u);

  // Epoch-to-epoch spread: the rest epochs' sum against rest x the mean, a
  // prediction interval (Student's t with k - 1 degrees of freedom, given
  // as the standard uncertainty that k = 2 expands to that interval).
  double spread = 0;
  std::string source;
  if (rest > 0 && k >= 2) {
    double ss = 0;
    for (double x : epoch_kwh) ss += (x - mean_kwh) * (x - mean_kwh);
    double s = sqrt_nonneg(ss / (k - 1));
    int nu = static_cast<int>(k) - 1;
    spread = s * sqrt_nonneg(rest + rest * rest / k) * student_t_9545(nu) / 2;
    source = fmt::format(
        "prediction: epoch-to-epoch spread ({} epochs, Student's t, {} degrees of "
        "freedom)",
        static_cast<int>(k), nu);
  } else if (rest > 0) {
    const UncertaintyClass& one = table_.get("prediction:one-epoch");
    spread = one.relative_u * mean_kwh * sqrt_nonneg(rest + rest * rest);
    source = one.label + " (" + one.basis + ")";
  }
  add(u.energy_kwh, source, "", spread);
  add(u.co2_g, source, "", spread * remaining_g_per_kwh);
  u.energy_kwh = compact(u.energy_kwh);
  u.co2_g = compact(u.co2_g);
  return u;
}

std::vector<DeviceFigure> window_figures(const Snapshot& start, const Snapshot& end) {
  auto at = [](const std::vector<double>& v, size_t i) { return i < v.size() ? v[i] : 0.0; };
  std::vector<DeviceFigure> out;
  for (size_t i = 0; i < end.energy_j.size(); ++i) {
    DeviceFigure f;
    f.energy_j = end.energy_j[i] - at(start.energy_j, i);
    f.co2_g = at(end.co2_g, i) - at(start.co2_g, i);
    SamplingVariance a = i < start.sampling.size() ? start.sampling[i] : SamplingVariance{};
    SamplingVariance b = i < end.sampling.size() ? end.sampling[i] : SamplingVariance{};
    f.sampling_var_j2 = std::max(0.0, b.integration_j2 - a.integration_j2) + a.edge_j2 + b.edge_j2;
    f.sampling_var_co2_g2 =
        std::max(0.0, b.integration_g2 - a.integration_g2) + a.edge_g2 + b.edge_g2;
    out.push_back(f);
  }
  return out;
}

IntensityUse window_intensity(const std::vector<IntensityRecord>& records, double from_unix_s,
                              double to_unix_s) {
  const UncertaintyTable& table = UncertaintyTable::embedded();
  std::optional<IntensityUse> best;
  double best_u = -1;
  for (size_t i = 0; i < records.size(); ++i) {
    bool next_in_force = i + 1 < records.size() && records[i + 1].unix_time_s <= from_unix_s;
    if (next_in_force || (i > 0 && records[i].unix_time_s > to_unix_s)) continue;
    IntensityUse use = intensity_use(records[i]);
    double u = table.get(use.cls).relative_u;
    if (u > best_u) {
      best_u = u;
      best = use;
    }
  }
  if (best) return *best;
  return {"intensity:world", "intensity:world", "UNDETECTED, no intensity value"};
}

double student_t_9545(int nu) {
  // JCGM 100:2008 table G.2, p = 95.45 %.
  static const double kT[] = {13.9678, 4.5266, 3.3068, 2.8693, 2.6487, 2.5165, 2.4288, 2.3664,
                              2.3198,  2.2837, 2.2549, 2.2314, 2.2118, 2.1953, 2.1812, 2.1689,
                              2.1583,  2.1489, 2.1405, 2.1330, 2.1263, 2.1202, 2.1147, 2.1097,
                              2.1051,  2.1009, 2.0969, 2.0933, 2.0900, 2.0868};
  if (nu < 1) return std::numeric_limits<double>::infinity();
  if (nu <= 30) return kT[nu - 1];
  // Cornish-Fisher expansion around z = 2.
  const double z = 2, v = nu;
  return z + (z * z * z + z) / (4 * v) +
         (5 * z * z * z * z * z + 16 * z * z * z + 3 * z) / (96 * v * v);
}

FigureUncertainty compact(const FigureUncertainty& figure) {
  FigureUncertainty merged = sum_uncertainty({figure});
  merged.k = figure.k;
  FigureUncertainty out;
  out.k = figure.k;
  out.value = figure.value;
  std::map<std::string, size_t> at;
  for (const UncertaintyTerm& t : merged.terms) {
    if (!t.key.empty()) {
      out.terms.push_back(t);
      continue;
    }
    auto [it, added] = at.emplace(t.source, out.terms.size());
    if (added) {
      out.terms.push_back(t);
    } else {
      double& u = out.terms[it->second].u;
      u = hypot_simple(u, t.u);
    }
  }
  return out;
}

std::string short_source(const std::string& source) {
  if (source.empty() || source.back() != ')') return source;
  int depth = 0;
  for (size_t i = source.size(); i-- > 0;) {
    if (source[i] == ')') ++depth;
    if (source[i] == '(' && --depth == 0) {
      size_t end = i;
      while (end > 0 && source[end - 1] == ' ') --end;
      return end > 0 ? source.substr(0, end) : source;
    }
  }
  return source;
}

}  // namespace carbontracker
