// Running sums of intervals over many figures (the epochs of a live run,
// the runs of a log directory), in constant space per source.
#pragma once

#include "carbontracker/uncertainty.h"

namespace carbontracker {

// Adds `add` to `total` as sum_uncertainty does (same-key terms linearly,
// the others in quadrature), but keeps one term per key and one per source
// of unkeyed terms (their u combined in quadrature), so the sum of 10,000
// figures stays a short list with the same combined uncertainty. The
// coverage factor is the first added figure's; the values add.
void add_uncertainty(FigureUncertainty& total, const FigureUncertainty& add);

}  // namespace carbontracker
