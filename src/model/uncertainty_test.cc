#include "carbontracker/uncertainty.h"

#include <gtest/gtest.h>

#include <cmath>

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

}  // namespace
}  // namespace carbontracker
