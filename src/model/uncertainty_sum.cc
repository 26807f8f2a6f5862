#include "model/uncertainty_sum.h"

#include <algorithm>
#include <cmath>

#include "common/number.h"

namespace carbontracker {

void add_uncertainty(FigureUncertainty& total, const FigureUncertainty& add) {
  if (total.terms.empty()) total.k = add.k;
  total.value += add.value;
  for (const UncertaintyTerm& t : add.terms) {
    auto it = std::find_if(total.terms.begin(), total.terms.end(), [&](const UncertaintyTerm& o) {
      return t.key.empty() ? o.key.empty() && o.source == t.source : o.key == t.key;
    });
    if (it == total.terms.end())
      total.terms.push_back(t);
    else if (t.key.empty())
      it->u = hypot_simple(it->u, t.u);
    else
      it->u += t.u;
  }
}

}  // namespace carbontracker
