#include "intensity/providers.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "common/number.h"

namespace carbontracker {

std::optional<std::pair<double, double>> average_over(const std::vector<Segment>& segments,
                                                      double from, double to) {
  if (to <= from) {
    for (const auto& s : segments)
      if (s.from_unix_s <= from && from < s.to_unix_s) return {{s.g_per_kwh, 0.0}};
    return std::nullopt;
  }
  double weighted = 0, covered = 0;
  for (const auto& s : segments) {
    double overlap = std::min(to, s.to_unix_s) - std::max(from, s.from_unix_s);
    if (overlap <= 0) continue;
    weighted += overlap * s.g_per_kwh;
    covered += overlap;
  }
  if (covered <= 0) return std::nullopt;
  return {{weighted / covered, covered}};
}

std::string format_utc_minutes(double unix_s) {
  std::time_t t = static_cast<std::time_t>(floor_exact(unix_s));
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min);
}

std::optional<double> parse_iso_utc(const std::string& text) {
  int y, mo, d, h, mi;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &consumed) != 5)
    return std::nullopt;
  double seconds = 0;
  std::string rest = text.substr(consumed);
  if (!rest.empty() && rest[0] == ':') {
    char* end = nullptr;
    seconds = std::strtod(rest.c_str() + 1, &end);
    rest = end;
  }
  if (!(rest.empty() || rest == "Z" || rest == "+00:00" || rest == "+0000")) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || !(seconds >= 0 && seconds < 61))
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return static_cast<double>(timegm(&tm)) + seconds;
}

}  // namespace carbontracker
