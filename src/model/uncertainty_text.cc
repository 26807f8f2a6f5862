#include "model/uncertainty_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/number.h"

namespace carbontracker {
namespace {

// Decimals that give two significant digits of the smaller positive side.
int decimals_for(const ExpandedInterval& i) {
  double small = std::min(i.minus, i.plus);
  if (!(small > 0)) small = std::max(i.minus, i.plus);
  if (!(small > 0) || !std::isfinite(small)) return 0;
  return std::clamp(1 - floor_log10(small), 0, 12);
}

// A fraction in percent to two significant figures: "3.1", "22", "0.45".
std::string percent_2sf(double fraction) {
  double p = fraction * 100;
  if (!std::isfinite(p)) return "?";
  if (p >= 9.95) return fmt::format("{:.0f}", p);
  if (p >= 0.995) return fmt::format("{:.1f}", p);
  if (p <= 0) return "0";
  return fmt::format("{:.2f}", p);
}

}  // namespace

std::string two_sides(const std::string& plus, const std::string& minus, const std::string& same) {
  return plus == minus ? same + plus : "+" + plus + "/-" + minus;
}

ExpandedInterval cut_at_zero(ExpandedInterval i, double value) {
  i.minus = std::min(i.minus, std::fabs(value));
  return i;
}

std::string relative_interval(ExpandedInterval i, double value, const char* pm) {
  double y = std::fabs(value);
  i = cut_at_zero(i, value);
  if (y == 0) return std::string(pm) + "0";
  return two_sides(percent_2sf(i.plus / y), percent_2sf(i.minus / y), pm);
}

std::string interval_sides(double value, ExpandedInterval i, double scale) {
  i = cut_at_zero(i, value);
  ExpandedInterval s{i.minus / scale, i.plus / scale};
  int d = decimals_for(s);
  return two_sides(fmt::format("{:.{}f}", s.plus, d), fmt::format("{:.{}f}", s.minus, d), "+/- ");
}

std::string value_with_interval(double value, const ExpandedInterval& i, double scale) {
  ExpandedInterval s = cut_at_zero({i.minus / scale, i.plus / scale}, value / scale);
  if (!(std::max(s.minus, s.plus) > 0) || !std::isfinite(s.plus))
    return fmt::format("{:.3g} +/- 0", value / scale);
  return fmt::format("{:.{}f} {}", value / scale, decimals_for(s), interval_sides(value, i, scale));
}

}  // namespace carbontracker
