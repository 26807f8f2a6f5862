#include "common/format.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

namespace carbontracker {
namespace {

TEST(FormatDuration, OriginalVectors) {
  EXPECT_EQ(format_duration(3666), "1:01:06");
  EXPECT_EQ(format_duration(0), "0:00:00");
  EXPECT_EQ(format_duration(3666.4), "1:01:06");
  EXPECT_EQ(format_duration(-3666), "-1:01:06");
  EXPECT_EQ(format_duration(3659.5), "1:01:00");
  EXPECT_EQ(format_duration(3659.9955, true), "1:01:00.00");
  EXPECT_EQ(format_duration(12.5), "0:00:12");
  EXPECT_EQ(format_duration(13.5), "0:00:14");
  EXPECT_EQ(format_duration(2.5, true), "0:00:02.50");
  EXPECT_EQ(format_duration(3.01, true), "0:00:03.01");
  EXPECT_EQ(format_duration(1000), "0:16:40");
  EXPECT_EQ(format_duration(400000), "111:06:40");
}

TEST(PythonFloatRepr, MatchesPythonStr) {
  EXPECT_EQ(python_float_repr(300.0), "300.0");
  EXPECT_EQ(python_float_repr(123.456), "123.456");
  EXPECT_EQ(python_float_repr(22.9669805), "22.9669805");
  EXPECT_EQ(python_float_repr(23.061097500000002), "23.061097500000002");
  EXPECT_EQ(python_float_repr(1e-05), "1e-05");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1234567890123456.0), "1234567890123456.0");
  EXPECT_EQ(python_float_repr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(python_float_repr(-2.5), "-2.5");
  EXPECT_EQ(python_float_repr(0.0), "0.0");
  EXPECT_EQ(python_float_repr(35.61209406066786), "35.61209406066786");
}

// Python's repr from std::to_chars's shortest digits: the reference.
std::string reference_repr(double x) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string s(buf, res.ptr);
  bool negative = s.front() == '-';
  if (negative) s.erase(0, 1);
  size_t e = s.find('e');
  std::string digits;
  for (char c : s.substr(0, e))
    if (c != '.') digits += c;
  int exp = std::stoi(s.substr(e + 1));
  std::string out = negative ? "-" : "";
  if (exp < -4 || exp >= 16) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char tail[16];
    std::snprintf(tail, sizeof tail, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    return out + tail;
  }
  if (exp < 0) return out + "0." + std::string(-exp - 1, '0') + digits;
  if (static_cast<size_t>(exp) + 1 >= digits.size())
    return out + digits + std::string(exp + 1 - digits.size(), '0') + ".0";
  return out + digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
}

TEST(PythonFloatRepr, SameAsShortestRoundTripDigitsForAnyDouble) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> everyday(-1e6, 1e6);
  for (int i = 0; i < 200000; ++i) {
    uint64_t bits = rng();
    double x;
    std::memcpy(&x, &bits, sizeof x);
    if (!std::isfinite(x) || x == 0) continue;
    ASSERT_EQ(python_float_repr(x), reference_repr(x)) << bits;
    double y = everyday(rng);
    ASSERT_EQ(python_float_repr(y), reference_repr(y)) << y;
  }
  for (double x : {1e15, 1e16, 9.999999999999999e15, 1e-4, 9.99e-5, 5e-324, 1.7976931348623157e308,
                   123456789012345680.0, 0.5, 100.0})
    EXPECT_EQ(python_float_repr(x), reference_repr(x)) << x;
}

TEST(FormatFixed, HalfEvenOnBinaryValue) {
  EXPECT_EQ(format_fixed(50.123, 6), "50.123000");
  EXPECT_EQ(format_fixed(151.6503, 2), "151.65");
  EXPECT_EQ(format_fixed(0.125, 2), "0.12");
  EXPECT_EQ(format_fixed(481, 2), "481.00");
}

}  // namespace
}  // namespace carbontracker
