// fake_powercap_helper: writes a fake powercap tree and advances its energy
// counters at a known, varying power until SIGTERM/SIGINT or --duration.
//
//   fake_powercap_helper --root DIR [--sockets N] [--dram-watts W]
//       [--max-range-uj R] [--step-ms MS] --trace "W1:S1,W2:S2,..."
//       --truth FILE [--ready FILE] [--duration S]
//
// Tree, as /sys/class/powercap lays it out:
//   DIR/intel-rapl/                          the control type (no counter)
//   DIR/intel-rapl:N/                        name "package-N"
//   DIR/intel-rapl:N/intel-rapl:N:0/         name "core" (0.6 x package power)
//   DIR/intel-rapl:N/intel-rapl:N:1/         name "dram" (with --dram-watts > 0)
//   DIR/intel-rapl:N:M -> intel-rapl:N/intel-rapl:N:M   (links, as in sysfs)
// each with name, energy_uj and max_energy_range_uj (= R).
//
// Power: every package draws the trace power (W1 watts for S1 seconds, then
// W2 for S2 ..., cycling), every dram zone --dram-watts. The energy of a zone
// at time t is the exact integral from the start; energy_uj holds
// (offset + floor(energy in uJ)) mod R, where socket N's zones start at
// offset = N * floor(R / (sockets + 1)) so that no two packages look mirrored.
// Every --step-ms (default 2) all files are rewritten atomically (a temporary
// file in the same directory, then rename).
//
// Truth: after each step (and once at the start, energy 0) one line
//   <unix time, s, 6 decimals> <energy of all packages + dram zones since start, J, 6 decimals>
// is appended to FILE and flushed. Energies are not wrapped; core is not
// included. --ready FILE is created once the tree holds its initial values.
//
// Exit status: 0 when stopped by a signal or --duration; 2 for bad arguments;
// 1 when a file cannot be written.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

struct Segment {
  double watts;
  double seconds;
};

struct Options {
  std::string root;
  int sockets = 1;
  double dram_watts = 0;
  uint64_t range_uj = 262143328850ULL;
  double step_ms = 2;
  std::vector<Segment> trace;
  std::string truth;
  std::string ready;
  double duration_s = -1;  // < 0: until a signal
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "fake_powercap_helper: %s\n"
               "usage: fake_powercap_helper --root DIR [--sockets N] [--dram-watts W] "
               "[--max-range-uj R] [--step-ms MS] --trace \"W1:S1,W2:S2,...\" --truth FILE "
               "[--ready FILE] [--duration S]\n",
               why.c_str());
  std::exit(2);
}

double parse_double(const std::string& flag, const char* text) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !std::isfinite(v))
    usage(flag + ": not a number: " + text);
  return v;
}

std::vector<Segment> parse_trace(const std::string& text) {
  std::vector<Segment> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(pos, comma - pos);
    size_t colon = item.find(':');
    if (colon == std::string::npos) usage("--trace: expected W:S, got '" + item + "'");
    Segment s{parse_double("--trace", item.substr(0, colon).c_str()),
              parse_double("--trace", item.substr(colon + 1).c_str())};
    if (s.watts < 0 || s.seconds <= 0)
      usage("--trace: watts must be >= 0 and seconds > 0 in '" + item + "'");
    out.push_back(s);
    pos = comma + 1;
  }
  if (out.empty()) usage("--trace is empty");
  return out;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) usage(flag + " needs a value");
    const char* value = argv[++i];
    if (flag == "--root") {
      o.root = value;
    } else if (flag == "--sockets") {
      double n = parse_double(flag, value);
      if (n < 1 || n > 1024 || n != std::floor(n)) usage("--sockets: 1 to 1024");
      o.sockets = static_cast<int>(n);
    } else if (flag == "--dram-watts") {
      o.dram_watts = parse_double(flag, value);
      if (o.dram_watts < 0) usage("--dram-watts must be >= 0");
    } else if (flag == "--max-range-uj") {
      double r = parse_double(flag, value);
      if (r < 1 || r > 1.8e19 || r != std::floor(r)) usage("--max-range-uj: a positive integer");
      o.range_uj = static_cast<uint64_t>(r);
    } else if (flag == "--step-ms") {
      o.step_ms = parse_double(flag, value);
      if (o.step_ms <= 0) usage("--step-ms must be > 0");
    } else if (flag == "--trace") {
      o.trace = parse_trace(value);
    } else if (flag == "--truth") {
      o.truth = value;
    } else if (flag == "--ready") {
      o.ready = value;
    } else if (flag == "--duration") {
      o.duration_s = parse_double(flag, value);
      if (o.duration_s < 0) usage("--duration must be >= 0");
    } else {
      usage("unknown option " + flag);
    }
  }
  if (o.root.empty()) usage("--root is required");
  if (o.trace.empty()) usage("--trace is required");
  if (o.truth.empty()) usage("--truth is required");
  return o;
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fake_powercap_helper: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

void make_dir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) fail("mkdir " + path);
}

// Writes path atomically: a temporary file beside it, then rename().
void write_atomic(const std::string& path, const char* data, size_t len) {
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("open " + tmp);
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, data + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write " + tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) fail("close " + tmp);
  if (rename(tmp.c_str(), path.c_str()) != 0) fail("rename " + tmp);
}

void write_atomic(const std::string& path, const std::string& text) {
  write_atomic(path, text.data(), text.size());
}

// Package energy (J) after t seconds of the cycling trace.
double trace_energy_j(const std::vector<Segment>& trace, double t) {
  double cycle_s = 0, cycle_j = 0;
  for (const Segment& s : trace) {
    cycle_s += s.seconds;
    cycle_j += s.watts * s.seconds;
  }
  double cycles = std::floor(t / cycle_s);
  double e = cycles * cycle_j;
  double rest = t - cycles * cycle_s;
  for (const Segment& s : trace) {
    if (rest <= 0) break;
    double d = rest < s.seconds ? rest : s.seconds;
    e += s.watts * d;
    rest -= d;
  }
  return e;
}

struct FakeZone {
  std::string energy_path;
  uint64_t offset_uj;
  enum { kPackage, kCore, kDram } kind;
};

double now_s(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Reads both clocks at (nearly) one instant: retried if preempted in between,
// since the truth pairs a unix time with energy computed from steady time.
void paired_now(double* steady_s, double* unix_s) {
  for (int i = 0; i < 100; ++i) {
    const double before = now_s(CLOCK_REALTIME);
    *steady_s = now_s(CLOCK_MONOTONIC);
    *unix_s = now_s(CLOCK_REALTIME);
    if (*unix_s - before < 50e-6) break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  make_dir(o.root);
  make_dir(o.root + "/intel-rapl");
  std::vector<FakeZone> zones;
  const std::string range_text = std::to_string(o.range_uj) + "\n";
  auto add_zone = [&](const std::string& dir, const std::string& name, uint64_t offset,
                      decltype(FakeZone::kind) kind) {
    make_dir(dir);
    write_atomic(dir + "/name", name + "\n");
    write_atomic(dir + "/max_energy_range_uj", range_text);
    zones.push_back({dir + "/energy_uj", offset, kind});
  };
  for (int n = 0; n < o.sockets; ++n) {
    const uint64_t offset = static_cast<uint64_t>(n) * (o.range_uj / (o.sockets + 1));
    const std::string pkg = "intel-rapl:" + std::to_string(n);
    add_zone(o.root + "/" + pkg, "package-" + std::to_string(n), offset, FakeZone::kPackage);
    std::vector<std::pair<std::string, std::string>> subs = {{pkg + ":0", "core"}};
    if (o.dram_watts > 0) subs.push_back({pkg + ":1", "dram"});
    for (const auto& [sub, name] : subs) {
      add_zone(o.root + "/" + pkg + "/" + sub, name, offset,
               name == "core" ? FakeZone::kCore : FakeZone::kDram);
      const std::string link = o.root + "/" + sub;
      unlink(link.c_str());
      if (symlink((pkg + "/" + sub).c_str(), link.c_str()) != 0) fail("symlink " + link);
    }
  }

  FILE* truth = std::fopen(o.truth.c_str(), "w");
  if (truth == nullptr) fail("open " + o.truth);

  double start_s = 0, start_unix_s = 0;
  paired_now(&start_s, &start_unix_s);
  const double step_s = o.step_ms / 1000.0;
  auto step = [&](double t_s, double unix_s) {
    const double pkg_uj = trace_energy_j(o.trace, t_s) * 1e6;
    const double dram_uj = o.dram_watts * t_s * 1e6;
    for (const FakeZone& z : zones) {
      double uj = z.kind == FakeZone::kPackage ? pkg_uj
                  : z.kind == FakeZone::kCore  ? 0.6 * pkg_uj
                                               : dram_uj;
      uint64_t value = (z.offset_uj + static_cast<uint64_t>(uj)) % o.range_uj;
      char buf[32];
      int len = std::snprintf(buf, sizeof buf, "%llu\n", static_cast<unsigned long long>(value));
      write_atomic(z.energy_path, buf, static_cast<size_t>(len));
    }
    const double total_j = o.sockets * (pkg_uj + dram_uj) / 1e6;
    std::fprintf(truth, "%.6f %.6f\n", unix_s, total_j);
    std::fflush(truth);
  };

  step(0.0, start_unix_s);
  if (!o.ready.empty()) write_atomic(o.ready, std::to_string(getpid()) + "\n");

  double next_s = start_s;
  while (!g_stop) {
    next_s += step_s;
    timespec ts;
    ts.tv_sec = static_cast<time_t>(next_s);
    ts.tv_nsec = static_cast<long>((next_s - std::floor(next_s)) * 1e9);
    if (ts.tv_nsec >= 1000000000L) ts.tv_nsec = 999999999L;
    while (!g_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
    if (g_stop) break;
    double steady_s = 0, unix_s = 0;
    paired_now(&steady_s, &unix_s);
    double t_s = steady_s - start_s;
    const bool last = o.duration_s >= 0 && t_s >= o.duration_s;
    if (last) t_s = o.duration_s;
    step(t_s, unix_s - (steady_s - start_s - t_s));
    if (last) break;
    // Fell behind (a loaded machine): skip the missed steps, do not burst.
    if (steady_s > next_s + step_s) next_s = steady_s;
  }
  std::fclose(truth);
  return 0;
}
