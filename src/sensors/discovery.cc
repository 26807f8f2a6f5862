#include "sensors/discovery.h"

#include <fmt/format.h>

#include <algorithm>

#include "carbontracker/error.h"

namespace carbontracker {

namespace {

const char* upper_name(ComponentKind kind) { return kind == ComponentKind::kGpu ? "GPU" : "CPU"; }

}  // namespace

std::vector<std::unique_ptr<Sensor>> discover_devices(DiscoveryRequest request,
                                                      const DiscoverySink& say, size_t have,
                                                      const std::vector<SensorEntry>& table) {
  std::vector<std::unique_ptr<Sensor>> sensors;
  ProbeContext& ctx = request.context;
  for (ComponentKind kind : request.components) {
    if (std::find(request.provided.begin(), request.provided.end(), kind) != request.provided.end())
      continue;
    std::vector<std::string> reasons;
    bool found = false;
    for (const SensorEntry& entry : table) {
      if (entry.component != kind) continue;
      if (kind == ComponentKind::kCpu && found) break;
      ProbeResult probe = entry.probe(ctx);
      for (const std::string& w : probe.warnings) say(DiscoveryNote::kWarning, w);
      for (const std::string& n : probe.notes) say(DiscoveryNote::kLog, n);
      for (const std::string& n : probe.verbose_notes) say(DiscoveryNote::kNote, n);
      if (probe.sensor && !probe.sensor->devices().empty()) {
        sensors.push_back(std::move(probe.sensor));
        ctx.found.push_back(entry.name);
        found = true;
      } else if (!probe.unavailable_reason.empty()) {
        reasons.push_back(probe.unavailable_reason);
      }
    }
    if (found) continue;
    std::string why = reasons.empty() ? "no sensor for this component is available" : "";
    for (size_t i = 0; i < reasons.size(); ++i) why += (i ? "; " : "") + reasons[i];
    if (kind == ComponentKind::kNode) {
      // Most machines have no platform meter: nothing is said, unless one was
      // asked for, or one was there and could not be read (said in the log).
      if (request.node_explicit)
        throw Error(ErrorCode::kComponent,
                    fmt::format("No node power meter available: {}.",
                                reasons.empty() ? "no ACPI power meter or Grace module rail "
                                                  "found under " +
                                                      (ctx.env ? ctx.env->hwmon_root : "")
                                                : why));
      if (!reasons.empty())
        say(DiscoveryNote::kLog, fmt::format("No node power meter found: {}.", why));
      continue;
    }
    bool explicit_request =
        kind == ComponentKind::kGpu ? request.gpu_explicit : request.cpu_explicit;
    if (explicit_request)
      throw Error(ErrorCode::kComponent,
                  fmt::format("No {}(s) available: {}.", upper_name(kind), why));
    say(DiscoveryNote::kNote, fmt::format("No {} found: {}.", upper_name(kind), why));
  }
  if (sensors.empty() && have == 0)
    throw Error(ErrorCode::kComponent,
                "No components were available. carbontracker measures Intel and AMD CPUs through "
                "RAPL, NVIDIA and AMD GPUs, and estimates the CPU elsewhere.");
  return sensors;
}

}  // namespace carbontracker
