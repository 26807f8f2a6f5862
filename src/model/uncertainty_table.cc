#include "model/uncertainty_table.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

#include "common/embedded.h"
#include "intensity/table.h"

namespace carbontracker {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool contains(std::string_view s, std::string_view p) {
  return s.find(p) != std::string_view::npos;
}

// The first four-digit number in s (a year), or "".
std::string year_in(std::string_view s) {
  for (size_t i = 0; i + 4 <= s.size(); ++i) {
    bool digits = true;
    for (size_t j = i; j < i + 4; ++j)
      digits = digits && std::isdigit(static_cast<unsigned char>(s[j]));
    bool alone = (i == 0 || !std::isdigit(static_cast<unsigned char>(s[i - 1]))) &&
                 (i + 4 == s.size() || !std::isdigit(static_cast<unsigned char>(s[i + 4])));
    if (digits && alone) return std::string(s.substr(i, 4));
  }
  return "";
}

}  // namespace

UncertaintyTable::UncertaintyTable(std::string_view csv) {
  fallback_ = {"measured:other", "other sensor", 0.10, "normal", "assumed", ""};
  bool header = true;
  while (!csv.empty()) {
    size_t nl = csv.find('\n');
    std::string_view line = csv.substr(0, nl);
    csv = nl == std::string_view::npos ? std::string_view() : csv.substr(nl + 1);
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> f = split_csv_line(line);
    if (f.size() < 6 || f[0].empty()) continue;
    char* end = nullptr;
    double u = std::strtod(f[2].c_str(), &end);
    if (end == f[2].c_str() || *end != '\0' || !(u >= 0) || u > 10) continue;
    classes_.push_back({f[0], f[1], u, f[3], f[4], f[5]});
  }
}

const UncertaintyTable& UncertaintyTable::embedded() {
  static const UncertaintyTable table(embedded_file("uncertainty.csv"));
  return table;
}

bool UncertaintyTable::has(std::string_view name) const {
  for (const UncertaintyClass& c : classes_)
    if (c.name == name) return true;
  return false;
}

const UncertaintyClass& UncertaintyTable::get(std::string_view name) const {
  for (const UncertaintyClass& c : classes_)
    if (c.name == name) return c;
  for (const UncertaintyClass& c : classes_)
    if (c.name == "measured:other") return c;
  return fallback_;
}

std::string cpu_vendor_of(std::string_view cpuinfo) {
  size_t at = cpuinfo.find("vendor_id");
  if (at == std::string_view::npos) return "";
  std::string_view line = cpuinfo.substr(at, cpuinfo.find('\n', at) - at);
  if (contains(line, "AuthenticAMD") || contains(line, "HygonGenuine")) return "amd";
  if (contains(line, "GenuineIntel")) return "intel";
  return "";
}

std::string rapl_cpu_vendor(const std::string& proc_root, const std::vector<DeviceInfo>& devices) {
  bool rapl = false;
  for (const DeviceInfo& d : devices) rapl = rapl || starts_with(d.source, "RAPL");
  if (!rapl) return "";
  int fd = ::open((proc_root + "/cpuinfo").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[2048];  // vendor_id is the second line
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  return n > 0 ? cpu_vendor_of(std::string_view(buf, static_cast<size_t>(n))) : "";
}

std::string device_class(const DeviceInfo& d, std::string_view cpu_vendor) {
  switch (d.provenance) {
    case Provenance::kSimulated:
      return "simulated";
    case Provenance::kPlatformMeter:
      return "platform:meter";
    case Provenance::kEstimated:
      return starts_with(d.name, "dram") || contains(d.source, "W/GB") ? "estimate:dram"
                                                                       : "estimate:cpu";
    case Provenance::kMeasured:
      break;
  }
  const std::string_view source = d.source;
  if (starts_with(source, "RAPL")) {
    std::string vendor = cpu_vendor == "amd" ? "amd" : "intel";
    if (starts_with(d.name, "cpu:")) return "rapl:package:" + vendor;
    if (starts_with(d.name, "dram:")) return "rapl:dram:" + vendor;
    return "rapl:other";
  }
  if (starts_with(source, "NVML")) return contains(source, "energy") ? "nvml:energy" : "nvml:power";
  if (starts_with(source, "ROCm SMI"))
    return contains(source, "energy") ? "rocm:energy" : "rocm:power";
  if (contains(source, "energy counter")) return "hwmon:energy";
  if (contains(source, "hwmon") || contains(source, "power")) return "hwmon:power";
  return "measured:other";
}

IntensityUse intensity_use(const IntensityValue& value) {
  IntensityRecord r;
  r.g_per_kwh = value.g_per_kwh;
  r.source = value.source;
  r.location = value.location;
  r.forecast = value.forecast;
  return intensity_use(r);
}

IntensityUse intensity_use(const IntensityRecord& r) {
  IntensityUse u;
  std::string where = r.location.empty() ? "UNDETECTED" : r.location;
  u.detail = where + ", " + r.source;
  if (r.forecast) {
    u.cls = "intensity:forecast";
    u.key = "intensity:forecast:" + where;
  } else if (contains(r.source, "(live")) {
    u.cls = "intensity:live";
    u.key = "intensity:live:" + where;
  } else if (contains(r.source, "world") || where == "UNDETECTED") {
    u.cls = "intensity:world";
    u.key = "intensity:world";
  } else {
    u.cls = "intensity:table";
    u.key = "intensity:table:" + where + ":" + year_in(r.source);
  }
  return u;
}

}  // namespace carbontracker
