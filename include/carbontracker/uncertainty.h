// Uncertainty of a reported figure, as measurement science states it (the
// GUM, JCGM 100:2008): standard uncertainties of independent or correlated
// contributions, combined, and expanded with a coverage factor k.
//
// A figure (energy in kWh, CO2eq in g) carries its contributions as terms,
// each a standard uncertainty in the figure's own unit. Terms with the same
// non-empty key are fully correlated (one PUE, one table intensity, the same
// sensor's bias): within a figure and when figures are summed (over epochs,
// runs or nodes) they add linearly; all other terms add in quadrature.
// Terms of a factor of the figure (intensity, PUE) also multiply the others,
// which makes the interval asymmetric (interval()).
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
  // For a factor of the figure (the carbon intensity, the PUE): the factor's
  // relative standard uncertainty, so that u / factor is the part of the
  // figure it multiplies; 0 for every other term. It makes the interval
  // asymmetric (interval()): a product of uncertain factors is skewed.
  double factor = 0;
};

// An expanded uncertainty on either side of a figure: the interval is
// [value - minus, value + plus], both >= 0.
struct ExpandedInterval {
  double minus = 0;
  double plus = 0;
};

struct FigureUncertainty {
  double k = 2;  // coverage factor (k = 2: about 95 %)
  std::vector<UncertaintyTerm> terms;
  // The figure itself (kWh, g), which factor terms multiply; 0 when unknown
  // (logs written before it was recorded): the interval is then symmetric.
  double value = 0;

  // Combined standard uncertainty, first order (GUM 5.1.2): terms of one key
  // summed linearly, then the keys and the unkeyed terms in quadrature.
  double standard() const;
  double expanded() const { return k * standard(); }
  // The half-width of interval() relative to |value| (0 when value is 0):
  // the "+-" of a figure whose two sides are not told apart.
  double relative(double value) const;
  // The expanded interval around `value` (GUM 5.1.2 with its second-order
  // terms, coverage from the first three moments; doc/uncertainty.md,
  // "Asymmetric intervals"): each factor term multiplies the other terms,
  // which adds variance and skews the interval upwards. Without factor
  // terms, or with value 0, it is value -+ expanded(). The lower end may be
  // below 0 where the declared normal errors reach there (the world average
  // intensity); the text outputs print it as 0 (model/uncertainty_text.h).
  ExpandedInterval interval() const;
  // The term with the largest contribution (keys merged first: the first
  // term of the largest group); nullptr when there are none.
  const UncertaintyTerm* dominant() const;
};

// Uncertainty of the sum of figures (epochs of a run, runs, nodes): terms of
// one key add linearly across the figures, the others stay independent; the
// values add.
// Terms of one key are merged into one term (the first one's source).
// The coverage factor is the first figure's (2 when none).
FigureUncertainty sum_uncertainty(const std::vector<FigureUncertainty>& figures);

// The same figure scaled by a constant factor (e.g. J to kWh, x PUE); the
// value too.
FigureUncertainty scaled(const FigureUncertainty& figure, double factor);

// The two reported figures.
struct Uncertainty {
  FigureUncertainty energy_kwh;  // with PUE, like Consumption::energy_kwh
  FigureUncertainty co2_g;       // with PUE, like Consumption::co2_g
};

}  // namespace carbontracker
