#include "cli/args.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "tracker/options.h"

namespace carbontracker {

bool parse_double(const std::string& text, double& out) {
  try {
    size_t pos = 0;
    out = std::stod(text, &pos);
    return pos == text.size();
  } catch (...) {
    return false;
  }
}

bool parse_int(const std::string& text, int& out) {
  try {
    size_t pos = 0;
    out = std::stoi(text, &pos);
    return pos == text.size();
  } catch (...) {
    return false;
  }
}

std::optional<std::map<std::string, std::string>> parse_api_keys(std::string text) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      nlohmann::json j = nlohmann::json::parse(text);
      if (!j.is_object()) return std::nullopt;
      std::map<std::string, std::string> keys;
      for (auto& [k, v] : j.items()) {
        if (!v.is_string()) return std::nullopt;
        keys[k] = v.get<std::string>();
      }
      return keys;
    } catch (...) {
      for (char& c : text)
        if (c == '\'') c = '"';
    }
  }
  return std::nullopt;
}

std::string cli_usage(const std::string& prog) {
  return fmt::format(
      R"(usage: {0} [options] [--] command [args...]
       {0} --parse DIR [--format text|json] [--by job|host] [--recursive]
       {0} --report PATH [--output FILE.pdf|.html|.svg|.png]

Runs command, measures the energy of the CPU, DRAM and GPUs while it runs,
converts it to CO2eq and reports it. The exit status is the command's
(128+N when signal N ended it, 127 when it cannot be started); 2 for a usage
error (a bad option or value), 70 when the tracker itself fails.
Options end at the first word that is not an option, or at "--".

options:
  --log_dir DIR             log directory (default ./logs; "" for none)
  --log_file_prefix P       prefix of the log file names
  --json FILE               write a machine-readable record of the run
  --epochs N                the command marks N epochs by writing the lines
                            "epoch_start" and "epoch_end" to the file descriptor
                            in $CARBONTRACKER_EPOCH_FD; prediction after epoch 1
  --components C            all (default), cpu, gpu, node or a list (gpu,cpu);
                            node: the platform power meter, beside the others
  --update-interval S       seconds between sampling ticks (default 10)
  --pue X                   power usage effectiveness (default 1.58)
  --region CODE             country or zone for the carbon intensity (e.g. DK, DK-DK2)
  --offline                 no network access (table values only)
  --api_keys JSON           e.g. '{{"electricitymaps": "KEY"}}'
  --devices-by-pid          only GPUs running the command
  --distributed auto|off    auto (default): under srun, torchrun or mpirun one
                            process per node measures; off: every one does
  --no-interpretable        omit the "equivalent to ... km" lines
  --decimal-precision N     digits in the consumption blocks (default 6)
  --verbose N               0: no output messages on the console (default 1)
  --metrics-port PORT       serve live metrics (Prometheus text format) at
                            http://ADDRESS:PORT/metrics while the command runs
  --metrics-address ADDR    the address to bind (default 127.0.0.1; 0.0.0.0 for all)
  --metrics-textfile FILE   write the same metrics to FILE at each tick (atomically;
                            for node_exporter's textfile collector)
  --no-progress             no status line on a terminal's last line
  --sim-cpu NAME --sim-cpu-tdp W [--sim-cpu-util U]
  --sim-gpu NAME --sim-gpu-watts W [--sim-gpu-util U]
                            simulated hardware: constant W x U watts
  --parse DIR               aggregate the logs in DIR instead of running a command
  --report PATH             a report of the logs in PATH (a directory or a log file)
                            with charts; --output FILE (default carbon_report.pdf),
                            whose extension picks PDF, HTML, SVG or PNG
  --version                 print the version
  -h, --help                print this help
)",
      prog);
}

namespace {

// argparse's rule: a separate word that starts with '-' is taken for an
// option, not a value, unless it is a negative number or "-" alone.
bool looks_like_option(const std::string& word) {
  double ignored = 0;
  return word.size() > 1 && word[0] == '-' && !parse_double(word, ignored);
}

bool valid_region(const std::string& text) {
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

}  // namespace

std::string parse_cli_args(const std::vector<std::string>& args, CliOptions& o) {
  size_t i = 1;
  for (; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.empty() || a[0] != '-' || a == "-") break;
    std::string name = a, inline_value;
    bool has_inline = false;
    if (size_t eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
      has_inline = true;
    }
    std::string key = name;
    for (char& c : key)
      if (c == '_') c = '-';
    // Every message names the option as the user spelled it.
    auto bad = [&](const std::string& why) { return fmt::format("argument {}: {}", name, why); };
    auto get = [&](std::string& out) -> std::string {
      if (has_inline) {
        out = inline_value;
        return "";
      }
      if (i + 1 >= args.size() || looks_like_option(args[i + 1]))
        return bad(i + 1 >= args.size() ? "expected one argument"
                                        : fmt::format("expected one argument (to give a value "
                                                      "that starts with '-', write {}=VALUE)",
                                                      name));
      out = args[++i];
      return "";
    };
    // A number that satisfies `ok`, which `what` describes ("a number > 0").
    auto get_double = [&](double& out, const char* what, auto ok) -> std::string {
      std::string text, err = get(text);
      if (!err.empty()) return err;
      if (!parse_double(text, out) || !std::isfinite(out) || !ok(out))
        return bad(fmt::format("expected {}, got '{}'", what, text));
      return "";
    };
    auto get_opt_double = [&](std::optional<double>& out, const char* what,
                              auto ok) -> std::string {
      double d = 0;
      std::string err = get_double(d, what, ok);
      if (err.empty()) out = d;
      return err;
    };
    auto get_int = [&](int& out, const char* what, auto ok) -> std::string {
      std::string text, err = get(text);
      if (!err.empty()) return err;
      if (!parse_int(text, out) || !ok(out))
        return bad(fmt::format("expected {}, got '{}'", what, text));
      return "";
    };
    auto get_name = [&](std::optional<std::string>& out) -> std::string {
      std::string text, err = get(text);
      if (!err.empty()) return err;
      if (text.find_first_not_of(" \t") == std::string::npos)
        return bad("expected a non-empty name");
      out = text;
      return "";
    };
    auto flag = [&](bool& out, bool value) -> std::string {
      if (has_inline) return bad(fmt::format("ignored explicit argument '{}'", inline_value));
      out = value;
      return "";
    };
    auto positive = [](double x) { return x > 0; };
    auto non_negative = [](double x) { return x >= 0; };
    auto fraction = [](double x) { return x >= 0 && x <= 1; };
    std::string err, text;
    if (key == "-h" || key == "--help") {
      err = flag(o.help, true);
    } else if (key == "--version") {
      err = flag(o.version, true);
    } else if (key == "--log-dir") {
      err = get(o.log_dir);
    } else if (key == "--log-file-prefix") {
      err = get(o.log_file_prefix);
    } else if (key == "--api-keys") {
      err = get(o.api_keys_text);
      if (err.empty() && !o.api_keys_text.empty() && !parse_api_keys(o.api_keys_text))
        // The value is not repeated: it may hold a key, and messages end up in logs.
        err = bad(
            fmt::format("expected a JSON object such as '{{\"electricitymaps\": \"KEY\"}}', got {} "
                        "characters that are not one (not shown: they may hold a key)",
                        o.api_keys_text.size()));
    } else if (key == "--sim-cpu") {
      err = get_name(o.sim_cpu);
    } else if (key == "--sim-gpu") {
      err = get_name(o.sim_gpu);
    } else if (key == "--sim-cpu-tdp") {
      err = get_opt_double(o.sim_cpu_tdp, "a number of watts >= 0", non_negative);
    } else if (key == "--sim-cpu-util") {
      err = get_opt_double(o.sim_cpu_util, "a number from 0 to 1", fraction);
    } else if (key == "--sim-gpu-watts") {
      err = get_opt_double(o.sim_gpu_watts, "a number of watts >= 0", non_negative);
    } else if (key == "--sim-gpu-util") {
      err = get_opt_double(o.sim_gpu_util, "a number from 0 to 1", fraction);
    } else if (key == "--components") {
      err = get(o.components);
      if (err.empty()) {
        try {
          EffectiveOptions ignored;
          parse_components(o.components, ignored);
        } catch (const Error& e) {
          err = bad(e.what());
        }
      }
    } else if (key == "--update-interval") {
      err = get_double(o.update_interval, "a number of seconds > 0", positive);
    } else if (key == "--pue") {
      err = get_double(o.pue, "a number >= 1", [](double x) { return x >= 1; });
    } else if (key == "--json") {
      err = get(o.json_path);
    } else if (key == "--verbose") {
      err = get_int(o.verbose, "an integer >= 0", [](int n) { return n >= 0; });
    } else if (key == "--decimal-precision") {
      err = get_int(o.decimal_precision, "an integer from 0 to 30",
                    [](int n) { return n >= 0 && n <= 30; });
    } else if (key == "--epochs") {
      err = get_int(o.epochs, "an integer > 0", [](int n) { return n > 0; });
    } else if (key == "--region") {
      err = get(o.region);
      if (err.empty() && !valid_region(o.region))
        err = bad(fmt::format("expected a country or zone code such as DK or DK-DK2, got '{}'",
                              o.region));
    } else if (key == "--distributed") {
      err = get(o.distributed);
      if (err.empty() && o.distributed != "auto" && o.distributed != "off")
        err = bad(fmt::format("expected auto or off, got '{}'", o.distributed));
    } else if (key == "--offline") {
      err = flag(o.offline, true);
    } else if (key == "--devices-by-pid") {
      err = flag(o.devices_by_pid, true);
    } else if (key == "--no-interpretable") {
      err = flag(o.interpretable, false);
    } else if (key == "--no-progress") {
      err = flag(o.progress, false);
    } else if (key == "--metrics-port") {
      err = get_int(o.metrics_port, "a TCP port from 1 to 65535",
                    [](int n) { return n >= 1 && n <= 65535; });
    } else if (key == "--metrics-address") {
      err = get(o.metrics_address);
      if (err.empty() && !valid_ip_address(o.metrics_address))
        err = bad(fmt::format(
            "expected an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 or ::1, got '{}'",
            o.metrics_address));
    } else if (key == "--metrics-textfile") {
      err = get(o.metrics_textfile);
      if (err.empty() && o.metrics_textfile.empty()) err = bad("expected a file name");
    } else if (key == "--parse") {
      err = get(text);
      if (!err.empty()) return err;
      o.parse_args.push_back(text);
      // Everything after --parse DIR belongs to the parser.
      for (++i; i < args.size(); ++i) o.parse_args.push_back(args[i]);
      return "";
    } else if (key == "--report") {
      // Everything from --report on belongs to the report command.
      o.report_args.assign(args.begin() + static_cast<long>(i), args.end());
      return "";
    } else {
      return fmt::format(
          "unknown option {} (options of the command go after the command name or after --)", a);
    }
    if (!err.empty()) return err;
  }
  // Options that only make sense together.
  if (o.sim_cpu && !o.sim_cpu_tdp) return "argument --sim-cpu: needs --sim-cpu-tdp W as well";
  if (o.sim_gpu && !o.sim_gpu_watts) return "argument --sim-gpu: needs --sim-gpu-watts W as well";
  if (!o.sim_cpu && (o.sim_cpu_tdp || o.sim_cpu_util))
    return fmt::format("argument {}: needs --sim-cpu NAME as well",
                       o.sim_cpu_tdp ? "--sim-cpu-tdp" : "--sim-cpu-util");
  if (!o.sim_gpu && (o.sim_gpu_watts || o.sim_gpu_util))
    return fmt::format("argument {}: needs --sim-gpu NAME as well",
                       o.sim_gpu_watts ? "--sim-gpu-watts" : "--sim-gpu-util");
  for (; i < args.size(); ++i) o.command.push_back(args[i]);
  return "";
}

}  // namespace carbontracker
