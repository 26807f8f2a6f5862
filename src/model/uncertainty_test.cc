#include "carbontracker/uncertainty.h"

#include <gtest/gtest.h>

#include <cmath>

#include "model/uncertainty_text.h"

namespace carbontracker {
namespace {

TEST(UncertaintyTest, IndependentTermsAddInQuadrature) {
  FigureUncertainty f{2, {{"a", "", 3}, {"b", "", 4}}};
  EXPECT_DOUBLE_EQ(f.standard(), 5);
  EXPECT_DOUBLE_EQ(f.expanded(), 10);
  EXPECT_DOUBLE_EQ(f.relative(100), 0.1);
  EXPECT_DOUBLE_EQ(f.relative(0), 0);
  ASSERT_NE(f.dominant(), nullptr);
  EXPECT_EQ(f.dominant()->source, "b");
}

TEST(UncertaintyTest, TermsOfOneKeyAddLinearly) {
  FigureUncertainty f{2, {{"pue", "pue:default", 3}, {"x", "", 4}, {"pue", "pue:default", 3}}};
  EXPECT_DOUBLE_EQ(f.standard(), std::sqrt(36.0 + 16.0));
  EXPECT_EQ(f.dominant()->source, "pue");
  EXPECT_EQ(FigureUncertainty{}.dominant(), nullptr);
  EXPECT_DOUBLE_EQ(FigureUncertainty{}.standard(), 0);
}

TEST(UncertaintyTest, SumKeepsCorrelationAcrossFigures) {
  FigureUncertainty run1{2, {{"intensity", "intensity:table:DK:2023", 1}, {"rapl", "", 1}}};
  FigureUncertainty run2{2, {{"intensity", "intensity:table:DK:2023", 2}, {"rapl", "", 1}}};
  FigureUncertainty total = sum_uncertainty({run1, run2});
  ASSERT_EQ(total.terms.size(), 3u);
  EXPECT_DOUBLE_EQ(total.terms[0].u, 3);
  EXPECT_DOUBLE_EQ(total.standard(), std::sqrt(9.0 + 1 + 1));
  EXPECT_DOUBLE_EQ(scaled(total, 2).standard(), 2 * std::sqrt(11.0));
}

TEST(UncertaintyTest, WithoutFactorsTheIntervalIsSymmetric) {
  FigureUncertainty f{2, {{"a", "", 3}, {"b", "k", 4}}, 100};
  ExpandedInterval i = f.interval();
  EXPECT_DOUBLE_EQ(i.minus, 10);
  EXPECT_DOUBLE_EQ(i.plus, 10);
  // Factors without a value (logs written before values were) pair nothing.
  FigureUncertainty old{2, {{"a", "", 3}, {"pue", "pue:default", 4, 0.1}}};
  EXPECT_DOUBLE_EQ(old.interval().minus, 10);
  EXPECT_DOUBLE_EQ(old.interval().plus, 10);
}

TEST(UncertaintyTest, FactorsMakeTheIntervalReachFurtherUp) {
  // 100 g at an intensity of 25 % and a PUE of 15 %: the second-order
  // product adds (25 x 0.15)^2 to the variance and skews the interval up.
  FigureUncertainty f{
      2, {{"ci", "intensity:table:DK:2023", 25, 0.25}, {"pue", "pue:default", 15, 0.15}}, 100};
  ExpandedInterval i = f.interval();
  EXPECT_GT(i.plus, 2 * std::sqrt(25.0 * 25 + 15 * 15));
  EXPECT_LT(i.minus, 2 * std::sqrt(25.0 * 25 + 15 * 15));
  // The half-width is about k times the second-order standard uncertainty.
  EXPECT_NEAR((i.plus + i.minus) / 2, 2 * std::sqrt(625 + 225 + 3.75 * 3.75), 1.5);
  EXPECT_DOUBLE_EQ(f.relative(100), (i.plus + i.minus) / 2 / 100);
  // Scaling the figure scales the interval.
  ExpandedInterval twice = scaled(f, 2).interval();
  EXPECT_NEAR(twice.plus, 2 * i.plus, 1e-9);
  EXPECT_NEAR(twice.minus, 2 * i.minus, 1e-9);
}

TEST(UncertaintyTest, TheIntervalIsContinuousAsTheSkewVanishes) {
  // A factor of shrinking weight: the sides approach k u smoothly, with no
  // jump where the skewness becomes too small to fit.
  double last_gap = 1;
  for (double u = 1e-1; u > 1e-9; u /= 3) {
    FigureUncertainty f{2, {{"s", "", 1}, {"pue", "pue:default", u, 0.15}}, 100};
    ExpandedInterval i = f.interval();
    double gap = i.plus - i.minus;
    EXPECT_GE(gap, 0) << u;
    EXPECT_LE(gap, last_gap * 1.0001) << u;
    EXPECT_NEAR((i.plus + i.minus) / 2, 2 * std::sqrt(1 + u * u), 1e-6) << u;
    last_gap = gap;
  }
}

TEST(UncertaintyTest, IntensitiesOfDifferentWindowsDoNotMultiplyEachOther) {
  // Two halves at two table values: no product between the two intensities.
  FigureUncertainty f{2,
                      {{"ci A", "intensity:table:DK:2023", 12.5, 0.25},
                       {"ci B", "intensity:table:SE:2023", 12.5, 0.25}},
                      100};
  EXPECT_DOUBLE_EQ(f.interval().plus, f.expanded());
  EXPECT_DOUBLE_EQ(f.interval().minus, f.expanded());
}

TEST(UncertaintyTest, TextCutsTheLowerEndAtZero) {
  // The world average (60 %) with the estimate: the model's lower end is
  // below 0; the text says the figure may be 0, never less.
  FigureUncertainty f{2, {{"estimate", "", 40}, {"ci", "intensity:world", 60, 0.6}}, 100};
  EXPECT_GT(f.interval().minus, 100);
  EXPECT_GT(f.interval().plus, 100);
  EXPECT_EQ(cut_at_zero(f.interval(), 100).minus, 100);
  EXPECT_EQ(relative_interval(f.interval(), 100).substr(0, 1), "+");
  EXPECT_NE(relative_interval(f.interval(), 100).find("/-100"), std::string::npos);
  EXPECT_EQ(relative_interval({3, 3}, 100), "+-3.0");
  EXPECT_EQ(relative_interval({20, 24}, 100), "+24/-20");
  EXPECT_EQ(value_with_interval(1000, {520, 570}, 1000), "1.00 +0.57/-0.52");
  EXPECT_EQ(value_with_interval(5, {1.0, 1.0}), "5.0 +/- 1.0");
  EXPECT_EQ(interval_sides(1000, {515, 567}), "+567/-515");
}

TEST(UncertaintyTest, MergingIndependentTermsKeepsTheInterval) {
  // compact() merges unkeyed terms of one source in quadrature: the
  // second-order terms depend on their squares only.
  FigureUncertainty split{
      2, {{"s", "", 3}, {"s", "", 4}, {"ci", "intensity:live:DK", 10, 0.05}}, 200};
  FigureUncertainty merged{2, {{"s", "", 5}, {"ci", "intensity:live:DK", 10, 0.05}}, 200};
  EXPECT_NEAR(split.interval().plus, merged.interval().plus, 1e-12);
  EXPECT_NEAR(split.interval().minus, merged.interval().minus, 1e-12);
  // Sums add the values.
  EXPECT_DOUBLE_EQ(sum_uncertainty({split, merged}).value, 400);
}

}  // namespace
}  // namespace carbontracker
