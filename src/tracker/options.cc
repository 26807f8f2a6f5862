#include "tracker/options.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <sstream>

#include "common/text.h"

namespace carbontracker {

namespace {

Error invalid(const std::string& message) { return Error(ErrorCode::kInvalidArgument, message); }

}  // namespace

bool valid_ip_address(const std::string& text) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

void parse_components(const std::string& components, EffectiveOptions& eff) {
  std::string spec;
  for (char c : components)
    if (!is_blank(c)) spec += lower(c);
  bool gpu = false, cpu = false, node = false;
  std::stringstream ss(spec);
  std::string name;
  while (std::getline(ss, name, ',')) {
    if (name == "all") {
      gpu = cpu = node = true;
    } else if (name == "gpu") {
      gpu = eff.gpu_explicit = true;
    } else if (name == "cpu") {
      cpu = eff.cpu_explicit = true;
    } else if (name == "node") {
      node = eff.node_explicit = true;
    } else {
      throw invalid(fmt::format(
          "Component name {} is invalid. Components must be 'all', 'cpu', 'gpu' or 'gpu,cpu'.",
          name.empty() ? "''" : name));
    }
  }
  if (!gpu && !cpu && !node)
    throw invalid("Argument components is empty; use 'all', 'cpu', 'gpu' or 'gpu,cpu'.");
  if (gpu) eff.components.push_back(ComponentKind::kGpu);
  if (cpu) eff.components.push_back(ComponentKind::kCpu);
  // The platform's meter (whole server), reported beside the others.
  if (node) eff.components.push_back(ComponentKind::kNode);
}

EffectiveOptions validate_options(const TrackerOptions& o) {
  EffectiveOptions eff;
  if (o.epochs <= 0)
    throw invalid(fmt::format("Argument epochs expected a value > 0, got {}.", o.epochs));
  eff.epochs_before_pred = o.epochs_before_pred < 0 ? o.epochs : o.epochs_before_pred;
  eff.monitor_epochs = o.monitor_epochs < 0 ? o.epochs : o.monitor_epochs;
  if (eff.monitor_epochs == 0 || eff.monitor_epochs < eff.epochs_before_pred)
    throw invalid(fmt::format(
        "Argument monitor_epochs expected a value in {{-1, >0, >=epochs_before_pred}}, got {}.",
        o.monitor_epochs));
  if (!(o.update_interval > 0) || !std::isfinite(o.update_interval))
    throw invalid(fmt::format("Argument update_interval expected a number of seconds > 0, got {}.",
                              o.update_interval));
  if (!(o.pue >= 1.0) || !std::isfinite(o.pue))
    throw invalid(fmt::format("Argument pue expected a number >= 1, got {}.", o.pue));
  if (o.decimal_precision < 0 || o.decimal_precision > 30)
    throw invalid(fmt::format("Argument decimal_precision expected a value in 0..30, got {}.",
                              o.decimal_precision));
  if (!(o.intensity_refresh_interval > 0))
    throw invalid("Argument intensity_refresh_interval expected a number of seconds > 0.");
  if (o.sim_cpu && !o.sim_cpu_tdp)
    throw invalid(
        "When using simulated CPU (sim_cpu), you must also specify the CPU TDP (sim_cpu_tdp)");
  if (o.sim_gpu && !o.sim_gpu_watts)
    throw invalid(
        "When using simulated GPU (sim_gpu), you must also specify the GPU power consumption "
        "(sim_gpu_watts)");

  if (o.metrics_port < 0 || o.metrics_port > 65535)
    throw invalid(
        fmt::format("Argument metrics_port expected a TCP port from 1 to 65535 (0 = no "
                    "endpoint), got {}.",
                    o.metrics_port));
  if (!valid_ip_address(o.metrics_address))
    throw invalid(fmt::format(
        "Argument metrics_address expected an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 or "
        "::1, got '{}'.",
        o.metrics_address));

  if (o.distributed != "auto" && o.distributed != "off")
    throw invalid(
        fmt::format("Argument distributed expected \"auto\" or \"off\", got '{}'.", o.distributed));
  parse_components(o.components, eff);
  return eff;
}

}  // namespace carbontracker
