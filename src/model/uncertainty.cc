#include "carbontracker/uncertainty.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/number.h"

namespace carbontracker {
namespace {

// Terms of one key merged (u summed linearly, first source kept), unkeyed
// terms kept as they are, in order of first appearance.
std::vector<UncertaintyTerm> merge_keys(const std::vector<UncertaintyTerm>& terms) {
  std::vector<UncertaintyTerm> out;
  std::map<std::string, size_t> at;
  for (const UncertaintyTerm& t : terms) {
    if (t.key.empty()) {
      out.push_back(t);
      continue;
    }
    auto [it, added] = at.emplace(t.key, out.size());
    if (added) {
      out.push_back(t);
    } else {
      out[it->second].u += t.u;
    }
  }
  return out;
}

}  // namespace

double FigureUncertainty::standard() const {
  double sum2 = 0;
  for (const UncertaintyTerm& t : merge_keys(terms)) sum2 += t.u * t.u;
  return sqrt_nonneg(sum2);
}

double FigureUncertainty::relative(double value) const {
  if (value == 0) return 0;
  ExpandedInterval i = interval();
  return (i.minus + i.plus) / 2 / std::fabs(value);
}

ExpandedInterval FigureUncertainty::interval() const {
  // Y = y + sum_i c_i x_i + sum_{i<j} c_ij x_i x_j, x standard normal per
  // key. A factor term j (relative uncertainty f_j, multiplying the part
  // c_j / f_j of the figure) multiplies every other term i in proportion:
  // c_ij = c_i f_j (c_j / f_j) / |y|. Two factors of one kind (intensities of
  // different windows) multiply disjoint parts and are not paired.
  // Second order: var = sum c_i^2 + sum c_ij^2, third cumulant 6 sum c_i c_j c_ij.
  const std::vector<UncertaintyTerm> m = merge_keys(terms);
  const double y = std::fabs(value);
  auto kind = [](const std::string& key) { return key.substr(0, key.find(':')); };
  double var = 0, k3 = 0;
  for (const UncertaintyTerm& t : m) var += t.u * t.u;
  for (size_t j = 0; j < m.size() && y > 0; ++j) {
    if (!(m[j].factor > 0)) continue;
    const double share = std::clamp(m[j].u / m[j].factor / y, 0.0, 1.0);
    for (size_t i = 0; i < m.size(); ++i) {
      if (i == j) continue;
      if (m[i].factor > 0 && (i < j || kind(m[i].key) == kind(m[j].key))) continue;
      const double c_ij = m[i].u * m[j].factor * share;
      var += c_ij * c_ij;
      k3 += 6 * m[i].u * m[j].u * c_ij;
    }
  }
  const double sigma = sqrt_nonneg(var);
  if (!(sigma > 0) || !std::isfinite(sigma)) return {};
  const double skew = k3 / (sigma * sigma * sigma);
  ExpandedInterval out{k * sigma, k * sigma};
  // Below a skewness of 1e-4 the ends move by less than 1e-4 standard
  // uncertainties, and 1 + t^2 would lose t^2 to rounding: symmetric.
  if (std::fabs(skew) > 1e-4 && std::isfinite(skew)) {
    // A shifted lognormal with the same mean, variance and skewness: its
    // quantiles at -+k standard normal deviates (doc/uncertainty.md).
    // t = sqrt(w - 1) is the real root of t^3 + 3t = |skew| (increasing:
    // Newton's iteration from above converges without overshooting).
    const double g = std::fabs(skew);
    double t = g / 3;  // f(g / 3) = (g / 3)^3 >= 0: at or above the root
    for (int i = 0; i < 100; ++i) {
      const double step = (t * t * t + 3 * t - g) / (3 * t * t + 3);
      t -= step;
      if (std::fabs(step) <= 1e-15 * t) break;
    }
    // No libm in the program (common/number.h): its own exp and log.
    const double w = 1 + t * t, s = sqrt_nonneg(log_simple(w)), sw = sqrt_nonneg(w);
    const double long_side = sigma * (exp_simple(s * k) - sw) / (sw * t);
    const double short_side = sigma * (sw - exp_simple(-s * k)) / (sw * t);
    out = skew > 0 ? ExpandedInterval{short_side, long_side}
                   : ExpandedInterval{long_side, short_side};
  }
  return out;
}

const UncertaintyTerm* FigureUncertainty::dominant() const {
  std::vector<UncertaintyTerm> merged = merge_keys(terms);
  size_t best = merged.size();
  for (size_t i = 0; i < merged.size(); ++i) {
    if (best == merged.size() || std::fabs(merged[i].u) > std::fabs(merged[best].u)) best = i;
  }
  if (best == merged.size()) return nullptr;
  // Point at the original term that starts the group.
  for (const UncertaintyTerm& t : terms) {
    if (t.source == merged[best].source && t.key == merged[best].key) return &t;
  }
  return nullptr;
}

FigureUncertainty sum_uncertainty(const std::vector<FigureUncertainty>& figures) {
  FigureUncertainty out;
  if (!figures.empty()) out.k = figures.front().k;
  std::vector<UncertaintyTerm> all;
  for (const FigureUncertainty& f : figures) all.insert(all.end(), f.terms.begin(), f.terms.end());
  out.terms = merge_keys(all);
  for (const FigureUncertainty& f : figures) out.value += f.value;
  return out;
}

FigureUncertainty scaled(const FigureUncertainty& figure, double factor) {
  FigureUncertainty out = figure;
  for (UncertaintyTerm& t : out.terms) t.u *= factor;
  out.value *= factor;
  return out;
}

}  // namespace carbontracker
