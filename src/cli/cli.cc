// Implementation details: the command runs in a child process started with
// fork/execvp. The parent waits in a poll() loop on a self-pipe written by the
// SIGCHLD handler and, with --epochs, on the pipe whose write end the child
// finds in CARBONTRACKER_EPOCH_FD. SIGINT/SIGTERM/SIGHUP/SIGQUIT sent to the
// wrapper with kill() are forwarded to the child; terminal-generated signals
// already reach the child through its process group and are not sent twice.
#include "cli/cli.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "carbontracker/tracker.h"
#include "cli/console_buffer.h"
#include "common/host.h"
#include "logs/parse_cli.h"
#include "output/json.h"
#include "report/report_cli.h"
#include "tracker/distributed.h"
#include "tracker/options.h"
#include "tracker/tracker_internal.h"

extern char** environ;

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434  // one number on every architecture (Linux 5.3)
#endif

namespace carbontracker {

namespace {

volatile sig_atomic_t g_child_pid = 0;
volatile sig_atomic_t g_in_child = 0;  // set in the child between fork and exec
// Set around fork(): a signal to forward that comes before the child's pid is
// known is kept here and sent once it is.
volatile sig_atomic_t g_forking = 0;
volatile sig_atomic_t g_pending_signal = 0;
int g_sigchld_pipe[2] = {-1, -1};
// The signals forwarded to the command, and their actions before ours.
constexpr int kForwarded[6] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
struct sigaction g_old_actions[6];
// The console of the run in progress, whose pending text a signal writes out.
ConsoleBuffer* g_console = nullptr;

// exec resets these handlers in the child; before it, the child acts on a
// signal as the command would (default action), without a sigaction call per
// signal on every start.
void act_as_default(int sig) {
  signal(sig, SIG_DFL);
  raise(sig);
}

void on_forwarded_signal(int sig, siginfo_t* info, void* context) {
  if (g_in_child) return act_as_default(sig);
  // Signals from the terminal (SI_KERNEL) reach the child's process group too.
  const bool to_forward = info && info->si_code == SI_USER;
  if (g_child_pid > 0) {
    if (to_forward) kill(g_child_pid, sig);
    return;
  }
  if (g_forking) {
    if (to_forward) g_pending_signal = sig;
    return;
  }
  // No command running (start-up, or the report after it): the signal does
  // what it did before our handler, the console's pending text written first.
  int k = 0;
  while (k < 6 && kForwarded[k] != sig) ++k;
  if (k == 6) return;
  const struct sigaction& old = g_old_actions[k];
  if (old.sa_flags & SA_SIGINFO) return old.sa_sigaction(sig, info, context);
  if (old.sa_handler == SIG_IGN) return;
  if (old.sa_handler != SIG_DFL) return old.sa_handler(sig);            // e.g. Python's
  if (g_console && !g_console->write_pending_from_signal(sig)) return;  // raised after its write
  act_as_default(sig);
}

// Installed for the whole tracked run, so that a signal during start-up or the
// report writes the console's pending text before it ends the process.
void install_forwarding() {
  struct sigaction fwd {};
  fwd.sa_sigaction = on_forwarded_signal;
  fwd.sa_flags = SA_RESTART | SA_SIGINFO;
  sigemptyset(&fwd.sa_mask);
  for (int k = 0; k < 6; ++k) sigaction(kForwarded[k], &fwd, &g_old_actions[k]);
}

void restore_forwarding() {
  for (int k = 0; k < 6; ++k) sigaction(kForwarded[k], &g_old_actions[k], nullptr);
}

void on_sigchld(int) {
  if (g_in_child) return;
  int saved = errno;
  if (g_sigchld_pipe[1] >= 0) {
    char c = 1;
    [[maybe_unused]] ssize_t n = write(g_sigchld_pipe[1], &c, 1);
  }
  errno = saved;
}

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

// Accepts JSON or the original's Python-literal form ({'electricitymaps': 'KEY'}).
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

}  // namespace

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
        err = bad(fmt::format(
            "expected a JSON object such as '{{\"electricitymaps\": \"KEY\"}}', got '{}'",
            o.api_keys_text));
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

namespace {

struct ChildResult {
  bool started = false;
  int start_errno = 0;
  int exit_status = 0;  // the wrapper's exit status for it
  int code = -1;        // exit code, or -1
  int signal = 0;       // terminating signal, or 0
};

// Starts the command and waits for it, calling on_line for each line the
// child writes on the epoch pipe (when epoch markers are enabled), and
// on_wait before each wait: it returns the seconds until it wants to be
// called again (< 0: no sooner than the usual 250 ms).
ChildResult run_child(const std::vector<std::string>& command, bool epoch_fd,
                      SignalHandlers handlers,
                      const std::function<void(const std::string&)>& on_line,
                      const std::function<double()>& on_wait) {
  ChildResult result;
  int status_pipe[2], epoch_pipe[2] = {-1, -1};
  // Flags set at creation: one system call per pipe (they are dear in sandboxes).
  if (pipe2(status_pipe, O_CLOEXEC) != 0) {
    result.start_errno = errno;
    return result;
  }
  if (epoch_fd) {
    // The child's end stays blocking; it loses O_CLOEXEC in the child (dup2 or fcntl below).
    if (pipe2(epoch_pipe, O_CLOEXEC) != 0) {
      result.start_errno = errno;
      return result;
    }
    fcntl(epoch_pipe[0], F_SETFL, O_NONBLOCK);
  }

  // Waited for through a pidfd: SIGCHLD keeps its default action, which an
  // inherited SIG_IGN would replace with automatic reaping (and no status).
  signal(SIGCHLD, SIG_DFL);

  std::vector<char*> argv;
  for (const std::string& s : command) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  // Everything the child needs is prepared before fork(): between fork and
  // exec only async-signal-safe calls are allowed (other threads may hold locks).
  int epoch_target = -1;
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  if (epoch_fd) {
    // A single-digit descriptor, because POSIX shells only redirect to 0-9:
    // the lowest one >= 3 that is free or would be closed by exec anyway.
    epoch_target = 3;
    for (; epoch_target < 10; ++epoch_target) {
      int flags = fcntl(epoch_target, F_GETFD);
      if (flags == -1 || (flags & FD_CLOEXEC)) break;
    }
    if (epoch_target == 10) epoch_target = epoch_pipe[1];
    for (char** e = environ; e && *e; ++e)
      if (std::strncmp(*e, "CARBONTRACKER_EPOCH_FD=", 23) != 0 &&
          std::strncmp(*e, "CARBONTRACKER_EPOCH_PATH=", 25) != 0)
        env_strings.push_back(*e);
    env_strings.push_back("CARBONTRACKER_EPOCH_FD=" + std::to_string(epoch_target));
    // The same pipe by name, for processes that do not inherit the descriptor
    // (torchrun and Python's subprocess close it): opening the wrapper's read
    // end through /proc for writing gives a write end of the same pipe.
    env_strings.push_back(fmt::format("CARBONTRACKER_EPOCH_PATH=/proc/{}/fd/{}",
                                      static_cast<long>(getpid()), epoch_pipe[0]));
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
  }

  g_forking = 1;
  pid_t pid = fork();
  if (pid == 0) {
    g_in_child = 1;
    // Caught signals return to their default at exec; ignored ones stay ignored.
    for (int k = 0; k < 6; ++k)
      if (g_old_actions[k].sa_handler == SIG_IGN)
        sigaction(kForwarded[k], &g_old_actions[k], nullptr);
    if (epoch_fd) {
      if (epoch_target != epoch_pipe[1])
        dup2(epoch_pipe[1], epoch_target);
      else
        fcntl(epoch_target, F_SETFD, 0);
      execvpe(argv[0], argv.data(), envp.data());
    }
    execvp(argv[0], argv.data());
    int e = errno;
    [[maybe_unused]] ssize_t n = write(status_pipe[1], &e, sizeof e);
    _exit(127);
  }
  close(status_pipe[1]);
  // The wrapper keeps a write end open until the command exits: the pipe
  // never reads as closed while CARBONTRACKER_EPOCH_PATH may still be opened
  // by a process that did not inherit the descriptor.
  if (pid < 0) {
    result.start_errno = errno;
    g_forking = 0;
    close(status_pipe[0]);
    if (epoch_fd) {
      close(epoch_pipe[0]);
      close(epoch_pipe[1]);
    }
    return result;
  }
  g_child_pid = pid;
  g_forking = 0;
  if (int sig = g_pending_signal) {
    g_pending_signal = 0;
    kill(pid, sig);
  }
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(status_pipe[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  close(status_pipe[0]);
  result.started = n == 0;
  if (n > 0) result.start_errno = exec_errno;

  // The child's exit makes its pidfd readable (Linux 5.3). Where there is no
  // pidfd_open, a SIGCHLD handler writes to a self-pipe instead; the child may
  // have exited before the handler was installed, so each wait starts with a
  // waitpid(WNOHANG) there.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0 && pipe2(g_sigchld_pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
    struct sigaction sa {};
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, nullptr);
  }

  std::string buffer;
  auto drain_epoch_pipe = [&] {
    if (epoch_pipe[0] < 0) return;
    char chunk[512];
    for (;;) {
      ssize_t r = read(epoch_pipe[0], chunk, sizeof chunk);
      if (r <= 0) {
        if (r == 0) {  // every writer closed it
          close(epoch_pipe[0]);
          epoch_pipe[0] = -1;
        }
        break;
      }
      buffer.append(chunk, r);
      size_t nl;
      while ((nl = buffer.find('\n')) != std::string::npos) {
        std::string line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        on_line(line);
      }
    }
  };

  int wstatus = 0;
  for (;;) {
    if (pidfd < 0) {
      pid_t w = waitpid(pid, &wstatus, WNOHANG);
      if (w == pid) break;
      if (w < 0 && errno != EINTR) break;
    }
    int timeout_ms = 250;
    if (double due_s = on_wait(); due_s >= 0)
      timeout_ms = std::min(timeout_ms, static_cast<int>(std::ceil(due_s * 1000)));
    pollfd fds[2] = {{pidfd >= 0 ? pidfd : g_sigchld_pipe[0], POLLIN, 0},
                     {epoch_pipe[0], POLLIN, 0}};
    int ready = poll(fds, epoch_pipe[0] >= 0 ? 2 : 1, timeout_ms);
    if (pidfd >= 0) {
      if (ready > 0 && (fds[0].revents & POLLIN)) {  // the child has exited
        pid_t w;
        do {
          w = waitpid(pid, &wstatus, 0);
        } while (w < 0 && errno == EINTR);
        break;
      }
    } else {
      char sink[64];
      while (read(g_sigchld_pipe[0], sink, sizeof sink) > 0) {
      }
    }
    drain_epoch_pipe();
  }
  drain_epoch_pipe();  // markers written just before exit
  if (epoch_pipe[0] >= 0) close(epoch_pipe[0]);
  if (epoch_pipe[1] >= 0) close(epoch_pipe[1]);
  g_child_pid = 0;
  // Left installed, the SIGCHLD handler does nothing more: the pipe is closed below.
  if (pidfd >= 0) {
    close(pidfd);
  } else {
    if (handlers == SignalHandlers::kRestore) signal(SIGCHLD, SIG_DFL);
    close(g_sigchld_pipe[0]);
    close(g_sigchld_pipe[1]);
    g_sigchld_pipe[0] = g_sigchld_pipe[1] = -1;
  }

  if (!result.started) {
    result.exit_status = result.start_errno == ENOENT ? 127 : 126;
  } else if (WIFEXITED(wstatus)) {
    result.code = WEXITSTATUS(wstatus);
    result.exit_status = result.code;
  } else if (WIFSIGNALED(wstatus)) {
    result.signal = WTERMSIG(wstatus);
    result.exit_status = 128 + result.signal;
  }
  return result;
}

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
      g_console = nullptr;
    }
  } scope{console, handlers};
  g_console = &console;
  install_forwarding();

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
  bool warned_line = false;
  int exit_status = 0;
  ChildResult child;
  try {
    tracker->epoch_start();
    auto on_line = [&](const std::string& text) {
      std::string line = text;
      // Several ranks may write markers: "epoch_end rank=N" counts only for rank 0.
      if (size_t sp = line.find(" rank="); sp != std::string::npos) {
        int rank = -1;
        if (!parse_int(line.substr(sp + 6), rank) || rank < 0) rank = -1;
        if (rank > 0) return;
        if (rank == 0) line.resize(sp);
      }
      if (line == "epoch_start") {
        if (implicit_epoch) tracker->discard_epoch();
        implicit_epoch = false;
        tracker->epoch_start();
      } else if (line == "epoch_end") {
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
