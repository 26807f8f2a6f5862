#include "intensity/time_zone.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

namespace carbontracker {
namespace {

// "…/zoneinfo/Europe/Copenhagen" → "Europe/Copenhagen"; "posix/" and "right/"
// trees hold the same zones.
std::string strip_zoneinfo_prefix(std::string name) {
  size_t at = name.rfind("zoneinfo/");
  if (at != std::string::npos) name = name.substr(at + 9);
  for (const char* tree : {"posix/", "right/"})
    if (name.rfind(tree, 0) == 0) name = name.substr(std::string(tree).size());
  return name;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> system_time_zone(const Environment& env) {
  if (!env.tz.empty()) {
    std::string tz = env.tz[0] == ':' ? env.tz.substr(1) : env.tz;
    tz = strip_zoneinfo_prefix(tz);
    // POSIX rules such as "CET-1CEST" name no place.
    if (!tz.empty() && tz.find('/') != std::string::npos && tz[0] != '/') return {{tz, "TZ"}};
  }
  if (!env.localtime_path.empty()) {
    // readlink(2) alone (std::filesystem::read_symlink adds an lstat).
    char target[4096];
    ssize_t n = ::readlink(env.localtime_path.c_str(), target, sizeof target);
    if (n > 0 && static_cast<size_t>(n) < sizeof target) {
      std::string tz = strip_zoneinfo_prefix(std::string(target, static_cast<size_t>(n)));
      if (!tz.empty() && tz[0] != '/' && tz.find("..") == std::string::npos)
        return {{tz, env.localtime_path}};
    }
  }
  std::filesystem::path timezone_file =
      std::filesystem::path(env.localtime_path.empty() ? "/etc/localtime" : env.localtime_path)
          .parent_path() /
      "timezone";
  std::ifstream in(timezone_file);
  std::string tz;
  if (in >> tz && !tz.empty()) return {{tz, timezone_file.string()}};
  return std::nullopt;
}

std::string country_of_time_zone(const std::string& zone_tab_path, const std::string& time_zone) {
  // zone.tab is about 19 KB: read whole with open, read(s) and close (a
  // stream adds an fstat and reads again at the end).
  std::string text;
  int fd = ::open(zone_tab_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char chunk[64u << 10];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(chunk, static_cast<size_t>(n));
    // A regular file returns less than asked only at its end.
    if (static_cast<size_t>(n) < sizeof chunk) break;
  }
  ::close(fd);
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string code, coordinates, zone;
    if (!std::getline(fields, code, '\t') || !std::getline(fields, coordinates, '\t') ||
        !std::getline(fields, zone, '\t'))
      continue;
    if (!zone.empty() && zone.back() == '\r') zone.pop_back();
    if (zone == time_zone && code.size() == 2) return code;
  }
  return "";
}

std::optional<TimeZoneCountry> country_from_time_zone(const Environment& env) {
  auto tz = system_time_zone(env);
  if (!tz) return std::nullopt;
  std::string country = country_of_time_zone(env.zone_tab, tz->first);
  if (country.empty()) return std::nullopt;
  return TimeZoneCountry{tz->first, country, tz->second};
}

}  // namespace carbontracker
