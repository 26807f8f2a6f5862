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

}  // namespace carbontracker
