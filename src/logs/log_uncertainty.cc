#include "logs/log_uncertainty.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace carbontracker::parser {
namespace {

std::optional<double> finite_u(const nlohmann::json& j) {
  auto it = j.find("u");
  if (it == j.end() || !it->is_number()) return std::nullopt;
  double u = it->get<double>();
  if (!std::isfinite(u) || u < 0) return std::nullopt;
  return u;
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
  if (auto terms = it->find("terms"); terms != it->end() && terms->is_array()) {
    for (const nlohmann::json& t : *terms) {
      if (!t.is_object()) continue;
      std::optional<double> u = finite_u(t);
      if (!u) continue;
      f.terms.push_back({string_member(t, "source"), string_member(t, "key"), *u});
    }
  }
  if (f.terms.empty()) {
    std::optional<double> u = finite_u(*it);
    if (!u) return std::nullopt;
    f.terms.push_back({"combined (no terms recorded)", "", *u});
  }
  return f;
}

nlohmann::json figure_json(const FigureUncertainty& f) {
  nlohmann::json terms = nlohmann::json::array();
  for (const UncertaintyTerm& t : f.terms)
    terms.push_back({{"source", t.source}, {"key", t.key}, {"u", t.u}});
  return {{"u", f.standard()}, {"expanded", f.expanded()}, {"terms", std::move(terms)}};
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
  return {{"k", u.energy_kwh.k},
          {"energy_kwh", figure_json(u.energy_kwh)},
          {"co2_g", figure_json(u.co2_g)}};
}

}  // namespace carbontracker::parser
