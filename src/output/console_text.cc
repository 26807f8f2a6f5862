#include "output/console_text.h"

#include <fmt/format.h>

#include <cmath>

#include "common/equivalents.h"
#include "common/format.h"
#include "common/number.h"

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

}  // namespace carbontracker
