// Uncertainty of a reported figure, as measurement science states it (the
// GUM, JCGM 100:2008): standard uncertainties of independent or correlated
// contributions, combined, and expanded with a coverage factor k.
//
// A figure (energy in kWh, CO2eq in g) carries its contributions as terms,
// each a standard uncertainty in the figure's own unit. Terms with the same
// non-empty key are fully correlated (one PUE, one table intensity, the same
// sensor's bias): within a figure and when figures are summed (over epochs,
// runs or nodes) they add linearly; all other terms add in quadrature.
// doc/uncertainty.md gives the model and the derivation.
#pragma once

#include <string>
#include <vector>

namespace carbontracker {

struct UncertaintyTerm {
  // What the term is, e.g. "RAPL package energy counter", "intensity: yearly
  // average (DK)", "PUE: default 1.58".
  std::string source;
  // Correlation key: terms with the same non-empty key are fully correlated,
  // e.g. "pue:default", "intensity:table:DK:2023". Empty: independent.
  std::string key;
  double u = 0;  // standard uncertainty (one standard deviation), figure's unit
};

struct FigureUncertainty {
  double k = 2;  // coverage factor (k = 2: about 95 %)
  std::vector<UncertaintyTerm> terms;

  // Combined standard uncertainty: terms of one key summed linearly, then
  // the keys and the unkeyed terms in quadrature.
  double standard() const;
  double expanded() const { return k * standard(); }
  // The expanded uncertainty relative to |value| (0 when value is 0).
  double relative(double value) const;
  // The term with the largest contribution (keys merged first: the first
  // term of the largest group); nullptr when there are none.
  const UncertaintyTerm* dominant() const;
};

// Uncertainty of the sum of figures (epochs of a run, runs, nodes): terms of
// one key add linearly across the figures, the others stay independent.
// Terms of one key are merged into one term (the first one's source).
// The coverage factor is the first figure's (2 when none).
FigureUncertainty sum_uncertainty(const std::vector<FigureUncertainty>& figures);

// The same figure scaled by a constant factor (e.g. J to kWh, x PUE).
FigureUncertainty scaled(const FigureUncertainty& figure, double factor);

// The two reported figures.
struct Uncertainty {
  FigureUncertainty energy_kwh;  // with PUE, like Consumption::energy_kwh
  FigureUncertainty co2_g;       // with PUE, like Consumption::co2_g
};

}  // namespace carbontracker
