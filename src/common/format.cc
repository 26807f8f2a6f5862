#include "common/format.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string_view>
#include <system_error>

namespace carbontracker {

std::string format_fixed(double x, int digits) { return fmt::format("{:.{}f}", x, digits); }

std::string python_float_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  if (x == 0) return std::signbit(x) ? "-0.0" : "0.0";
  // Shortest round-trip digits, then Python's layout: scientific when the
  // decimal exponent is < -4 or >= 16.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string_view s(buf, res.ptr - buf);
  bool negative = s.front() == '-';
  if (negative) s.remove_prefix(1);
  size_t e_pos = s.find('e');
  std::string digits;
  for (char c : s.substr(0, e_pos))
    if (c != '.') digits += c;
  int exp = std::stoi(std::string(s.substr(e_pos + 1)));
  std::string out = negative ? "-" : "";
  if (exp < -4 || exp >= 16) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += fmt::format("e{}{:02d}", exp < 0 ? '-' : '+', std::abs(exp));
    return out;
  }
  if (exp < 0) {
    out += "0." + std::string(-exp - 1, '0') + digits;
  } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
    out += digits + std::string(exp + 1 - digits.size(), '0') + ".0";
  } else {
    out += digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
  }
  return out;
}

std::string format_duration(double seconds, bool with_centiseconds) {
  bool negative = seconds < 0;
  if (negative) seconds = -seconds;
  double m = std::floor(seconds / 60.0);
  double s = seconds - m * 60.0;
  std::string s_text;
  if (!with_centiseconds) {
    s = std::nearbyint(s);  // half to even in the default rounding mode
    if (s == 60) {
      s = 0;
      m += 1;
    }
    s_text = fmt::format("{:02d}", static_cast<long long>(s));
  } else {
    s_text = fmt::format("{:05.2f}", s);
    if (s_text.rfind("60", 0) == 0) {
      m += 1;
      s_text = "00.00";
    }
  }
  long long minutes = static_cast<long long>(m);
  long long h = minutes / 60;
  minutes %= 60;
  return fmt::format("{}{}:{:02d}:{}", negative ? "-" : "", h, minutes, s_text);
}

namespace {

std::tm local_tm(double unix_s) {
  std::time_t t = static_cast<std::time_t>(std::floor(unix_s));
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

std::tm utc_tm(double unix_s) {
  std::time_t t = static_cast<std::time_t>(std::floor(unix_s));
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

std::string strftime_str(const char* format, const std::tm& tm) {
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

int millis(double unix_s) {
  int ms = static_cast<int>((unix_s - std::floor(unix_s)) * 1000.0);
  return ms > 999 ? 999 : ms;
}

}  // namespace

std::string format_log_time(double unix_s) {
  return strftime_str("%Y-%m-%d %H:%M:%S", local_tm(unix_s));
}

std::string format_log_time_ms(double unix_s) {
  return fmt::format("{},{:03d}", format_log_time(unix_s), millis(unix_s));
}

std::string format_file_stamp_utc(double unix_s) {
  return strftime_str("%Y-%m-%dT%H%M%SZ", utc_tm(unix_s));
}

std::string format_iso_utc(double unix_s) {
  return fmt::format("{}.{:03d}Z", strftime_str("%Y-%m-%dT%H:%M:%S", utc_tm(unix_s)),
                     millis(unix_s));
}

}  // namespace carbontracker
