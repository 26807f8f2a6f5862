// The relative standard uncertainty of each source class (data/uncertainty.csv,
// embedded in the library; data/README.md names every figure's reference or
// says "assumed"), and the class of a device's figure and of a carbon
// intensity value. doc/uncertainty.md gives the model.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "carbontracker/results.h"
#include "energy/intensity_feed.h"

namespace carbontracker {

struct UncertaintyClass {
  std::string name;          // "rapl:package:intel", "intensity:table", "pue:default" ...
  std::string label;         // short text for terms and the console line
  double relative_u = 0;     // relative standard uncertainty (one standard deviation)
  std::string distribution;  // "normal"
  std::string basis;         // "assumed", "assumed from published comparisons" ...
  std::string reference;
};

class UncertaintyTable {
 public:
  // Parses CSV text in the format of data/uncertainty.csv; malformed lines
  // (too few fields, a relative_u that is not a number >= 0) are skipped.
  explicit UncertaintyTable(std::string_view csv);
  // The embedded table, parsed once.
  static const UncertaintyTable& embedded();

  // The class, or the "measured:other" row (else a 10 % fallback) when the
  // table has no such class.
  const UncertaintyClass& get(std::string_view name) const;
  bool has(std::string_view name) const;
  const std::vector<UncertaintyClass>& classes() const { return classes_; }

 private:
  std::vector<UncertaintyClass> classes_;
  UncertaintyClass fallback_;
};

// "intel", "amd" (AuthenticAMD, HygonGenuine) or "" from the vendor_id of
// /proc/cpuinfo text.
std::string cpu_vendor_of(std::string_view cpuinfo);

// cpu_vendor_of(<proc_root>/cpuinfo), read only when a RAPL counter is among
// the devices (its uncertainty depends on the vendor); "" otherwise.
std::string rapl_cpu_vendor(const std::string& proc_root, const std::vector<DeviceInfo>& devices);

// The class of a device's figure, from its provenance, source and name:
// "rapl:package:intel", "rapl:dram:amd", "nvml:energy", "nvml:power",
// "rocm:energy", "rocm:power", "hwmon:energy", "hwmon:power",
// "platform:meter", "estimate:cpu", "estimate:dram", "simulated",
// "measured:other". RAPL without a known vendor counts as Intel.
std::string device_class(const DeviceInfo& device, std::string_view cpu_vendor);

// How a carbon-intensity value was obtained.
struct IntensityUse {
  std::string cls;  // "intensity:live", "intensity:forecast", "intensity:table", "intensity:world"
  std::string key;  // correlation key, e.g. "intensity:table:DK:2025"
  std::string detail;  // e.g. "DK, Electricity Maps 2025 zone average"
};

// The class and key of an intensity value (a record the sampler used, or the
// value a prediction uses).
IntensityUse intensity_use(const IntensityRecord& record);
IntensityUse intensity_use(const IntensityValue& value);

}  // namespace carbontracker
