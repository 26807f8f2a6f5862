// The script format shared by the fake NVML and ROCm SMI libraries: a text
// file named by FAKE_NVML_SCRIPT or FAKE_ROCM_SMI_SCRIPT, one "key value"
// per line, '#' starts a comment. Global keys come first; each "device" line
// starts a new device whose keys follow it.
//
//   clock manual          time stands still until fake_*_set_time_s() moves it
//                         (default: CLOCK_MONOTONIC seconds since init)
//   init_error 9          the init call fails with this code
//   count_error 999       the device count call fails with this code
//   mig_by_uuid 0         (NVML) the UUID lookup knows boards only, not MIG instances
//   read_log /tmp/reads   (NVML) every successful energy counter read appends
//                         "energy <device> <fake time s> <counter mJ>", every
//                         power read "power <device> <time> <mW>", every
//                         process-list call "pids <device> <time> <pid>...",
//                         so a test can compute its truth from the reads the
//                         tracker made rather than from wall time
//   device
//   name NVIDIA A100-SXM4-40GB
//   uuid GPU-...          (NVML) / unique_id 0x1234 (ROCm)
//   mig MIG-a MIG-b       (NVML) MIG instance UUIDs of this board
//   energy 0              energy counter NOT_SUPPORTED (default 1)
//   power 0               power reading NOT_SUPPORTED (default 1)
//   trace 300:0.5,50:1.5  power W for S seconds, repeated for ever
//   energy_start 12345    counter value at time 0, in counter units
//   resolution 15.3       (ROCm) microjoules per counter unit
//   lost_after 1.5        from this time on every call on it fails ...
//   lost_after_reads 4    (NVML; or) after this many successful energy reads ...
//   lost_error 15         ... with this code (default: GPU_IS_LOST / UNKNOWN)
//   compute_pids 12 34    (NVML) processes in its lists; re-read at every call
//   graphics_pids 56
//
// The energy counter is energy_start + floor(exact integral of the trace);
// the power reading is the trace's value at that instant.
#pragma once

#include <time.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace fake_gpu {

struct Device {
  std::string name = "Fake GPU";
  std::string uuid;
  unsigned long long unique_id = 0;
  std::vector<std::string> migs;
  bool energy = true;
  bool power = true;
  std::vector<std::pair<double, double>> trace{{100.0, 1.0}};  // (watts, seconds)
  unsigned long long energy_start = 0;
  double resolution_uj = 15.3;
  double lost_after_s = -1;
  long lost_after_reads = -1;
  mutable long energy_reads = 0;  // successful energy counter reads so far
  int lost_error = -1;
  std::vector<unsigned> compute_pids;
  std::vector<unsigned> graphics_pids;

  double cycle_s() const {
    double s = 0;
    for (auto& seg : trace) s += seg.second;
    return s;
  }
  double power_w(double t) const {
    double cycle = cycle_s();
    if (cycle <= 0) return 0;
    double in = std::fmod(t, cycle);
    for (auto& [w, s] : trace) {
      if (in < s) return w;
      in -= s;
    }
    return trace.back().first;
  }
  // Exact integral of the trace over [0, t], joules.
  double energy_j(double t) const {
    double cycle = cycle_s();
    if (cycle <= 0 || t <= 0) return 0;
    double cycle_j = 0;
    for (auto& [w, s] : trace) cycle_j += w * s;
    double full = std::floor(t / cycle);
    double j = full * cycle_j;
    double in = t - full * cycle;
    for (auto& [w, s] : trace) {
      double d = std::min(in, s);
      j += w * d;
      in -= d;
      if (in <= 0) break;
    }
    return j;
  }
  bool is_lost(double t) const {
    return (lost_after_s >= 0 && t >= lost_after_s) ||
           (lost_after_reads >= 0 && energy_reads >= lost_after_reads);
  }
};

struct Script {
  bool manual_clock = false;
  int init_error = 0;
  int count_error = 0;
  bool mig_by_uuid = true;
  std::string read_log;
  std::vector<Device> devices;
};

inline std::vector<std::pair<double, double>> parse_trace(const std::string& text) {
  std::vector<std::pair<double, double>> out;
  std::stringstream ss(text);
  std::string seg;
  while (std::getline(ss, seg, ',')) {
    size_t colon = seg.find(':');
    if (colon == std::string::npos) continue;
    out.emplace_back(std::atof(seg.substr(0, colon).c_str()),
                     std::atof(seg.substr(colon + 1).c_str()));
  }
  return out;
}

inline Script load_script(const char* path) {
  Script script;
  if (!path) return script;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (size_t hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream ls(line);
    std::string key;
    if (!(ls >> key)) continue;
    std::string rest;
    std::getline(ls >> std::ws, rest);
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\r')) rest.pop_back();
    if (key == "device") {
      script.devices.emplace_back();
      continue;
    }
    if (key == "clock") script.manual_clock = rest == "manual";
    if (key == "init_error") script.init_error = std::atoi(rest.c_str());
    if (key == "count_error") script.count_error = std::atoi(rest.c_str());
    if (key == "mig_by_uuid") script.mig_by_uuid = rest != "0";
    if (key == "read_log") script.read_log = rest;
    if (script.devices.empty()) continue;
    Device& d = script.devices.back();
    std::istringstream values(rest);
    if (key == "name") d.name = rest;
    if (key == "uuid") d.uuid = rest;
    if (key == "unique_id") d.unique_id = std::strtoull(rest.c_str(), nullptr, 0);
    if (key == "mig")
      for (std::string m; values >> m;) d.migs.push_back(m);
    if (key == "energy") d.energy = rest != "0";
    if (key == "power") d.power = rest != "0";
    if (key == "trace") d.trace = parse_trace(rest);
    if (key == "energy_start") d.energy_start = std::strtoull(rest.c_str(), nullptr, 10);
    if (key == "resolution") d.resolution_uj = std::atof(rest.c_str());
    if (key == "lost_after") d.lost_after_s = std::atof(rest.c_str());
    if (key == "lost_after_reads") d.lost_after_reads = std::atol(rest.c_str());
    if (key == "lost_error") d.lost_error = std::atoi(rest.c_str());
    if (key == "compute_pids")
      for (unsigned p; values >> p;) d.compute_pids.push_back(p);
    if (key == "graphics_pids")
      for (unsigned p; values >> p;) d.graphics_pids.push_back(p);
  }
  return script;
}

inline double monotonic_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// The fake's clock: real seconds since init, or the manual time.
struct Clock {
  double start_s = 0;
  bool manual = false;
  double manual_s = 0;
  void reset(bool manual_clock) {
    start_s = monotonic_s();
    manual = manual_clock;
    manual_s = 0;
  }
  double now() const { return manual ? manual_s : monotonic_s() - start_s; }
};

}  // namespace fake_gpu
