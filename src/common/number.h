// Number helpers that need no libm and no locale.
//
// The command-line program links no libm (one shared library fewer to load at
// each start: system calls are dear on some hosts, BENCHMARKS.md), so the
// few rounding functions it needs are here, exact for every double (and
// sqrt, exp and log within an ulp or a few), and
// decimal text is read with the C locale whatever the process's locale is:
// parse_number and parse_integer are the one way text becomes a number.
#pragma once

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <system_error>

#include "common/text.h"

namespace carbontracker {

// Largest double below which a double may have a fractional part (2^52).
inline constexpr double kIntegralFrom = 4503599627370496.0;

// std::floor, exactly (NaN, infinities and -0.0 included).
inline double floor_exact(double x) {
  if (!(std::fabs(x) < kIntegralFrom)) return x;              // integral already, or NaN/inf
  double t = static_cast<double>(static_cast<long long>(x));  // toward zero
  if (t > x) t -= 1;
  return t == 0 ? std::copysign(0.0, x) : t;
}

// std::nearbyint in the default rounding mode: to nearest, ties to even.
inline double round_half_even(double x) {
  if (!(std::fabs(x) < kIntegralFrom)) return x;
  double f = floor_exact(x);
  double d = x - f;  // exact: f and x are within 1 of each other
  double r;
  if (d > 0.5)
    r = f + 1;
  else if (d < 0.5)
    r = f;
  else
    r = static_cast<long long>(f) % 2 == 0 ? f : f + 1;
  return r == 0 ? std::copysign(0.0, x) : r;
}

// std::round: to nearest, ties away from zero.
inline double round_half_away(double x) {
  if (!(std::fabs(x) < kIntegralFrom)) return x;
  double a = std::fabs(x), f = floor_exact(a);
  return std::copysign(a - f >= 0.5 ? f + 1 : f, x);  // a - f is exact
}

// 10^k: exact for 0 <= k <= 22, correctly rounded for -22 <= k < 0, within
// a few ulps beyond (0 and infinity past the range of a double).
double pow10_int(int k);

// The square root of x >= 0 (NaN for x < 0 or NaN, x for 0 and infinity),
// within one ulp of std::sqrt, without libm: x is scaled by exact powers of
// two into [1, 4) and Newton's iteration runs from there.
inline double sqrt_nonneg(double x) {
  if (!(x > 0) || x > 1.7976931348623157e308)
    return x < 0 ? std::numeric_limits<double>::quiet_NaN() : x;
  double scale = 1;
  while (x >= 0x1p128) {
    x *= 0x1p-128;
    scale *= 0x1p64;
  }
  while (x < 0x1p-128) {
    x *= 0x1p128;
    scale *= 0x1p-64;
  }
  while (x >= 4) {
    x *= 0.25;
    scale *= 2;
  }
  while (x < 1) {
    x *= 4;
    scale *= 0.5;
  }
  double g = (x + 1) / 2;
  for (int i = 0; i < 6; ++i) g = 0.5 * (g + x / g);
  return g * scale;
}

// sqrt(a^2 + b^2) for the figures' magnitudes (no overflow guard), without libm.
inline double hypot_simple(double a, double b) { return sqrt_nonneg(a * a + b * b); }

// e^x within a few ulps, without libm (0 below -745, infinity above
// 709.78, NaN for NaN): x = n ln 2 + r with |r| <= ln 2 / 2, e^r from its
// Taylor series, 2^n from the exponent bits.
double exp_simple(double x);

// The natural logarithm of x within a few ulps, without libm (NaN for x < 0
// or NaN, -infinity for 0, infinity for infinity): x = m 2^e with m near
// 1, ln m from the series of 2 atanh((m - 1) / (m + 1)).
double log_simple(double x);

// floor(log10(x)) for a finite x > 0: the k with 10^k <= x < 10^(k+1)
// (10^k as pow10_int gives it). 0 for x <= 0 or not finite.
int floor_log10(double x);

// What parse_number reads besides a plain decimal number: an optional '-',
// digits with an optional fraction and exponent ("-12.5", ".5", "1e-3"), in
// the C locale whatever the process's locale. Never hexadecimal, never a
// value out of the range of a double (an overflow is not read as infinity,
// an underflow to 0 is not read as 0).
struct NumberRules {
  bool blanks = false;    // ASCII white space around it (what trim() takes away)
  bool plus = false;      // a leading '+'
  bool nan = false;       // "nan", any case, with an optional sign
  bool infinity = false;  // "inf" and "infinity", any case, with an optional sign
};

// The whole of s as a number under `rules`; nullopt when it is not one.
std::optional<double> parse_number(std::string_view s, NumberRules rules = {});

// The whole of s as a whole number of type Int: decimal digits, after a '-'
// for a signed Int; blanks and a '+' as `rules` allow (nan and infinity do
// not apply). nullopt when it is not one or is out of Int's range.
template <typename Int>
std::optional<Int> parse_integer(std::string_view s, NumberRules rules = {}) {
  if (rules.blanks) s = trim(s);
  if (rules.plus && !s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return std::nullopt;
  }
  Int v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace carbontracker
