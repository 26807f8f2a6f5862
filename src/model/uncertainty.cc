#include "carbontracker/uncertainty.h"

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
  return value == 0 ? 0 : expanded() / std::fabs(value);
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
  return out;
}

FigureUncertainty scaled(const FigureUncertainty& figure, double factor) {
  FigureUncertainty out = figure;
  for (UncertaintyTerm& t : out.terms) t.u *= factor;
  return out;
}

}  // namespace carbontracker
