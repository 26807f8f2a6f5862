// The tracked run: the command started under a tracker, its epoch markers
// turned into the tracker's epochs, and its exit status passed on.
#include "cli/cli.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "carbontracker/tracker.h"
#include "cli/console_buffer.h"
#include "cli/epoch_pipe.h"
#include "common/host.h"
#include "logs/parse_cli.h"
#include "output/json.h"
#include "report/report_cli.h"
#include "tracker/distributed.h"
#include "tracker/options.h"

namespace carbontracker {

namespace {

// Where this wrapper measures its node under "auto", tells the command's own
// trackers on this host so (CARBONTRACKER_MEASURED_BY=PID@HOST). Called
// before the tracker starts any thread (setenv must not race a getenv); the
// tracker then makes the same decision from `env` (a lock taken here stays
// this process's).
void mark_node_if_measured(const std::string& policy, const Environment& env) {
  if (policy != "auto") return;
  const std::string& host = host_name();
  if (host.empty()) return;
  // Outside a launcher and another wrapper's mark, this wrapper measures.
  if (in_distributed_context(env) &&
      !resolve_distributed(policy, env, host, static_cast<long>(getppid())).measures)
    return;
  std::string mark = std::to_string(static_cast<long>(getpid())) + "@" + host;
  setenv(kMeasuredByVar, mark.c_str(), 1);
}

int run_tracked(const CliOptions& o, SignalHandlers handlers, std::ostream& err) {
  TrackerOptions t;
  t.epochs = o.epochs > 0 ? o.epochs : 1;
  t.epochs_before_pred = o.epochs > 0 ? 1 : 0;
  t.monitor_epochs = t.epochs;
  t.update_interval = o.update_interval;
  t.log_dir = o.log_dir;
  t.log_file_prefix = o.log_file_prefix;
  t.components = o.components;
  t.pue = o.pue;
  t.verbose = o.verbose;
  t.decimal_precision = o.decimal_precision;
  t.region = o.region;
  t.offline = o.offline;
  t.devices_by_pid = o.devices_by_pid;
  t.distributed = o.distributed;
  // Read before the wrapper marks the environment for its command.
  t.environment = Environment::from_process_env();
  mark_node_if_measured(o.distributed, *t.environment);
  t.interpretable = o.interpretable;
  t.metrics_port = o.metrics_port;
  t.metrics_address = o.metrics_address;
  t.metrics_textfile = o.metrics_textfile;
  t.progress = o.progress;
  // The waiting loop below starts the sampling thread when its first tick is
  // due: a command shorter than one interval runs without it.
  t.defer_sampling_thread = true;
  t.sim_cpu = o.sim_cpu;
  t.sim_cpu_tdp = o.sim_cpu_tdp;
  t.sim_cpu_util = o.sim_cpu_util;
  t.sim_gpu = o.sim_gpu;
  t.sim_gpu_watts = o.sim_gpu_watts;
  t.sim_gpu_util = o.sim_gpu_util;
  for (const std::string& word : o.command) t.command += (t.command.empty() ? "" : " ") + word;
  if (!o.api_keys_text.empty()) {
    auto keys = parse_api_keys(o.api_keys_text);
    if (keys) t.api_keys = *keys;
  }

  // The console's lines go out in blocks: the start-up messages in one write
  // before the command starts, the report in one when monitoring ends.
  // Signals are caught from here on, so that one that ends the wrapper
  // writes the pending text first.
  ConsoleBuffer console(STDOUT_FILENO);
  std::ostream console_stream(&console);
  t.console = &console_stream;
  struct ConsoleScope {
    ConsoleBuffer& console;
    SignalHandlers handlers;
    ~ConsoleScope() {
      console.release();
      if (handlers == SignalHandlers::kRestore) restore_forwarding();
    }
  } scope{console, handlers};
  install_forwarding(&console);

  std::unique_ptr<Tracker> tracker;
  try {
    tracker = std::make_unique<Tracker>(t);
  } catch (const Error& e) {
    // Options are checked while parsing; one the library still rejects is a
    // usage error too, not a failure of the tracker.
    bool usage = e.code() == ErrorCode::kInvalidArgument;
    console.release();
    err << "carbontracker: " << (usage ? "error: " : "") << e.what() << "\n";
    return usage ? 2 : 70;
  }

  // Another process of the job measures this node: run the command, say and
  // write nothing.
  bool quiet = !tracker->result().distributed.measures;

  bool markers = o.epochs > 0;
  bool implicit_epoch = true;  // the whole run, until the first marker
  bool warned_line = false;
  int exit_status = 0;
  ChildResult child;
  try {
    tracker->epoch_start();
    auto on_line = [&](const std::string& line) {
      EpochMarker marker = parse_epoch_marker(line);
      if (marker == EpochMarker::kOtherRank) return;
      if (marker == EpochMarker::kStart) {
        if (implicit_epoch) tracker->discard_epoch();
        implicit_epoch = false;
        tracker->epoch_start();
      } else if (marker == EpochMarker::kEnd) {
        // The implicit epoch is the wrapper's, not one the command started:
        // an epoch_end before any epoch_start is stray, ignored with the
        // tracker's one warning, as in the embedded tracker.
        if (implicit_epoch) tracker->discard_epoch();
        implicit_epoch = false;
        tracker->epoch_end();
      } else if (!warned_line) {
        warned_line = true;
        err << "carbontracker: ignoring unknown line on CARBONTRACKER_EPOCH_FD: '" << line
            << "' (expected epoch_start or epoch_end)\n";
      }
    };
    console.release();
    child = run_child(o.command, markers, handlers, on_line,
                      [&] { return tracker->start_sampling_if_due(); });
    console.hold();
    if (!child.started)
      err << "carbontracker: cannot run '" << (o.command.empty() ? "" : o.command[0])
          << "': " << std::strerror(child.start_errno)
          << (child.start_errno == ENOENT ? " (check the command name and PATH)" : "") << "\n";
    exit_status = child.exit_status;
    if (markers && implicit_epoch && child.started && !quiet)
      err << "carbontracker: the command wrote no epoch markers on CARBONTRACKER_EPOCH_FD; the "
             "whole run is reported as one epoch.\n";
    if (!markers || implicit_epoch) {
      tracker->epoch_end();
    }
    tracker->stop();
    console.release();
  } catch (const Error& e) {
    console.release();
    err << "carbontracker: " << e.what() << "\n";
    exit_status = 70;
  }

  if (!o.json_path.empty() && !quiet) {
    nlohmann::json record = run_to_json(tracker->result());
    record["command"] = o.command;
    record["exit_status"] = exit_status;
    record["command_started"] = child.started;
    if (child.signal) record["signal"] = child.signal;
    try {
      write_json_file(o.json_path, record);
    } catch (const Error& e) {
      err << "carbontracker: " << e.what() << "\n";
      if (exit_status == 0) exit_status = 70;
    }
  }
  if (handlers == SignalHandlers::kLeave && !tracker->monitoring()) {
    // The process exits right after: its files are written and its threads
    // joined, so the kernel may close the descriptors (system calls are dear
    // on some hosts). Kept reachable, so leak checkers do not report it.
    [[maybe_unused]] static Tracker* finished_tracker = nullptr;
    finished_tracker = tracker.release();
  }
  return exit_status;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, SignalHandlers handlers) {
  std::string prog = args.empty() ? "carbontracker" : args[0];
  if (size_t slash = prog.rfind('/'); slash != std::string::npos) prog = prog.substr(slash + 1);
  CliOptions o;
  std::string error = parse_cli_args(args, o);
  if (!error.empty()) {
    std::cerr << prog << ": error: " << error << "\n";
    return 2;
  }
  if (o.help) {
    std::cout << cli_usage(prog);
    return 0;
  }
  if (o.version) {
    std::cout << "carbontracker " << version() << "\n";
    return 0;
  }
  if (!o.parse_args.empty()) return run_parse_command(o.parse_args, std::cout, std::cerr);
  if (!o.report_args.empty()) return run_report_command(o.report_args, std::cout, std::cerr);
  if (o.command.empty()) {
    std::cerr << prog << ": no command given\n" << cli_usage(prog);
    return 2;
  }
  return run_tracked(o, handlers, std::cerr);
}

}  // namespace carbontracker
