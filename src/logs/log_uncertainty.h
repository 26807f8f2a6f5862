// The "uncertainty" member of the consumption blocks in our JSONL log and
// --json file (schema 3, doc/jsonl-format.md):
//
//   {"k": 2, "energy_kwh": {"u": U, "terms": [{"source", "key", "u"}, ...]},
//            "co2_g":      {"u": U, "terms": [...]}}
//
// "u" is the combined standard uncertainty; the terms are what it is made
// of. Readers take the terms as the truth (the combination is recomputed
// from them, so a sum over runs can keep same-key terms correlated); a
// figure with "u" but no terms reads as one independent term of that size.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>

#include "carbontracker/uncertainty.h"

namespace carbontracker::parser {

// nullopt when `j` is not such an object or neither figure is readable;
// never throws. Negative or non-finite u values are dropped.
std::optional<Uncertainty> read_uncertainty(const nlohmann::json& j);

// The same object, for the parser's JSON output (--parse --format json and
// the Python results). "expanded" (k*u) is added to each figure for readers
// who want the interval without the arithmetic.
nlohmann::json uncertainty_to_json(const Uncertainty& u);

}  // namespace carbontracker::parser
