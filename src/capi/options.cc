#include "capi/options.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "capi/status.h"

namespace carbontracker::capi {
namespace {

std::string describe(const json& v) {
  return valid_utf8(v.dump(-1, ' ', false, json::error_handler_t::replace));
}

[[noreturn]] void bad_option(const std::string& key, const char* expected, const json& v) {
  invalid("ct_tracker_create: option \"" + key + "\" expects " + expected + ", got " + describe(v));
}

int int_option(const std::string& key, const json& v) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned()) {
      auto u = v.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
        return static_cast<int>(u);
    } else {
      auto i = v.get<std::int64_t>();
      if (i >= std::numeric_limits<int>::min() && i <= std::numeric_limits<int>::max())
        return static_cast<int>(i);
    }
    bad_option(key, "a 32-bit integer", v);
  }
  bad_option(key, "an integer", v);
}

double double_option(const std::string& key, const json& v) {
  if (std::optional<double> d = number_of(v)) return *d;
  bad_option(key, "a number", v);
}

bool bool_option(const std::string& key, const json& v) {
  if (!v.is_boolean()) bad_option(key, "true or false", v);
  return v.get<bool>();
}

std::string string_option(const std::string& key, const json& v) {
  if (!v.is_string()) bad_option(key, "a string", v);
  return v.get<std::string>();
}

}  // namespace

TrackerOptions parse_options(const char* text, ConsoleMode* console) {
  json j = parse_json_arg(text, "ct_tracker_create", "options_json");
  if (!j.is_object()) invalid("ct_tracker_create: options_json must be a JSON object");
  TrackerOptions o;
  *console = ConsoleMode::kStdout;
  for (const auto& [key, v] : j.items()) {
    auto opt_string = [&](std::optional<std::string>* out) {
      if (v.is_null())
        out->reset();
      else
        *out = string_option(key, v);
    };
    auto opt_double = [&](std::optional<double>* out) {
      if (v.is_null())
        out->reset();
      else
        *out = double_option(key, v);
    };
    if (key == "epochs")
      o.epochs = int_option(key, v);
    else if (key == "epochs_before_pred")
      o.epochs_before_pred = int_option(key, v);
    else if (key == "monitor_epochs")
      o.monitor_epochs = int_option(key, v);
    else if (key == "update_interval")
      o.update_interval = double_option(key, v);
    else if (key == "interpretable")
      o.interpretable = bool_option(key, v);
    else if (key == "stop_and_confirm")
      o.stop_and_confirm = bool_option(key, v);
    else if (key == "ignore_errors")
      o.ignore_errors = bool_option(key, v);
    else if (key == "components")
      o.components = string_option(key, v);
    else if (key == "devices_by_pid")
      o.devices_by_pid = bool_option(key, v);
    else if (key == "log_dir")
      o.log_dir = string_option(key, v);
    else if (key == "log_file_prefix")
      o.log_file_prefix = string_option(key, v);
    else if (key == "verbose")
      o.verbose = int_option(key, v);
    else if (key == "decimal_precision")
      o.decimal_precision = int_option(key, v);
    else if (key == "api_keys")
      o.api_keys = string_map(v, "ct_tracker_create: option \"api_keys\"");
    else if (key == "sim_cpu")
      opt_string(&o.sim_cpu);
    else if (key == "sim_cpu_tdp")
      opt_double(&o.sim_cpu_tdp);
    else if (key == "sim_cpu_util")
      opt_double(&o.sim_cpu_util);
    else if (key == "sim_gpu")
      opt_string(&o.sim_gpu);
    else if (key == "sim_gpu_watts")
      opt_double(&o.sim_gpu_watts);
    else if (key == "sim_gpu_util")
      opt_double(&o.sim_gpu_util);
    else if (key == "pue")
      o.pue = double_option(key, v);
    else if (key == "region")
      o.region = string_option(key, v);
    else if (key == "offline")
      o.offline = bool_option(key, v);
    else if (key == "distributed")
      o.distributed = string_option(key, v);
    else if (key == "json_path")
      o.json_path = string_option(key, v);
    else if (key == "metrics_port")
      o.metrics_port = int_option(key, v);
    else if (key == "metrics_address")
      o.metrics_address = string_option(key, v);
    else if (key == "metrics_textfile")
      o.metrics_textfile = string_option(key, v);
    else if (key == "progress")
      o.progress = bool_option(key, v);
    else if (key == "console") {
      std::string mode = string_option(key, v);
      if (mode == "stdout")
        *console = ConsoleMode::kStdout;
      else if (mode == "buffer")
        *console = ConsoleMode::kBuffer;
      else
        bad_option(key, "\"stdout\" or \"buffer\"", v);
    } else {
      invalid("ct_tracker_create: unknown option \"" + valid_utf8(key) +
              "\" (doc/c-api.md lists the options)");
    }
  }
  return o;
}

}  // namespace carbontracker::capi
