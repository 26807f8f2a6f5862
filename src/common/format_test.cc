#include "common/format.h"

#include <gtest/gtest.h>

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

TEST(FormatFixed, HalfEvenOnBinaryValue) {
  EXPECT_EQ(format_fixed(50.123, 6), "50.123000");
  EXPECT_EQ(format_fixed(151.6503, 2), "151.65");
  EXPECT_EQ(format_fixed(0.125, 2), "0.12");
  EXPECT_EQ(format_fixed(481, 2), "481.00");
}

}  // namespace
}  // namespace carbontracker
