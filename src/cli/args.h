// The wrapper's command line: its options, their parsing and the usage text.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace carbontracker {

struct CliOptions {
  std::string log_dir = "./logs";
  std::string log_file_prefix;
  std::string api_keys_text;  // {"electricitymaps": "KEY"}
  std::optional<std::string> sim_cpu, sim_gpu;
  std::optional<double> sim_cpu_tdp, sim_cpu_util, sim_gpu_watts, sim_gpu_util;
  std::string components = "all";
  double update_interval = 10.0;
  double pue = 1.58;
  std::string json_path;
  int verbose = 1;
  int decimal_precision = 6;
  int epochs = 0;  // 0: no epoch markers, the whole run is one epoch
  std::string region;
  bool offline = false;
  bool devices_by_pid = false;
  std::string distributed = "auto";  // --distributed auto|off
  bool interpretable = true;
  int metrics_port = 0;  // 0: no endpoint
  std::string metrics_address = "127.0.0.1";
  std::string metrics_textfile;
  bool progress = true;                  // the status line, when stderr is a terminal
  std::vector<std::string> parse_args;   // non-empty: --parse mode
  std::vector<std::string> report_args;  // non-empty: --report mode, from "--report" on
  bool help = false;
  bool version = false;
  std::vector<std::string> command;
};

// Parses the wrapper's options. Options end at the first word that is not one
// of ours, or after "--"; everything from there belongs to the command.
// Returns an error message (empty on success). A message never repeats the
// value of --api_keys, which may hold a secret.
std::string parse_cli_args(const std::vector<std::string>& args, CliOptions& out);

// Usage text for --help.
std::string cli_usage(const std::string& prog);

// The keys of --api_keys: a JSON object of strings, or the original's
// Python-literal form ({'electricitymaps': 'KEY'}). nullopt when it is neither.
std::optional<std::map<std::string, std::string>> parse_api_keys(std::string text);

// The whole of text as a number; false when text is not one (or not whole).
bool parse_int(const std::string& text, int& out);
bool parse_double(const std::string& text, double& out);

}  // namespace carbontracker
