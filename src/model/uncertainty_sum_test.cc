#include "model/uncertainty_sum.h"

#include <gtest/gtest.h>

#include <cmath>

namespace carbontracker {
namespace {

TEST(UncertaintySum, SameCombinedUncertaintyAsSumInFewTerms) {
  std::vector<FigureUncertainty> figures;
  FigureUncertainty total;
  for (int i = 1; i <= 1000; ++i) {
    FigureUncertainty f{2,
                        {{"RAPL", "", 0.001 * i}, {"NVML", "", 0.02}, {"PUE", "pue:default", 0.1}}};
    figures.push_back(f);
    add_uncertainty(total, f);
  }
  EXPECT_EQ(total.terms.size(), 3u);
  EXPECT_NEAR(total.standard(), sum_uncertainty(figures).standard(), 1e-9);
  EXPECT_NEAR(total.terms[2].u, 100, 1e-9);  // 1000 x 0.1, linearly
  EXPECT_EQ(total.dominant()->source, "PUE");
}

TEST(UncertaintySum, TakesTheFirstCoverageFactor) {
  FigureUncertainty total;
  add_uncertainty(total, {3, {{"a", "", 1}}});
  add_uncertainty(total, {2, {{"a", "", 1}}});
  EXPECT_EQ(total.k, 3);
  EXPECT_DOUBLE_EQ(total.terms[0].u, std::sqrt(2.0));
}

}  // namespace
}  // namespace carbontracker
