// The command-line wrapper: carbontracker [options] [--] command args...
// Shared by the carbontracker binary and `python -m carbontracker`.
#pragma once

#include <optional>
#include <ostream>
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
  bool progress = true;                 // the status line, when stderr is a terminal
  std::vector<std::string> parse_args;   // non-empty: --parse mode
  std::vector<std::string> report_args;  // non-empty: --report mode, from "--report" on
  bool help = false;
  bool version = false;
  std::vector<std::string> command;
};

// Parses the wrapper's options. Options end at the first word that is not one
// of ours, or after "--"; everything from there belongs to the command.
// Returns an error message (empty on success).
std::string parse_cli_args(const std::vector<std::string>& args, CliOptions& out);

// Usage text for --help.
std::string cli_usage(const std::string& prog);

// Runs the CLI: parses args (args[0] is the program name) and either parses
// logs (--parse) or runs the command under a tracker. Returns the exit status:
// the command's status (128+signal when killed), 127 when it cannot be
// started, 70 when the tracker fails, 2 on a usage error.
// handlers says whether the signal handlers installed while the command runs
// are put back afterwards: a caller that goes on (python -m carbontracker)
// needs them back; the executable, which exits right after, does not.
enum class SignalHandlers { kRestore, kLeave };
int run_cli(const std::vector<std::string>& args,
            SignalHandlers handlers = SignalHandlers::kRestore);

}  // namespace carbontracker
