#include "common/number.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "fakes/scoped_locale.h"

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

TEST(Number, ExpAndLogAreLibmsWithinAFewUlps) {
  const double inf = std::numeric_limits<double>::infinity();
  for (double x = -740; x < 709; x += 0.7371) {
    double want = std::exp(x);
    EXPECT_NEAR(exp_simple(x), want, want * 1e-15) << x;
  }
  for (double x : {-1e-12, 0.0, 1e-300, 0.5, 1.0, 2.0, -0.3465, 0.3466, 709.7}) {
    double want = std::exp(x);
    EXPECT_NEAR(exp_simple(x), want, want * 1e-15) << x;
  }
  EXPECT_EQ(exp_simple(710), inf);
  EXPECT_EQ(exp_simple(-746), 0);
  EXPECT_TRUE(std::isnan(exp_simple(std::numeric_limits<double>::quiet_NaN())));
  for (double x = 1e-310; x < 1e308; x *= 3.7) {
    double want = std::log(x);
    EXPECT_NEAR(log_simple(x), want, std::fabs(want) * 1e-15 + 1e-16) << x;
  }
  for (double x : {0.7071, 0.99999999, 1.0, 1.0000001, 1.41421, 1.41422, 2.0, 10.0}) {
    double want = std::log(x);
    EXPECT_NEAR(log_simple(x), want, std::fabs(want) * 1e-15 + 1e-17) << x;
  }
  EXPECT_EQ(log_simple(1.0), 0.0);
  EXPECT_EQ(log_simple(0.0), -inf);
  EXPECT_EQ(log_simple(inf), inf);
  EXPECT_TRUE(std::isnan(log_simple(-1.0)));
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

TEST(Number, ParseNumberReadsWhatFromCharsReads) {
  for (const char* s : {"0", "-0", "12.5", "-12.5", ".5", "5.", "1e3", "1E-3", "-2.5e+2",
                        "151.6503", "0.1", "1.7976931348623157e308", "123456789012345678901234",
                        "2.2250738585072014e-308", "4.9e-324"}) {
    double want = 0;
    std::string_view v(s);
    auto r = std::from_chars(v.data(), v.data() + v.size(), want);
    ASSERT_EQ(r.ec, std::errc()) << s;
    auto got = parse_number(s);
    ASSERT_TRUE(got) << s;
    EXPECT_EQ(*got, want) << s;
    EXPECT_EQ(std::signbit(*got), std::signbit(want)) << s;
  }
  // The default rules: nothing but the number itself.
  for (const char* s :
       {"",    " 1",    "+1",     "1 ",     "1,5", "0x10", "-0x1p3", "abc", "1e",     "--1",
        "-+1", "1e999", "-1e999", "1e-999", ".",   "inf",  "-inf",   "nan", "nan(1)", "- 1"})
    EXPECT_FALSE(parse_number(s)) << '"' << s << '"';
}

TEST(Number, ParseNumberRulesEachAllowOneThing) {
  EXPECT_EQ(parse_number(" \t12.5\r\n", {.blanks = true}), 12.5);
  EXPECT_EQ(parse_number("\v-1\f", {.blanks = true}), -1.0);
  EXPECT_FALSE(parse_number("+1", {.blanks = true}));
  EXPECT_EQ(parse_number("+1", {.plus = true}), 1.0);
  EXPECT_FALSE(parse_number("++1", {.plus = true}));
  EXPECT_FALSE(parse_number("+-1", {.plus = true}));
  EXPECT_FALSE(parse_number(" 1", {.plus = true}));
  EXPECT_FALSE(parse_number("inf", {.nan = true}));
  for (const char* s : {"nan", "NaN", "-nan", "+nan"})
    EXPECT_TRUE(std::isnan(*parse_number(s, {.plus = true, .nan = true}))) << s;
  EXPECT_FALSE(parse_number("nan", {.infinity = true}));
  EXPECT_EQ(parse_number("inf", {.infinity = true}), std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_number("-Infinity", {.infinity = true}),
            -std::numeric_limits<double>::infinity());
  // Out of range is never infinity, whatever the rules.
  EXPECT_FALSE(parse_number("1e999", {.infinity = true}));
  EXPECT_FALSE(parse_number("infinite", {.infinity = true}));
  EXPECT_FALSE(parse_number("0x10", {.blanks = true, .plus = true, .nan = true, .infinity = true}));
}

TEST(Number, ParseIntegerKeepsTheRangeAndTheRules) {
  EXPECT_EQ(parse_integer<int>("42"), 42);
  EXPECT_EQ(parse_integer<int>("-42"), -42);
  EXPECT_EQ(parse_integer<int>("2147483647"), 2147483647);
  EXPECT_FALSE(parse_integer<int>("2147483648"));
  EXPECT_EQ(parse_integer<uint64_t>("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(parse_integer<uint64_t>("18446744073709551616"));
  EXPECT_FALSE(parse_integer<uint64_t>("-1"));
  EXPECT_FALSE(parse_integer<unsigned>("-0"));
  for (const char* s :
       {"", " ", "-", "+", "+7", " 7", "7\n", "1.5", "1e3", "0x10", "12a", "1 2", "- 1"})
    EXPECT_FALSE(parse_integer<long long>(s)) << '"' << s << '"';
  EXPECT_EQ(parse_integer<int>(" \t-42\r\n", {.blanks = true}), -42);
  EXPECT_FALSE(parse_integer<int>("+7", {.blanks = true}));
  EXPECT_EQ(parse_integer<int>("+7", {.plus = true}), 7);
  EXPECT_EQ(parse_integer<uint64_t>("+7", {.plus = true}), 7u);
  for (const char* s : {"++1", "+-1", "+ 1", "+"})
    EXPECT_FALSE(parse_integer<int>(s, {.blanks = true, .plus = true})) << '"' << s << '"';
}

TEST(Number, ParseNumberIgnoresTheProcessLocale) {
  std::optional<double> v;
  {
    // A locale whose decimal point is a comma, where one is installed.
    testing::ScopedThreadLocale comma({"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE.utf8", "C.UTF-8"});
    if (!comma.installed()) GTEST_SKIP() << "no other locale installed";
    v = parse_number("12.5");
  }
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 12.5);
}

}  // namespace
}  // namespace carbontracker
