#include "common/format.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <string_view>
#include <system_error>

#include "common/number.h"

namespace carbontracker {

std::string format_fixed(double x, int digits) { return fmt::format("{:.{}f}", x, digits); }

std::string python_float_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  if (x == 0) return std::signbit(x) ? "-0.0" : "0.0";
  // Shortest round-trip digits (fmt's default presentation: fixed or
  // exponent form), then Python's layout: scientific when the decimal
  // exponent is < -4 or >= 16. (Not std::to_chars: libstdc++'s brings libm
  // into the command-line program.)
  std::string text = fmt::format("{}", x);
  std::string_view s(text);
  bool negative = s.front() == '-';
  if (negative) s.remove_prefix(1);
  size_t e_pos = s.find('e');
  std::string_view mantissa = s.substr(0, e_pos);
  // fmt writes the exponent as "e+20" or "e-05".
  int exp10 = e_pos == std::string_view::npos
                  ? 0
                  : parse_integer<int>(s.substr(e_pos + 1), {.plus = true}).value_or(0);
  size_t point = mantissa.find('.');
  if (point == std::string_view::npos) point = mantissa.size();
  std::string digits;
  for (char c : mantissa)
    if (c != '.') digits += c;
  size_t lead = digits.find_first_not_of('0');  // x != 0: there is one
  int exp = static_cast<int>(point) - 1 - static_cast<int>(lead) + exp10;
  digits.erase(0, lead);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
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
  double m = floor_exact(seconds / 60.0);
  double s = seconds - m * 60.0;
  std::string s_text;
  if (!with_centiseconds) {
    s = round_half_even(s);  // as nearbyint in the default rounding mode
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
  std::time_t t = static_cast<std::time_t>(floor_exact(unix_s));
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

std::tm utc_tm(double unix_s) {
  std::time_t t = static_cast<std::time_t>(floor_exact(unix_s));
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
  int ms = static_cast<int>((unix_s - floor_exact(unix_s)) * 1000.0);
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
