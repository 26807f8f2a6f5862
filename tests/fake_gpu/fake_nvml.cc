// A fake NVML for the tests: exports the NVML functions the sensor uses and
// answers them from a script (see fake_script.h) named by FAKE_NVML_SCRIPT,
// read at nvmlInit. Build variants leave symbols out:
//   FAKE_NVML_OLD      only the unversioned pre-Volta API: no _v2/_v3 names,
//                      no energy counter, no UUID lookup or MIG
//   FAKE_NVML_NO_NAME  lacks nvmlDeviceGetName, a required symbol
// Extra exports for tests: fake_nvml_set_time_s, fake_nvml_live_inits,
// fake_nvml_calls.
#include <cstdio>
#include <cstring>
#include <deque>
#include <set>
#include <string>

#include "fake_script.h"

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace {

constexpr int kSuccess = 0, kUninitialized = 1, kInvalidArgument = 2, kNotSupported = 3,
              kNotFound = 6, kInsufficientSize = 7, kGpuIsLost = 15;

struct Handle {
  int device;
  int mig;  // -1 for the board itself
};

struct State {
  fake_gpu::Script script;
  fake_gpu::Clock clock;
  std::deque<Handle> handles;  // stable addresses
  int live_inits = 0;
  std::set<std::string> calls;
  std::string calls_text;
};

State& state() {
  static State s;
  return s;
}

void record(const char* name) { state().calls.insert(name); }

// With `read_log` in the script: one "<what> <device> <time> <value>" line
// per successful energy ("energy", mJ) or power ("power", mW) read, and one
// "pids <device> <time> <pid>..." line per process-list call.
void log_read(const char* what, void* handle, double t, unsigned long long value) {
  const std::string& log = state().script.read_log;
  if (log.empty()) return;
  if (FILE* f = std::fopen(log.c_str(), "a")) {
    std::fprintf(f, "%s %d %.9f %llu\n", what, static_cast<Handle*>(handle)->device, t, value);
    std::fclose(f);
  }
}

int init(const char* name) {
  record(name);
  State& s = state();
  s.script = fake_gpu::load_script(std::getenv("FAKE_NVML_SCRIPT"));
  if (s.script.init_error) return s.script.init_error;
  if (s.live_inits++ == 0) {
    s.clock.reset(s.script.manual_clock);
    s.handles.clear();
    for (int d = 0; d < static_cast<int>(s.script.devices.size()); ++d) {
      s.handles.push_back({d, -1});
      for (int m = 0; m < static_cast<int>(s.script.devices[d].migs.size()); ++m)
        s.handles.push_back({d, m});
    }
  }
  return kSuccess;
}

Handle* board_handle(int device) {
  for (Handle& h : state().handles)
    if (h.device == device && h.mig == -1) return &h;
  return nullptr;
}

// The device behind a handle, or an error code in *rc.
const fake_gpu::Device* lookup(void* handle, int* rc) {
  State& s = state();
  if (s.live_inits == 0) {
    *rc = kUninitialized;
    return nullptr;
  }
  if (!handle) {
    *rc = kInvalidArgument;
    return nullptr;
  }
  const fake_gpu::Device& d = s.script.devices[static_cast<Handle*>(handle)->device];
  if (d.is_lost(s.clock.now())) {
    *rc = d.lost_error >= 0 ? d.lost_error : kGpuIsLost;
    return nullptr;
  }
  *rc = kSuccess;
  return &d;
}

int count(unsigned* n) {
  State& s = state();
  if (s.live_inits == 0) return kUninitialized;
  if (s.script.count_error) return s.script.count_error;
  *n = static_cast<unsigned>(s.script.devices.size());
  return kSuccess;
}

int handle_by_index(unsigned index, void** out) {
  State& s = state();
  if (s.live_inits == 0) return kUninitialized;
  if (index >= s.script.devices.size()) return kInvalidArgument;
  *out = board_handle(static_cast<int>(index));
  return kSuccess;
}

int copy_string(const std::string& text, char* buf, unsigned len) {
  if (len < text.size() + 1) return kInsufficientSize;
  std::memcpy(buf, text.c_str(), text.size() + 1);
  return kSuccess;
}

template <typename Info>
int processes(void* handle, unsigned* n, Info* infos, bool compute) {
  int rc;
  const fake_gpu::Device* d = lookup(handle, &rc);
  if (!d) return rc;
  // Process lists change while a run goes on: re-read them.
  fake_gpu::Script now = fake_gpu::load_script(std::getenv("FAKE_NVML_SCRIPT"));
  int device = static_cast<Handle*>(handle)->device;
  std::vector<unsigned> pids;
  if (device < static_cast<int>(now.devices.size()))
    pids = compute ? now.devices[device].compute_pids : now.devices[device].graphics_pids;
  if (*n < pids.size()) {
    *n = static_cast<unsigned>(pids.size());
    return kInsufficientSize;
  }
  for (size_t i = 0; i < pids.size(); ++i) {
    std::memset(&infos[i], 0, sizeof(Info));
    infos[i].pid = pids[i];
  }
  *n = static_cast<unsigned>(pids.size());
  if (const std::string& log = state().script.read_log; !log.empty()) {
    if (FILE* f = std::fopen(log.c_str(), "a")) {
      std::fprintf(f, "pids %d %.9f", device, state().clock.now());
      for (unsigned p : pids) std::fprintf(f, " %u", p);
      std::fprintf(f, "\n");
      std::fclose(f);
    }
  }
  return kSuccess;
}

struct ProcessInfoV1 {
  unsigned int pid;
  unsigned long long used_gpu_memory;
};
struct ProcessInfoV2 {
  unsigned int pid;
  unsigned long long used_gpu_memory;
  unsigned int gpu_instance_id;
  unsigned int compute_instance_id;
};

}  // namespace

EXPORT void fake_nvml_set_time_s(double t) { state().clock.manual_s = t; }
EXPORT int fake_nvml_live_inits() { return state().live_inits; }
// Every NVML entry point called since load, comma-separated, sorted.
EXPORT const char* fake_nvml_calls() {
  State& s = state();
  s.calls_text.clear();
  for (const std::string& c : s.calls) s.calls_text += c + ",";
  return s.calls_text.c_str();
}

EXPORT int nvmlInit() { return init("nvmlInit"); }
EXPORT int nvmlShutdown() {
  record("nvmlShutdown");
  State& s = state();
  if (s.live_inits == 0) return kUninitialized;
  --s.live_inits;
  return kSuccess;
}
EXPORT const char* nvmlErrorString(int rc) {
  switch (rc) {
    case kSuccess:
      return "Success";
    case kUninitialized:
      return "Uninitialized";
    case kNotSupported:
      return "Not Supported";
    case 9:
      return "Driver Not Loaded";
    case kGpuIsLost:
      return "GPU is lost";
    case 999:
      return "Unknown Error";
    default:
      return "Fake Error";
  }
}
EXPORT int nvmlDeviceGetCount(unsigned* n) {
  record("nvmlDeviceGetCount");
  return count(n);
}
EXPORT int nvmlDeviceGetHandleByIndex(unsigned index, void** out) {
  record("nvmlDeviceGetHandleByIndex");
  return handle_by_index(index, out);
}
#ifndef FAKE_NVML_NO_NAME
EXPORT int nvmlDeviceGetName(void* handle, char* buf, unsigned len) {
  int rc;
  const fake_gpu::Device* d = lookup(handle, &rc);
  return d ? copy_string(d->name, buf, len) : rc;
}
#endif
EXPORT int nvmlDeviceGetUUID(void* handle, char* buf, unsigned len) {
  int rc;
  const fake_gpu::Device* d = lookup(handle, &rc);
  if (!d) return rc;
  Handle* h = static_cast<Handle*>(handle);
  return copy_string(h->mig >= 0 ? d->migs[h->mig] : d->uuid, buf, len);
}
EXPORT int nvmlDeviceGetPowerUsage(void* handle, unsigned* power_mw) {
  int rc;
  const fake_gpu::Device* d = lookup(handle, &rc);
  if (!d) return rc;
  if (!d->power) return kNotSupported;
  double t = state().clock.now();
  *power_mw = static_cast<unsigned>(std::lround(d->power_w(t) * 1000.0));
  log_read("power", handle, t, *power_mw);
  return kSuccess;
}
EXPORT int nvmlDeviceGetComputeRunningProcesses(void* handle, unsigned* n, ProcessInfoV1* infos) {
  record("nvmlDeviceGetComputeRunningProcesses");
  return processes(handle, n, infos, true);
}
EXPORT int nvmlDeviceGetGraphicsRunningProcesses(void* handle, unsigned* n, ProcessInfoV1* infos) {
  record("nvmlDeviceGetGraphicsRunningProcesses");
  return processes(handle, n, infos, false);
}

#ifndef FAKE_NVML_OLD
EXPORT int nvmlInit_v2() { return init("nvmlInit_v2"); }
EXPORT int nvmlDeviceGetCount_v2(unsigned* n) {
  record("nvmlDeviceGetCount_v2");
  return count(n);
}
EXPORT int nvmlDeviceGetHandleByIndex_v2(unsigned index, void** out) {
  record("nvmlDeviceGetHandleByIndex_v2");
  return handle_by_index(index, out);
}
EXPORT int nvmlDeviceGetHandleByUUID(const char* uuid, void** out) {
  State& s = state();
  if (s.live_inits == 0) return kUninitialized;
  for (Handle& h : s.handles) {
    if (h.mig >= 0 && !s.script.mig_by_uuid) continue;
    const fake_gpu::Device& d = s.script.devices[h.device];
    if ((h.mig < 0 ? d.uuid : d.migs[h.mig]) == uuid) {
      *out = &h;
      return kSuccess;
    }
  }
  return kNotFound;
}
EXPORT int nvmlDeviceGetDeviceHandleFromMigDeviceHandle(void* mig, void** parent) {
  int rc;
  if (!lookup(mig, &rc)) return rc;
  Handle* h = static_cast<Handle*>(mig);
  if (h->mig < 0) return kInvalidArgument;
  *parent = board_handle(h->device);
  return kSuccess;
}
EXPORT int nvmlDeviceGetMaxMigDeviceCount(void* handle, unsigned* n) {
  int rc;
  const fake_gpu::Device* d = lookup(handle, &rc);
  if (!d) return rc;
  *n = static_cast<unsigned>(d->migs.size());
  return kSuccess;
}
EXPORT int nvmlDeviceGetMigDeviceHandleByIndex(void* handle, unsigned index, void** out) {
  int rc;
  const fake_gpu::Device* d = lookup(handle, &rc);
  if (!d) return rc;
  if (index >= d->migs.size()) return kNotFound;
  for (Handle& h : state().handles) {
    if (h.device == static_cast<Handle*>(handle)->device && h.mig == static_cast<int>(index)) {
      *out = &h;
      return kSuccess;
    }
  }
  return kNotFound;
}
EXPORT int nvmlDeviceGetTotalEnergyConsumption(void* handle, unsigned long long* energy_mj) {
  int rc;
  const fake_gpu::Device* d = lookup(handle, &rc);
  if (!d) return rc;
  if (!d->energy) return kNotSupported;
  double t = state().clock.now();
  *energy_mj =
      d->energy_start + static_cast<unsigned long long>(std::floor(d->energy_j(t) * 1000.0));
  ++d->energy_reads;
  log_read("energy", handle, t, *energy_mj);
  return kSuccess;
}
EXPORT int nvmlDeviceGetComputeRunningProcesses_v2(void* handle, unsigned* n,
                                                   ProcessInfoV2* infos) {
  record("nvmlDeviceGetComputeRunningProcesses_v2");
  return processes(handle, n, infos, true);
}
EXPORT int nvmlDeviceGetComputeRunningProcesses_v3(void* handle, unsigned* n,
                                                   ProcessInfoV2* infos) {
  record("nvmlDeviceGetComputeRunningProcesses_v3");
  return processes(handle, n, infos, true);
}
EXPORT int nvmlDeviceGetGraphicsRunningProcesses_v2(void* handle, unsigned* n,
                                                    ProcessInfoV2* infos) {
  record("nvmlDeviceGetGraphicsRunningProcesses_v2");
  return processes(handle, n, infos, false);
}
EXPORT int nvmlDeviceGetGraphicsRunningProcesses_v3(void* handle, unsigned* n,
                                                    ProcessInfoV2* infos) {
  record("nvmlDeviceGetGraphicsRunningProcesses_v3");
  return processes(handle, n, infos, false);
}
#endif
