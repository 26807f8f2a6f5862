#include "output/console_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/equivalents.h"
#include "common/format.h"
#include "common/number.h"
#include "model/uncertainty_budget.h"
#include "model/uncertainty_text.h"

namespace carbontracker {

std::string consumption_block(const std::string& description, double duration_s, double energy_kwh,
                              double co2_g, int precision, bool interpretable) {
  std::string text =
      fmt::format("\n{}\n\tTime:\t{}\n\tEnergy:\t{:.{}f} kWh\n\tCO2eq:\t{:.{}f} g", description,
                  format_duration(duration_s), energy_kwh, precision, co2_g, precision);
  if (interpretable && std::isfinite(co2_g) && co2_g >= 0)
    text += fmt::format("\n\tThis is equivalent to:\n\t{:.{}f} {}", car_km(co2_g), precision,
                        kCarKmUnit);
  return text;
}

std::string components_line(const std::vector<DeviceInfo>& devices) {
  std::string line = "The following components were found:";
  for (ComponentKind kind : {ComponentKind::kGpu, ComponentKind::kCpu, ComponentKind::kNode}) {
    std::string names;
    for (const DeviceInfo& d : devices) {
      if (d.component != kind) continue;
      if (!names.empty()) names += ", ";
      names += d.name;
    }
    if (names.empty()) continue;
    std::string upper = kind == ComponentKind::kGpu   ? "GPU"
                        : kind == ComponentKind::kCpu ? "CPU"
                                                      : "NODE";
    line += fmt::format(" {} with device(s) {}.", upper, names);
  }
  return line;
}

namespace {

// "NVML total energy counter" from "NVML total energy counter
// (nvmlDeviceGetTotalEnergyConsumption)", "RAPL energy counter" from "RAPL
// energy counter /sys/...", "per-vCPU linear model" from "estimated:
// per-vCPU linear model (...)".
std::string short_device_source(std::string source) {
  for (const char* prefix : {"estimated: ", "simulated: "})
    if (source.rfind(prefix, 0) == 0) source = source.substr(std::string(prefix).size());
  for (const char* cut : {" (", " /", ", ", ": "})
    if (size_t at = source.find(cut); at != std::string::npos) source = source.substr(0, at);
  return source;
}

}  // namespace

std::string measurement_summary(const std::vector<DeviceInfo>& devices,
                                const std::string& intensity_source, const std::string& location,
                                bool offline) {
  std::string what;
  for (ComponentKind kind : {ComponentKind::kGpu, ComponentKind::kCpu, ComponentKind::kNode}) {
    for (Provenance p : {Provenance::kMeasured, Provenance::kPlatformMeter, Provenance::kEstimated,
                         Provenance::kSimulated}) {
      std::vector<std::string> how;
      for (const DeviceInfo& d : devices) {
        if (d.component != kind || d.provenance != p) continue;
        std::string s = short_device_source(d.source);
        if (!s.empty() && std::find(how.begin(), how.end(), s) == how.end()) how.push_back(s);
      }
      bool present = std::any_of(devices.begin(), devices.end(), [&](const DeviceInfo& d) {
        return d.component == kind && d.provenance == p;
      });
      if (!present) continue;
      std::string part = kind == ComponentKind::kGpu   ? "GPU"
                         : kind == ComponentKind::kCpu ? "CPU"
                                                       : "node";
      if (p == Provenance::kPlatformMeter) {
        part += " from the platform power meter, beside the totals";
      } else {
        part += std::string(" ") + provenance_name(p);
        if (p != Provenance::kSimulated && !how.empty()) {
          part += " (";
          for (size_t i = 0; i < how.size(); ++i) part += (i ? " and " : "") + how[i];
          part += ")";
        }
      }
      what += (what.empty() ? "" : ", ") + part;
    }
  }
  std::string where =
      location.empty() || location == "UNDETECTED" ? ", location unknown" : " for " + location;
  return fmt::format("{}; carbon intensity: {}{}{}.", what, intensity_source, where,
                     offline ? ", offline" : " until a live value is fetched");
}

std::string node_figure_line(const RunResult& r, int precision) {
  std::string names;
  for (const DeviceInfo& d : r.devices)
    if (d.component == ComponentKind::kNode) names += (names.empty() ? "" : ", ") + d.name;
  double seconds = r.duration_s();
  if (names.empty() || r.epochs.empty()) return "";
  double joules = r.component_energy_j(ComponentKind::kNode);
  return fmt::format(
      "The platform power meter measured {:.{}f} kWh (with PUE; {:.1f} W on average) for the "
      "node ({}) beside the figures above; it contains them and is not added to them.",
      joules * r.pue / 3.6e6, precision, seconds > 0 ? joules / seconds : 0.0, names);
}

std::string python_number(double v) {
  if (std::isfinite(v) && v == floor_exact(v) && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<long long>(v));
  return python_float_repr(v);
}

std::string python_list(const std::vector<double>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + python_number(values[i]);
  return out + "]";
}

std::string uncertainty_line(const Consumption& c) {
  if (!c.uncertainty) return "";
  const Uncertainty& u = *c.uncertainty;
  std::string line = fmt::format("Uncertainty (95 %): energy {} %, CO2eq {} %",
                                 relative_interval(u.energy_kwh.interval(), c.energy_kwh),
                                 relative_interval(u.co2_g.interval(), c.co2_g));
  const UncertaintyTerm* top = u.co2_g.dominant();
  if (!top) top = u.energy_kwh.dominant();
  if (top) line += " (" + short_source(top->source) + ")";
  return line;
}

}  // namespace carbontracker
