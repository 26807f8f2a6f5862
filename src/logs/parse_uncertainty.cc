// The aggregate's interval and the sentence that states it (parser.h).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "carbontracker/parser.h"
#include "common/number.h"
#include "model/uncertainty_text.h"

namespace carbontracker::parser {
namespace {

std::string dominant_source(const FigureUncertainty& f) {
  const UncertaintyTerm* t = f.dominant();
  return t ? t->source : std::string("nothing");
}

}  // namespace

std::string missing_uncertainty_note(const Aggregate& total) {
  int without = total.runs - total.runs_with_uncertainty;
  if (without <= 0) return "";
  return fmt::format(
      "{} of {} run{} {} no uncertainty interval (their logs predate them: JSONL schema 1 or 2, "
      "or text logs)",
      without, total.runs, total.runs == 1 ? "" : "s", without == 1 ? "carries" : "carry");
}

std::string uncertainty_sentence(const Aggregate& total) {
  if (!total.uncertainty || total.runs_with_uncertainty == 0) return "";
  const Uncertainty& u = *total.uncertainty;
  double k = u.energy_kwh.k;
  std::string coverage = k == 2 ? "k = 2, about 95 %" : fmt::format("k = {:g}", k);
  std::string s = fmt::format(
      "With expanded uncertainties ({}), the energy is {} kWh ({} %) and the CO2eq {} kg "
      "({} %); the largest contributions are {} for the energy and {} for the CO2eq",
      coverage, value_with_interval(total.energy_kwh, u.energy_kwh.interval()),
      relative_interval(u.energy_kwh.interval(), total.energy_kwh, "+/-"),
      value_with_interval(total.co2eq_g, u.co2_g.interval(), 1000.0),
      relative_interval(u.co2_g.interval(), total.co2eq_g, "+/-"), dominant_source(u.energy_kwh),
      dominant_source(u.co2_g));
  int without = total.runs - total.runs_with_uncertainty;
  if (without > 0)
    s += fmt::format(" (the logs of {} of the {} runs carry no interval and count as exact)",
                     without, total.runs);
  return s + ".";
}

}  // namespace carbontracker::parser
