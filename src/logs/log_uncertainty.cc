#include "logs/log_uncertainty.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "model/uncertainty_json.h"

namespace carbontracker::parser {
namespace {

std::optional<double> finite_u(const nlohmann::json& j) {
  auto it = j.find("u");
  if (it == j.end() || !it->is_number()) return std::nullopt;
  double u = it->get<double>();
  if (!std::isfinite(u) || u < 0) return std::nullopt;
  return u;
}

// A finite number in [lo, hi], else 0.
double bounded_member(const nlohmann::json& j, const char* key, double lo, double hi) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  double v = it->get<double>();
  return std::isfinite(v) && v >= lo && v <= hi ? v : 0;
}

std::string string_member(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<FigureUncertainty> read_figure(const nlohmann::json& parent, const char* key,
                                             double k) {
  auto it = parent.find(key);
  if (it == parent.end() || !it->is_object()) return std::nullopt;
  FigureUncertainty f;
  f.k = k;
  f.value = bounded_member(*it, "value", 0, std::numeric_limits<double>::max());
  if (auto terms = it->find("terms"); terms != it->end() && terms->is_array()) {
    for (const nlohmann::json& t : *terms) {
      if (!t.is_object()) continue;
      std::optional<double> u = finite_u(t);
      if (!u) continue;
      // A factor's relative uncertainty; one above 10 (1,000 %) is not ours.
      f.terms.push_back({string_member(t, "source"), string_member(t, "key"), *u,
                         bounded_member(t, "factor", 0, 10)});
    }
  }
  if (f.terms.empty()) {
    std::optional<double> u = finite_u(*it);
    if (!u) return std::nullopt;
    f.terms.push_back({"combined (no terms recorded)", "", *u});
  }
  return f;
}

}  // namespace

std::optional<Uncertainty> read_uncertainty(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  double k = 2;
  if (auto it = j.find("k"); it != j.end() && it->is_number()) {
    double v = it->get<double>();
    if (std::isfinite(v) && v > 0) k = v;
  }
  std::optional<FigureUncertainty> energy = read_figure(j, "energy_kwh", k);
  std::optional<FigureUncertainty> co2 = read_figure(j, "co2_g", k);
  if (!energy && !co2) return std::nullopt;
  Uncertainty u;
  u.energy_kwh = energy ? *energy : FigureUncertainty{k, {}};
  u.co2_g = co2 ? *co2 : FigureUncertainty{k, {}};
  return u;
}

nlohmann::json uncertainty_to_json(const Uncertainty& u) {
  return uncertainty_json<nlohmann::json>(u);
}

}  // namespace carbontracker::parser
