// fake_powercap_helper: writes a fake powercap tree and advances its energy
// counters at a known, varying power until SIGTERM/SIGINT or --duration.
//
//   fake_powercap_helper --root DIR [--sockets N] [--dram-watts W]
//       [--max-range-uj R] [--wrap-after-j J] [--step-ms MS]
//       --trace "W1:S1,W2:S2,..." --truth FILE [--ready FILE] [--duration S]
//       [--lockstep] [--frozen] [--status FILE]
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
// offset = N * floor(R / (sockets + 1)) so that no two packages look mirrored
// (with --wrap-after-j J: every zone starts J + N mJ below its wrap point, so
// each wraps early in the run). Every --step-ms (default 2) all files are
// rewritten atomically (a temporary file in the same directory, then rename).
//
// --lockstep makes the counters independent of how the machine schedules the
// helper and its reader. The trace runs on the helper's own world clock,
// which advances by at most 10 ms per rewrite (a helper held up by the
// scheduler slows the world instead of jumping it), and which waits while any
// package or dram zone that has been read (inotify, IN_CLOSE_NOWRITE on its
// energy_uj) would get more than half a range ahead of the value its reader
// last saw: a reader, however late, never misses a wrap. SIGUSR1 freezes the
// world clock (the power is 0 while frozen), SIGUSR2 thaws it; --frozen
// starts frozen.
//
// --status FILE is rewritten atomically after every step:
//   world_s <world seconds>  energy_j <packages + dram since start, J>
//   frozen <0|1>  freezes <SIGUSR1 handled so far>  thaws <SIGUSR2 handled>
//   reads <fewest energy_uj reads seen on any package or dram zone>
//   steps <rewrites so far; each has counted every read finished before it>
// one "key value" per line (reads are counted in --lockstep mode only).
// A test freezes, waits for the freezes count, acts, and takes energy_j as
// the exact truth at that point.
//
// Truth: after each step (and once at the start, energy 0) one line
//   <unix time, s, 6 decimals> <energy of all packages + dram zones since start, J, 6 decimals>
// is appended to FILE and flushed. Energies are not wrapped; core is not
// included. --ready FILE is created once the tree holds its initial values.
//
// Exit status: 0 when stopped by a signal or --duration; 2 for bad arguments;
// 1 when a file cannot be written.
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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
volatile std::sig_atomic_t g_freeze_requests = 0;
volatile std::sig_atomic_t g_thaw_requests = 0;

// --lockstep: the most world time one rewrite may add (2.4 J at 240 W, far
// below what a RAPL reader judges plausible between two reads).
constexpr double kLockstepMaxAdvanceS = 0.01;

void on_signal(int) { g_stop = 1; }
void on_freeze(int) { g_freeze_requests = g_freeze_requests + 1; }
void on_thaw(int) { g_thaw_requests = g_thaw_requests + 1; }

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
  std::string status;
  double duration_s = -1;    // < 0: until a signal
  double wrap_after_j = -1;  // < 0: offsets N * floor(R / (sockets + 1))
  bool lockstep = false;
  bool frozen = false;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "fake_powercap_helper: %s\n"
               "usage: fake_powercap_helper --root DIR [--sockets N] [--dram-watts W] "
               "[--max-range-uj R] [--wrap-after-j J] [--step-ms MS] --trace \"W1:S1,W2:S2,...\" "
               "--truth FILE [--ready FILE] [--duration S] [--lockstep] [--frozen] "
               "[--status FILE]\n",
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
    if (flag == "--lockstep" || flag == "--frozen") {
      (flag == "--lockstep" ? o.lockstep : o.frozen) = true;
      continue;
    }
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
    } else if (flag == "--status") {
      o.status = value;
    } else if (flag == "--wrap-after-j") {
      o.wrap_after_j = parse_double(flag, value);
      if (o.wrap_after_j < 0) usage("--wrap-after-j must be >= 0");
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
  if (o.wrap_after_j >= 0 &&
      (o.wrap_after_j + o.sockets * 2e-3) * 1e6 >= static_cast<double>(o.range_uj))
    usage("--wrap-after-j must be less than the range");
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
  std::string dir;
  std::string energy_path;
  uint64_t offset_uj;
  enum { kPackage, kCore, kDram } kind;
  int watch = -1;        // --lockstep: inotify watch on dir (package and dram zones)
  uint64_t reads = 0;    // energy_uj reads seen
  double seen_uj = 0;    // unwrapped energy published when the last read was seen
  double energy_uj = 0;  // unwrapped energy published now
};

double now_s(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Reads both clocks at (nearly) one instant: retried if preempted in between,
// since the truth's unix times are the steady clock from this pairing on.
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
    zones.push_back({dir, dir + "/energy_uj", offset, kind});
  };
  for (int n = 0; n < o.sockets; ++n) {
    const uint64_t offset =
        o.wrap_after_j >= 0
            ? o.range_uj - static_cast<uint64_t>(std::llround((o.wrap_after_j + n * 1e-3) * 1e6))
            : static_cast<uint64_t>(n) * (o.range_uj / (o.sockets + 1));
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

  int inotify_fd = -1;
  if (o.lockstep) {
    inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_fd < 0) fail("inotify_init1");
    for (FakeZone& z : zones) {
      if (z.kind == FakeZone::kCore) continue;  // carbontracker reads packages and dram only
      z.watch = inotify_add_watch(inotify_fd, z.dir.c_str(), IN_CLOSE_NOWRITE);
      if (z.watch < 0) fail("inotify_add_watch " + z.dir);
    }
  }
  // Counts the energy_uj reads that finished since the last call. A read seen
  // now may have returned the value published one step earlier: the half
  // range of slack covers that.
  auto drain_reads = [&] {
    if (inotify_fd < 0) return;
    alignas(inotify_event) char buf[4096];
    for (;;) {
      ssize_t n = read(inotify_fd, buf, sizeof buf);
      if (n <= 0) break;
      for (char* p = buf; p < buf + n;) {
        auto* ev = reinterpret_cast<inotify_event*>(p);
        if (ev->len > 0 && std::strcmp(ev->name, "energy_uj") == 0)
          for (FakeZone& z : zones)
            if (z.watch == ev->wd) {
              ++z.reads;
              z.seen_uj = z.energy_uj;
            }
        p += sizeof(inotify_event) + ev->len;
      }
    }
  };

  auto zone_uj = [&](const FakeZone& z, double world_s) {
    const double pkg_uj = trace_energy_j(o.trace, world_s) * 1e6;
    return z.kind == FakeZone::kPackage ? pkg_uj
           : z.kind == FakeZone::kCore  ? 0.6 * pkg_uj
                                        : o.dram_watts * world_s * 1e6;
  };
  auto total_j = [&](double world_s) {
    return o.sockets * (trace_energy_j(o.trace, world_s) + o.dram_watts * world_s);
  };
  // --lockstep: whether every read zone stays within half a range of what its
  // reader last saw at world time world_s.
  auto within_reach = [&](double world_s) {
    for (const FakeZone& z : zones)
      if (z.watch >= 0 && z.reads > 0 &&
          zone_uj(z, world_s) - z.seen_uj > static_cast<double>(o.range_uj) / 2)
        return false;
    return true;
  };

  bool frozen = o.frozen;
  int freezes = 0, thaws = 0;
  uint64_t steps = 0;  // rewrites so far: each counts the reads finished before it
  double world_s = 0;
  auto publish = [&](double unix_s) {
    for (FakeZone& z : zones) {
      z.energy_uj = zone_uj(z, world_s);
      uint64_t value = (z.offset_uj + static_cast<uint64_t>(z.energy_uj)) % o.range_uj;
      char buf[32];
      int len = std::snprintf(buf, sizeof buf, "%llu\n", static_cast<unsigned long long>(value));
      write_atomic(z.energy_path, buf, static_cast<size_t>(len));
    }
    std::fprintf(truth, "%.6f %.6f\n", unix_s, total_j(world_s));
    std::fflush(truth);
    if (!o.status.empty()) {
      uint64_t reads = UINT64_MAX;
      for (const FakeZone& z : zones)
        if (z.watch >= 0 && z.reads < reads) reads = z.reads;
      if (reads == UINT64_MAX) reads = 0;
      char buf[256];
      int len = std::snprintf(
          buf, sizeof buf,
          "world_s %.6f\nenergy_j %.6f\nfrozen %d\nfreezes %d\nthaws %d\nreads %llu\nsteps %llu\n",
          world_s, total_j(world_s), frozen ? 1 : 0, freezes, thaws,
          static_cast<unsigned long long>(reads), static_cast<unsigned long long>(steps));
      write_atomic(o.status, buf, static_cast<size_t>(len));
    }
  };

  double start_s = 0, start_unix_s = 0;
  paired_now(&start_s, &start_unix_s);
  const double step_s = o.step_ms / 1000.0;
  publish(start_unix_s);
  if (!o.ready.empty()) write_atomic(o.ready, std::to_string(getpid()) + "\n");

  struct sigaction control {};
  control.sa_handler = on_freeze;
  sigemptyset(&control.sa_mask);
  sigaction(SIGUSR1, &control, nullptr);
  control.sa_handler = on_thaw;
  sigaction(SIGUSR2, &control, nullptr);

  double next_s = start_s, last_steady_s = start_s;
  while (!g_stop) {
    next_s += step_s;
    timespec ts;
    ts.tv_sec = static_cast<time_t>(next_s);
    ts.tv_nsec = static_cast<long>((next_s - std::floor(next_s)) * 1e9);
    if (ts.tv_nsec >= 1000000000L) ts.tv_nsec = 999999999L;
    while (!g_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
    if (g_stop) break;
    // Unix times of the truth come from the steady clock, paired with the
    // real-time clock once at the start: a second pairing per step could be
    // preempted in between (tens of microseconds on a loaded machine) and
    // put the truth off its own energy.
    const double steady_s = now_s(CLOCK_MONOTONIC);
    double unix_s = start_unix_s + (steady_s - start_s);
    drain_reads();
    ++steps;
    // Tests wait for each acknowledgement (the counts in --status) before
    // the next request, so the counts alone say which came last.
    freezes = g_freeze_requests;
    thaws = g_thaw_requests;
    frozen = o.frozen ? freezes >= thaws : freezes > thaws;
    const double elapsed_s = steady_s - last_steady_s;
    last_steady_s = steady_s;
    double advance_s = frozen       ? 0
                       : o.lockstep ? std::min(elapsed_s, kLockstepMaxAdvanceS)
                                    : elapsed_s;
    if (o.lockstep && !within_reach(world_s + advance_s)) advance_s = 0;
    world_s += advance_s;
    // The truth pairs the energy with the unix time at which the world stood
    // there: the last step stops exactly at --duration.
    const bool last = o.duration_s >= 0 && world_s >= o.duration_s;
    if (last) {
      unix_s -= world_s - o.duration_s;
      world_s = o.duration_s;
    }
    publish(unix_s);
    if (last) break;
    // Fell behind (a loaded machine): skip the missed steps, do not burst.
    if (steady_s > next_s + step_s) next_s = steady_s;
  }
  std::fclose(truth);
  return 0;
}
