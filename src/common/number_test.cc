#include "common/number.h"

#include <gtest/gtest.h>
#include <locale.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <random>
#include <string>

namespace carbontracker {
namespace {

TEST(Number, SqrtNonnegIsStdSqrtWithinOneUlp) {
  for (double x : {1e-310, 1e-300, 2.2e-16, 0.01, 0.5, 1.0, 2.0, 3.999999, 4.0, 10.0, 12.0,
                   123456.789, 1e20, 1e150, 1.7e308}) {
    double want = std::sqrt(x);
    EXPECT_NEAR(sqrt_nonneg(x), want, want * 2.3e-16) << x;
  }
  for (double x = 1e-6; x < 1e6; x *= 1.37)
    EXPECT_NEAR(sqrt_nonneg(x), std::sqrt(x), std::sqrt(x) * 2.3e-16) << x;
  EXPECT_EQ(sqrt_nonneg(0.0), 0.0);
  EXPECT_TRUE(std::isnan(sqrt_nonneg(-1.0)));
  EXPECT_TRUE(std::isnan(sqrt_nonneg(std::numeric_limits<double>::quiet_NaN())));
  EXPECT_EQ(sqrt_nonneg(std::numeric_limits<double>::infinity()),
            std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(hypot_simple(3, 4), 5);
}

TEST(Number, FloorIsStdFloorForEveryKindOfDouble) {
  const double inf = std::numeric_limits<double>::infinity();
  for (double x : {0.0,
                   -0.0,
                   0.5,
                   -0.5,
                   1.0,
                   -1.0,
                   1.5,
                   -1.5,
                   2.999999,
                   -2.000001,
                   1e15 + 0.5,
                   -1e15 - 0.5,
                   4503599627370495.5,
                   -4503599627370495.5,
                   4503599627370496.0,
                   1e300,
                   -1e300,
                   inf,
                   -inf,
                   5e-324,
                   -5e-324}) {
    double got = floor_exact(x), want = std::floor(x);
    EXPECT_EQ(got, want) << x;
    EXPECT_EQ(std::signbit(got), std::signbit(want)) << x;
  }
  EXPECT_TRUE(std::isnan(floor_exact(std::nan(""))));
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> wide(-1e16, 1e16), narrow(-100, 100);
  for (int i = 0; i < 100000; ++i) {
    double a = wide(rng), b = narrow(rng);
    ASSERT_EQ(floor_exact(a), std::floor(a)) << a;
    ASSERT_EQ(floor_exact(b), std::floor(b)) << b;
  }
}

TEST(Number, RoundHalfEvenIsNearbyintInTheDefaultMode) {
  for (double x : {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, 59.5, 60.5, 0.0, -0.0,
                   -0.4, 3.0000001, 1e300, 4503599627370495.5, -4503599627370495.5}) {
    double got = round_half_even(x), want = std::nearbyint(x);
    EXPECT_EQ(got, want) << x;
    EXPECT_EQ(std::signbit(got), std::signbit(want)) << x;
  }
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> d(-1000, 1000);
  for (int i = 0; i < 100000; ++i) {
    double x = d(rng);
    double half = std::floor(x) + 0.5;  // ties too
    ASSERT_EQ(round_half_even(x), std::nearbyint(x)) << x;
    ASSERT_EQ(round_half_even(half), std::nearbyint(half)) << half;
  }
}

TEST(Number, RoundHalfAwayIsStdRound) {
  for (double x : {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, -0.49999999999999994, 0.0,
                   -0.0, 4503599627370495.5, -4503599627370495.5, 1e300, 2.4999999999999996})
    EXPECT_EQ(round_half_away(x), std::round(x)) << x;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> d(-1e6, 1e6);
  for (int i = 0; i < 100000; ++i) {
    double x = d(rng), half = std::floor(x) + 0.5;
    ASSERT_EQ(round_half_away(x), std::round(x)) << x;
    ASSERT_EQ(round_half_away(half), std::round(half)) << half;
  }
}

TEST(Number, PowersAndLogarithmsOfTen) {
  for (int k = 0; k <= 22; ++k) EXPECT_EQ(pow10_int(k), std::pow(10.0, k)) << k;
  for (int k = -22; k < 0; ++k) EXPECT_EQ(pow10_int(k), 1.0 / std::pow(10.0, -k)) << k;
  for (int k = -300; k <= 300; ++k) {
    EXPECT_NEAR(pow10_int(k) / std::pow(10.0, k), 1.0, 1e-14) << k;
    EXPECT_EQ(floor_log10(pow10_int(k)), k) << k;
  }
  EXPECT_EQ(floor_log10(0.001), -3);
  EXPECT_EQ(floor_log10(999.9999), 2);
  EXPECT_EQ(floor_log10(1000), 3);
  EXPECT_EQ(floor_log10(5e-324), -324);
  EXPECT_EQ(floor_log10(1.7976931348623157e308), 308);
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> e(-300, 300);
  for (int i = 0; i < 100000; ++i) {
    double x = std::pow(10.0, e(rng));
    // Away from exact powers of ten, where the two may round differently.
    double l = std::log10(x);
    if (std::fabs(l - std::round(l)) < 1e-12) continue;
    ASSERT_EQ(floor_log10(x), static_cast<int>(std::floor(l))) << x;
  }
}

TEST(Number, ParseCDoubleReadsWhatFromCharsReads) {
  for (const char* s :
       {"0", "-0", "12.5", "-12.5", ".5", "5.", "1e3", "1E-3", "-2.5e+2", "151.6503", "0.1",
        "1.7976931348623157e308", "123456789012345678901234", "2.2250738585072014e-308"}) {
    double want = 0;
    std::string_view v(s);
    auto r = std::from_chars(v.data(), v.data() + v.size(), want);
    ASSERT_EQ(r.ec, std::errc()) << s;
    auto got = parse_c_double(s);
    ASSERT_TRUE(got) << s;
    EXPECT_EQ(*got, want) << s;
  }
  EXPECT_TRUE(std::isinf(*parse_c_double("inf")));
  EXPECT_TRUE(std::isnan(*parse_c_double("nan")));
  for (const char* s : {"", " 1", "+1", "1 ", "1,5", "0x10", "-0x1p3", "abc", "1e", "--1", "1e999",
                        "-1e999", "1e-999", "."})
    EXPECT_FALSE(parse_c_double(s)) << '"' << s << '"';
}

TEST(Number, ParseCDoubleIgnoresTheProcessLocale) {
  // A locale whose decimal point is a comma, where one is installed.
  const char* names[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE.utf8", "C.UTF-8"};
  locale_t comma = static_cast<locale_t>(nullptr);
  for (const char* n : names)
    if ((comma = newlocale(LC_ALL_MASK, n, static_cast<locale_t>(nullptr)))) break;
  if (comma == static_cast<locale_t>(nullptr)) GTEST_SKIP() << "no other locale installed";
  locale_t old = uselocale(comma);
  auto v = parse_c_double("12.5");
  uselocale(old);
  freelocale(comma);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 12.5);
}

}  // namespace
}  // namespace carbontracker
