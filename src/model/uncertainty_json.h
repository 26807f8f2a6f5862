// The "uncertainty" member of a consumption block in the --json record and
// the JSONL log (schema 3; doc/json-format.md, doc/jsonl-format.md):
//   {"k": 2, "energy_kwh": {"u": u, "expanded": U, "value": y, "minus": U-,
//    "plus": U+, "terms": [{"source", "key", "u"[, "factor"]}, ...]},
//    "co2_g": {...}}
// "u" is the first-order combined standard uncertainty (expanded = k x u);
// the interval is [value - minus, value + plus] (FigureUncertainty::
// interval); "factor" marks the terms of a factor (intensity, PUE).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "carbontracker/uncertainty.h"

namespace carbontracker {

// J is nlohmann::json or nlohmann::ordered_json.
template <typename J>
J uncertainty_json(const Uncertainty& u) {
  auto figure = [](const FigureUncertainty& f) {
    J terms = J::array();
    for (const UncertaintyTerm& t : f.terms) {
      J term{{"source", t.source}, {"key", t.key}, {"u", t.u}};
      if (t.factor > 0) term["factor"] = t.factor;
      terms.push_back(std::move(term));
    }
    ExpandedInterval i = f.interval();
    return J{{"u", f.standard()}, {"expanded", f.expanded()}, {"value", f.value},
             {"minus", i.minus},  {"plus", i.plus},           {"terms", terms}};
  };
  // k as an integer when it is one ("k": 2).
  const double k = u.energy_kwh.k;
  J kj = k == static_cast<double>(static_cast<int>(k)) ? J(static_cast<int>(k)) : J(k);
  return J{{"k", kj}, {"energy_kwh", figure(u.energy_kwh)}, {"co2_g", figure(u.co2_g)}};
}

// The member read back; nullopt when it is absent or not an object with both
// figures (older logs have none). Terms without a numeric "u" are skipped.
template <typename J>
std::optional<Uncertainty> uncertainty_from_json(const J& j) {
  if (!j.is_object()) return std::nullopt;
  auto figure = [&](const char* name, FigureUncertainty* out) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_object()) return false;
    auto k = j.find("k");
    out->k = k != j.end() && k->is_number() ? k->template get<double>() : 2.0;
    if (auto v = it->find("value"); v != it->end() && v->is_number())
      out->value = v->template get<double>();
    auto terms = it->find("terms");
    if (terms == it->end() || !terms->is_array()) return true;
    for (const auto& t : *terms) {
      if (!t.is_object()) continue;
      auto u = t.find("u");
      if (u == t.end() || !u->is_number()) continue;
      UncertaintyTerm term;
      if (auto s = t.find("source"); s != t.end() && s->is_string())
        term.source = s->template get<std::string>();
      if (auto s = t.find("key"); s != t.end() && s->is_string())
        term.key = s->template get<std::string>();
      term.u = u->template get<double>();
      if (auto f = t.find("factor"); f != t.end() && f->is_number())
        term.factor = f->template get<double>();
      out->terms.push_back(std::move(term));
    }
    return true;
  };
  Uncertainty u;
  if (!figure("energy_kwh", &u.energy_kwh) || !figure("co2_g", &u.co2_g)) return std::nullopt;
  return u;
}

}  // namespace carbontracker
