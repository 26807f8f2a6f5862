#include "common/number.h"

#include <locale.h>

#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace carbontracker {

namespace {

locale_t c_locale() {
  // The C locale is built in: newlocale reads no file for it.
  static const locale_t loc = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
  return loc;
}

}  // namespace

double pow10_int(int k) {
  if (k < -400) return 0;
  if (k > 400) return std::numeric_limits<double>::infinity();
  if (k < 0) {
    if (k >= -22) return 1.0 / pow10_int(-k);
    return pow10_int(k + 22) / 1e22;
  }
  double r = 1;
  for (; k >= 22; k -= 22) r *= 1e22;
  static constexpr double kSmall[22] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21};
  return r * kSmall[k];
}

namespace {

constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2, high bits (Cody and Waite)
constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln 2 - kLn2Hi
constexpr double kLn2 = 0.69314718055994530942;

// 2^n for -1074 <= n <= 1023 from the bits (ldexp would bring libm in).
double pow2_int(int n) {
  if (n >= -1022) return std::bit_cast<double>(static_cast<std::uint64_t>(n + 1023) << 52);
  return std::bit_cast<double>(static_cast<std::uint64_t>(1) << (n + 1074));  // subnormal
}

}  // namespace

double exp_simple(double x) {
  if (x != x) return x;
  if (x > 709.782712893384) return std::numeric_limits<double>::infinity();
  if (x < -745.1332191019412) return 0;
  const int n = static_cast<int>(round_half_away(x / kLn2));
  const double r = (x - n * kLn2Hi) - n * kLn2Lo;  // |r| <= ln 2 / 2
  double term = 1, sum = 1;
  for (int i = 1; i < 30 && term != 0; ++i) {
    term *= r / i;
    sum += term;
  }
  // 2^n in two steps where it alone would leave the range of a double.
  if (n > 1023) return sum * pow2_int(1023) * pow2_int(n - 1023);
  if (n < -1022) return sum * pow2_int(-1022) * pow2_int(n + 1022);
  return sum * pow2_int(n);
}

double log_simple(double x) {
  if (x != x || x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return -std::numeric_limits<double>::infinity();
  if (x > 1.7976931348623157e308) return x;
  int e = 0;
  if (x < 0x1p-1022) {  // subnormal: scale into the normal range first
    x *= 0x1p54;
    e = -54;
  }
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
  e += static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  double m = std::bit_cast<double>((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
  if (m > 1.4142135623730951) {  // m in [sqrt(2)/2, sqrt(2)]
    m *= 0.5;
    ++e;
  }
  const double s = (m - 1) / (m + 1), s2 = s * s;  // |s| <= 0.172
  double power = s, sum = 0;
  for (int k = 1; k < 60 && power != 0; k += 2) {
    sum += power / k;
    power *= s2;
  }
  return (e * kLn2Hi + 2 * sum) + e * kLn2Lo;
}

int floor_log10(double x) {
  if (!(x > 0) || !std::isfinite(x)) return 0;
  // A first guess from the binary exponent (log10(2) = 0.30103), then exact
  // comparisons with the powers of ten.
  // The binary exponent from the bits (frexp would bring libm in).
  int e2 = static_cast<int>((std::bit_cast<std::uint64_t>(x) >> 52) & 0x7ff) - 1023;
  int k = static_cast<int>(floor_exact(e2 * 0.30102999566398120));
  while (k > -330 && pow10_int(k) > x) --k;
  while (k < 310 && pow10_int(k + 1) <= x) ++k;
  return k;
}

std::optional<double> parse_number(std::string_view s, NumberRules rules) {
  if (rules.blanks) s = trim(s);
  std::string_view body = s;
  if (!body.empty() && (body.front() == '-' || (rules.plus && body.front() == '+')))
    body.remove_prefix(1);
  if (body.empty() || body.size() > 400) return std::nullopt;
  const bool negative = s.front() == '-';
  const char c = body.front();
  if (c == 'i' || c == 'I' || c == 'n' || c == 'N') {
    const std::string word = lower(body);
    double v;
    if (rules.infinity && (word == "inf" || word == "infinity"))
      v = std::numeric_limits<double>::infinity();
    else if (rules.nan && word == "nan")
      v = std::numeric_limits<double>::quiet_NaN();
    else
      return std::nullopt;
    return negative ? -v : v;
  }
  if (!(c == '.' || (c >= '0' && c <= '9'))) return std::nullopt;
  if (body.size() > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) return std::nullopt;
  char buf[402];
  std::memcpy(buf, body.data(), body.size());
  buf[body.size()] = '\0';
  locale_t loc = c_locale();
  if (loc == static_cast<locale_t>(nullptr)) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double v = strtod_l(buf, &end, loc);
  if (end != buf + body.size()) return std::nullopt;
  if (errno == ERANGE && (std::isinf(v) || v == 0)) return std::nullopt;
  return negative ? -v : v;
}

}  // namespace carbontracker
