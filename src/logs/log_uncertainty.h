// The "uncertainty" member of the consumption blocks in our JSONL log and
// --json file (schema 3, doc/jsonl-format.md):
//
//   {"k": 2, "energy_kwh": {"u": u, "expanded": U, "value": y, "minus": U-,
//                           "plus": U+, "terms": [{"source", "key", "u"[, "factor"]}, ...]},
//            "co2_g":      {...}}
//
// "u" is the first-order combined standard uncertainty, [y - U-, y + U+]
// the interval; the terms are what it is made of ("factor": the relative
// uncertainty of a factor of the figure, intensity or PUE). Readers take the terms as the truth
// (the combination is recomputed from them, so a sum over runs can keep same-key terms correlated);
// a figure with "u" but no terms reads as one independent term of that size.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>

#include "carbontracker/uncertainty.h"

namespace carbontracker::parser {

// nullopt when `j` is not such an object or neither figure is readable;
// never throws. Negative or non-finite u values are dropped.
std::optional<Uncertainty> read_uncertainty(const nlohmann::json& j);

// The same object, for the parser's JSON output (--parse --format json and
// the Python results), with the interval recomputed from the terms.
nlohmann::json uncertainty_to_json(const Uncertainty& u);

}  // namespace carbontracker::parser
