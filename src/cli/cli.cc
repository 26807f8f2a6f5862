// The tracked run: the command started under a tracker, its epoch markers
// turned into the tracker's epochs, and its exit status passed on.
#include "cli/cli.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "carbontracker/tracker.h"
#include "cli/console_buffer.h"
#include "cli/epoch_pipe.h"
#include "common/host.h"
#include "logs/parse_cli.h"
#include "output/json.h"
#include "report/report_cli.h"
#include "tracker/distributed.h"
#include "tracker/options.h"
#include "tracker/tracker_internal.h"

namespace carbontracker {

namespace {

// Where this wrapper measures its node under "auto", the mark that tells
// the command's own trackers on this host so (CARBONTRACKER_MEASURED_BY=
// PID@HOST), for the command's environment only; "" where it does not. The
// tracker makes the same decision from `env` (a lock taken here stays this
// process's).
std::string node_mark(const std::string& policy, const Environment& env) {
  if (policy != "auto") return "";
  const std::string& host = host_name();
  if (host.empty()) return "";
  // Outside a launcher and another wrapper's mark, this wrapper measures.
  if (in_distributed_context(env) &&
      !resolve_distributed(policy, env, host, static_cast<long>(getppid())).measures)
    return "";
  return std::string(kMeasuredByVar) + "=" + std::to_string(static_cast<long>(process_id())) + "@" +
         host;
}

// A test seam: CARBONTRACKER_TEST_FAIL_EPOCH_CALL=N makes the N-th call of
// the tracker's epoch_start/epoch_end throw (an Error; "N:other" a
// std::runtime_error), as a failing tracker would.
class EpochFault {
 public:
  explicit EpochFault(const Environment& env) {
    std::string spec = env.var("CARBONTRACKER_TEST_FAIL_EPOCH_CALL");
    if (spec.empty()) return;
    other_ = spec.size() > 6 && spec.compare(spec.size() - 6, 6, ":other") == 0;
    if (other_) spec.resize(spec.size() - 6);
    if (!parse_int(spec, fail_at_)) fail_at_ = 0;
  }
  void check() {
    if (fail_at_ <= 0 || ++calls_ != fail_at_) return;
    std::string what = fmt::format("injected failure at epoch call {}", calls_);
    if (other_) throw std::runtime_error(what);
    throw Error(ErrorCode::kInternal, what);
  }

 private:
  int fail_at_ = 0, calls_ = 0;
  bool other_ = false;
};

int run_tracked(const CliOptions& o, SignalHandlers handlers, std::ostream& err) {
  InternalOptions t;
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
  // This process's environment, left as it is; the command's gets the node
  // mark (and the epoch pipe's variables) on top.
  t.environment = Environment::from_process_env();
  ChildOptions child_options;
  child_options.command = o.command;
  child_options.epoch_pipe = o.epochs > 0;
  child_options.exits_after = handlers == SignalHandlers::kLeave;
  if (std::string mark = node_mark(o.distributed, *t.environment); !mark.empty())
    child_options.extra_env.push_back(mark);
  EpochFault fault(*t.environment);
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

  std::unique_ptr<InternalTracker> tracker;
  try {
    tracker = std::make_unique<InternalTracker>(t);
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
  bool warned_line = false, warned_long = false;
  int exit_status = 0;
  ChildResult child;
  auto epoch_start = [&] {
    fault.check();
    tracker->epoch_start();
  };
  auto epoch_end = [&] {
    fault.check();
    tracker->epoch_end();
  };
  try {
    epoch_start();
    auto on_line = [&](const std::string& line, bool too_long) {
      if (too_long) {
        if (!warned_long)
          err << "carbontracker: ignoring lines longer than " << EpochLineSplitter::kMaxLineBytes
              << " bytes on CARBONTRACKER_EPOCH_FD\n";
        warned_long = true;
        return;
      }
      EpochMarker marker = parse_epoch_marker(line);
      if (marker == EpochMarker::kOtherRank) return;
      if (marker == EpochMarker::kStart) {
        if (implicit_epoch) tracker->discard_epoch();
        implicit_epoch = false;
        epoch_start();
      } else if (marker == EpochMarker::kEnd) {
        // The implicit epoch is the wrapper's, not one the command started:
        // an epoch_end before any epoch_start is stray, ignored with the
        // tracker's one warning, as in the embedded tracker.
        if (implicit_epoch) tracker->discard_epoch();
        implicit_epoch = false;
        epoch_end();
      } else if (!warned_line) {
        warned_line = true;
        err << "carbontracker: ignoring unknown line on CARBONTRACKER_EPOCH_FD: '"
            << printable(line) << "' (expected epoch_start or epoch_end)\n";
      }
    };
    console.release();
    {
      // Owns the command: whatever the callbacks do, it is waited for.
      ChildProcess process(child_options);
      child = process.wait(on_line, [&] { return tracker->start_sampling_if_due(); });
    }
    console.hold();
    if (!child.started)
      err << "carbontracker: cannot run '" << (o.command.empty() ? "" : o.command[0])
          << "': " << std::strerror(child.start_errno)
          << (child.start_errno == ENOENT ? " (check the command name and PATH)" : "") << "\n";
    if (child.status_lost)
      err << "carbontracker: the command's exit status is unknown: another process waited for "
             "it\n";
    exit_status = child.exit_status;
    if (!child.callback_error.empty()) {
      // Reported once the command has ended; its own status is said too.
      err << "carbontracker: " << child.callback_error
          << " (the command ran to its end: exit status " << child.exit_status << ")\n";
      if (!t.ignore_errors) exit_status = 70;
    } else {
      if (markers && implicit_epoch && child.started && !quiet)
        err << "carbontracker: the command wrote no epoch markers on CARBONTRACKER_EPOCH_FD; the "
               "whole run is reported as one epoch.\n";
      if (!markers || implicit_epoch) epoch_end();
    }
    tracker->stop();
    console.release();
  } catch (const std::exception& e) {
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
