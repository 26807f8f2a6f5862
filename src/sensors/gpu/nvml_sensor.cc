// Implementation details: the few NVML types and functions used are declared
// here from the documented C API (nvml.h is not needed). Every symbol is
// listed once, in bind_nvml(), newest version first. Capabilities are probed
// once per GPU; read() then makes exactly one NVML call per GPU.
#include "sensors/gpu/nvml_sensor.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <set>

#include "sensors/gpu/driver_signs.h"
#include "sensors/gpu/dynamic_library.h"
#include "sensors/gpu/process_tree.h"
#include "sensors/gpu/visible_devices.h"

namespace carbontracker {
namespace {

// --- The NVML C API, as far as it is used ---------------------------------
using NvmlReturn = int;  // nvmlReturn_t
struct NvmlDeviceSt;
using NvmlDevice = NvmlDeviceSt*;  // nvmlDevice_t

constexpr NvmlReturn kNvmlSuccess = 0;
constexpr NvmlReturn kNvmlUninitialized = 1;
constexpr NvmlReturn kNvmlNotSupported = 3;
constexpr NvmlReturn kNvmlInsufficientSize = 7;
constexpr NvmlReturn kNvmlDriverNotLoaded = 9;
constexpr NvmlReturn kNvmlGpuIsLost = 15;
constexpr NvmlReturn kNvmlResetRequired = 16;
constexpr NvmlReturn kNvmlLibRmVersionMismatch = 18;
constexpr NvmlReturn kNvmlGpuNotFound = 28;
constexpr NvmlReturn kNvmlUnknown = 999;

constexpr unsigned kNvmlStringBufferSize = 96;  // NVML_DEVICE_{NAME,UUID}_V2_BUFFER_SIZE

// nvmlProcessInfo_v1_t (plain process-list calls) and nvmlProcessInfo_v2_t
// (the _v2 and _v3 calls; _v3 changed semantics, not the layout).
struct NvmlProcessInfoV1 {
  unsigned int pid;
  unsigned long long used_gpu_memory;
};
struct NvmlProcessInfoV2 {
  unsigned int pid;
  unsigned long long used_gpu_memory;
  unsigned int gpu_instance_id;
  unsigned int compute_instance_id;
};

struct NvmlApi {
  NvmlReturn (*init)() = nullptr;
  NvmlReturn (*shutdown)() = nullptr;
  const char* (*error_string)(NvmlReturn) = nullptr;
  NvmlReturn (*device_count)(unsigned*) = nullptr;
  NvmlReturn (*handle_by_index)(unsigned, NvmlDevice*) = nullptr;
  NvmlReturn (*handle_by_uuid)(const char*, NvmlDevice*) = nullptr;
  NvmlReturn (*parent_of_mig)(NvmlDevice, NvmlDevice*) = nullptr;
  NvmlReturn (*max_mig_count)(NvmlDevice, unsigned*) = nullptr;
  NvmlReturn (*mig_by_index)(NvmlDevice, unsigned, NvmlDevice*) = nullptr;
  NvmlReturn (*name)(NvmlDevice, char*, unsigned) = nullptr;
  NvmlReturn (*uuid)(NvmlDevice, char*, unsigned) = nullptr;
  NvmlReturn (*total_energy_mj)(NvmlDevice, unsigned long long*) = nullptr;
  NvmlReturn (*power_mw)(NvmlDevice, unsigned*) = nullptr;
  NvmlReturn (*compute_procs)(NvmlDevice, unsigned*, void*) = nullptr;
  NvmlReturn (*graphics_procs)(NvmlDevice, unsigned*, void*) = nullptr;
  int compute_procs_version = -1;  // index into its names: 0 _v3, 1 _v2, 2 plain
  int graphics_procs_version = -1;
};

// The symbol table; returns the first missing required symbol, or "".
std::string bind_nvml(const DynamicLibrary& lib, NvmlApi& api) {
  return bind_symbols(
      lib,
      {
          {{"nvmlInit_v2", "nvmlInit"}, true, slot_of(api.init)},
          {{"nvmlShutdown"}, true, slot_of(api.shutdown)},
          {{"nvmlErrorString"}, false, slot_of(api.error_string)},
          {{"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"}, true, slot_of(api.device_count)},
          {{"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"},
           true,
           slot_of(api.handle_by_index)},
          {{"nvmlDeviceGetHandleByUUID"}, false, slot_of(api.handle_by_uuid)},
          {{"nvmlDeviceGetDeviceHandleFromMigDeviceHandle"}, false, slot_of(api.parent_of_mig)},
          {{"nvmlDeviceGetMaxMigDeviceCount"}, false, slot_of(api.max_mig_count)},
          {{"nvmlDeviceGetMigDeviceHandleByIndex"}, false, slot_of(api.mig_by_index)},
          {{"nvmlDeviceGetName"}, true, slot_of(api.name)},
          {{"nvmlDeviceGetUUID"}, false, slot_of(api.uuid)},
          {{"nvmlDeviceGetTotalEnergyConsumption"}, false, slot_of(api.total_energy_mj)},
          {{"nvmlDeviceGetPowerUsage"}, false, slot_of(api.power_mw)},
          {{"nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2",
            "nvmlDeviceGetComputeRunningProcesses"},
           false,
           slot_of(api.compute_procs),
           &api.compute_procs_version},
          {{"nvmlDeviceGetGraphicsRunningProcesses_v3", "nvmlDeviceGetGraphicsRunningProcesses_v2",
            "nvmlDeviceGetGraphicsRunningProcesses"},
           false,
           slot_of(api.graphics_procs),
           &api.graphics_procs_version},
      });
}

// A loaded and initialised NVML; shut down and unloaded on destruction.
class Nvml {
 public:
  Nvml(std::unique_ptr<DynamicLibrary> lib, NvmlApi api) : lib_(std::move(lib)), api(api) {}
  ~Nvml() {
    if (initialized) api.shutdown();
  }
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  std::string describe(NvmlReturn r) const {
    const char* text = api.error_string ? api.error_string(r) : nullptr;
    return std::string(text ? text : "error") + " (NVML error " + std::to_string(r) + ")";
  }
  const std::string& library_name() const { return lib_->name(); }

 private:
  std::unique_ptr<DynamicLibrary> lib_;  // destroyed last: dlclose after nvmlShutdown

 public:
  NvmlApi api;
  bool initialized = false;
};

// Errors after which a device will not answer again.
bool is_lost(NvmlReturn r) {
  return r == kNvmlGpuIsLost || r == kNvmlDriverNotLoaded || r == kNvmlUnknown ||
         r == kNvmlUninitialized || r == kNvmlResetRequired || r == kNvmlLibRmVersionMismatch ||
         r == kNvmlGpuNotFound;
}

struct Gpu {
  NvmlDevice handle = nullptr;
  unsigned index = 0;  // NVML index
  std::string label;   // "GPU 0 (NVIDIA A100-SXM4-40GB)"
  bool energy = true;  // energy counter, else power
  bool lost = false;
  std::string lost_message;
  bool seen_in_process_list = false;
};

// Appends the pids on `device` to *pids; false if the call failed.
template <typename Info>
bool append_pids(NvmlReturn (*fn)(NvmlDevice, unsigned*, void*), NvmlDevice device,
                 std::set<int>* pids) {
  std::vector<Info> infos(16);
  for (int attempt = 0; attempt < 6; ++attempt) {
    unsigned count = static_cast<unsigned>(infos.size());
    NvmlReturn r = fn(device, &count, infos.data());
    if (r == kNvmlSuccess) {
      for (unsigned i = 0; i < count && i < infos.size(); ++i)
        pids->insert(static_cast<int>(infos[i].pid));
      return true;
    }
    if (r != kNvmlInsufficientSize) return false;
    // More processes than room: NVML has put the count needed in `count`;
    // leave slack for processes starting meanwhile.
    infos.resize(std::max<size_t>(count, infos.size()) + 16);
  }
  return false;
}

bool append_pids(NvmlReturn (*fn)(NvmlDevice, unsigned*, void*), int version, NvmlDevice device,
                 std::set<int>* pids) {
  if (!fn) return false;
  return version == 2 ? append_pids<NvmlProcessInfoV1>(fn, device, pids)
                      : append_pids<NvmlProcessInfoV2>(fn, device, pids);
}

class NvmlSensor : public Sensor {
 public:
  NvmlSensor(std::unique_ptr<Nvml> nvml, std::vector<Gpu> gpus, std::vector<SensorDevice> devices,
             bool by_pid, std::string proc_root, int tracked_pid)
      : nvml_(std::move(nvml)),
        gpus_(std::move(gpus)),
        devices_(std::move(devices)),
        by_pid_(by_pid),
        proc_root_(std::move(proc_root)),
        tracked_pid_(tracked_pid) {}

  const std::vector<SensorDevice>& devices() const override { return devices_; }

  void read(std::vector<Reading>& out) override {
    std::lock_guard<std::mutex> lock(mutex_);
    out.resize(gpus_.size());
    for (size_t i = 0; i < gpus_.size(); ++i) {
      Gpu& gpu = gpus_[i];
      Reading& reading = out[i];
      reading = Reading{};
      if (gpu.lost) {
        reading.status = ReadStatus::kLost;
        reading.message = gpu.lost_message;
        continue;
      }
      NvmlReturn r;
      const char* call;
      if (gpu.energy) {
        unsigned long long energy_mj = 0;
        r = nvml_->api.total_energy_mj(gpu.handle, &energy_mj);
        reading.counter = energy_mj;
        call = "nvmlDeviceGetTotalEnergyConsumption";
      } else {
        unsigned power_mw = 0;
        r = nvml_->api.power_mw(gpu.handle, &power_mw);
        reading.power_w = power_mw / 1000.0;
        call = "nvmlDeviceGetPowerUsage";
      }
      if (r == kNvmlSuccess) continue;
      reading.message = gpu.label + ": " + call + " failed: " + nvml_->describe(r);
      if (is_lost(r)) {
        reading.status = ReadStatus::kLost;
        gpu.lost = true;
        gpu.lost_message = reading.message;
      } else {
        reading.status = ReadStatus::kRetry;
      }
    }
  }

  // With devices_by_pid, a GPU is selected from the first time one of the
  // tracked processes appears in its compute or graphics process list, and
  // stays selected: its energy is the job's from then on even between kernels.
  std::vector<bool> selected() override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<bool> keep(gpus_.size(), true);
    if (!by_pid_) return keep;
    std::set<int> ours = process_tree_pids(proc_root_, tracked_pid_);
    for (size_t i = 0; i < gpus_.size(); ++i) {
      Gpu& gpu = gpus_[i];
      if (!gpu.seen_in_process_list && !gpu.lost) gpu.seen_in_process_list = uses_gpu(gpu, ours);
      keep[i] = gpu.seen_in_process_list;
    }
    return keep;
  }

  // Whether any process at all shows in any GPU's process lists.
  bool any_process_visible() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::any_of(gpus_.begin(), gpus_.end(),
                       [&](const Gpu& gpu) { return !pids_on(gpu).empty(); });
  }

 private:
  std::set<int> pids_on(const Gpu& gpu) const {
    std::set<int> on_gpu;
    append_pids(nvml_->api.compute_procs, nvml_->api.compute_procs_version, gpu.handle, &on_gpu);
    append_pids(nvml_->api.graphics_procs, nvml_->api.graphics_procs_version, gpu.handle, &on_gpu);
    return on_gpu;
  }

  bool uses_gpu(const Gpu& gpu, const std::set<int>& ours) const {
    std::set<int> on_gpu = pids_on(gpu);
    return std::any_of(on_gpu.begin(), on_gpu.end(), [&](int pid) { return ours.count(pid); });
  }

  std::mutex mutex_;
  std::unique_ptr<Nvml> nvml_;
  std::vector<Gpu> gpus_;
  std::vector<SensorDevice> devices_;
  bool by_pid_;
  std::string proc_root_;
  int tracked_pid_;
};

std::string nvml_string(NvmlReturn (*fn)(NvmlDevice, char*, unsigned), NvmlDevice device) {
  if (!fn) return "";
  char buffer[kNvmlStringBufferSize] = {};
  if (fn(device, buffer, sizeof buffer) != kNvmlSuccess) return "";
  return std::string(buffer, strnlen(buffer, sizeof buffer));
}

struct PhysicalGpu {
  NvmlDevice handle = nullptr;  // null when it could not be opened
  std::string name;
  std::string uuid;
  std::string error;
};

}  // namespace

ProbeResult probe_nvml(const ProbeContext& ctx) {
  ProbeResult result;
  const Environment& env = *ctx.env;
  std::vector<std::string> candidates;
  if (!env.nvml_library.empty()) {
    candidates = {env.nvml_library};
  } else {
    DriverSigns signs = find_nvidia_driver(env);
    if (signs.found.empty()) {
      result.unavailable_reason = "no NVIDIA driver (" + describe_missing(signs) + ")";
      return result;
    }
    candidates = {"libnvidia-ml.so.1", "libnvidia-ml.so"};
  }

  std::string why;
  std::unique_ptr<DynamicLibrary> lib = DynamicLibrary::open_first(candidates, &why);
  if (!lib) {
    result.unavailable_reason =
        env.nvml_library.empty()
            ? "no NVIDIA driver library found (" + why + ")"
            : "CARBONTRACKER_NVML_LIBRARY=" + env.nvml_library + " does not load" +
                  (why == "tried " + env.nvml_library ? std::string(": no such file")
                                                      : " (" + why + ")");
    return result;
  }
  NvmlApi api;
  if (std::string missing = bind_nvml(*lib, api); !missing.empty()) {
    result.unavailable_reason = lib->name() + " lacks the NVML function " + missing +
                                " (driver too old, or not NVML); it was unloaded";
    return result;  // lib is closed here
  }
  auto nvml = std::make_unique<Nvml>(std::move(lib), api);

  if (NvmlReturn r = nvml->api.init(); r != kNvmlSuccess) {
    result.unavailable_reason = "nvmlInit failed: " + nvml->describe(r);
    if (r == kNvmlDriverNotLoaded)
      result.unavailable_reason += "; the NVIDIA kernel driver is not loaded";
    return result;
  }
  nvml->initialized = true;

  unsigned count = 0;
  if (NvmlReturn r = nvml->api.device_count(&count); r != kNvmlSuccess) {
    result.unavailable_reason = "nvmlDeviceGetCount failed: " + nvml->describe(r);
    return result;
  }
  if (count == 0) {
    result.unavailable_reason = "NVML found no GPU";
    return result;
  }

  std::vector<PhysicalGpu> physical(count);
  std::vector<std::string> uuids(count);
  for (unsigned i = 0; i < count; ++i) {
    PhysicalGpu& gpu = physical[i];
    if (NvmlReturn r = nvml->api.handle_by_index(i, &gpu.handle); r != kNvmlSuccess) {
      gpu.handle = nullptr;
      gpu.error = "nvmlDeviceGetHandleByIndex failed: " + nvml->describe(r);
      continue;
    }
    gpu.name = nvml_string(nvml->api.name, gpu.handle);
    if (gpu.name.empty()) gpu.name = "NVIDIA GPU";
    gpu.uuid = nvml_string(nvml->api.uuid, gpu.handle);
    uuids[i] = gpu.uuid;
  }

  std::vector<VisibleGpu> chosen;
  const bool by_pid = ctx.devices_by_pid;
  if (by_pid) {
    for (unsigned i = 0; i < count; ++i) chosen.push_back({i, ""});
  } else {
    std::optional<std::string> visible;
    if (env.has_var("CUDA_VISIBLE_DEVICES")) visible = env.var("CUDA_VISIBLE_DEVICES");
    // A MIG instance's board: through its handle, else by enumerating each
    // board's MIG instances (drivers whose UUID lookup knows boards only).
    MigResolver resolve_mig = [&](std::string_view mig_uuid) -> std::optional<unsigned> {
      const NvmlApi& a = nvml->api;
      const std::string wanted(mig_uuid);
      NvmlDevice mig = nullptr, parent = nullptr;
      if (a.handle_by_uuid && a.parent_of_mig &&
          a.handle_by_uuid(wanted.c_str(), &mig) == kNvmlSuccess &&
          a.parent_of_mig(mig, &parent) == kNvmlSuccess) {
        std::string parent_uuid = nvml_string(a.uuid, parent);
        for (unsigned i = 0; i < count; ++i) {
          if (physical[i].handle == parent || (!parent_uuid.empty() && uuids[i] == parent_uuid))
            return i;
        }
      }
      if (!a.max_mig_count || !a.mig_by_index) return std::nullopt;
      for (unsigned i = 0; i < count; ++i) {
        unsigned slots = 0;
        if (!physical[i].handle || a.max_mig_count(physical[i].handle, &slots) != kNvmlSuccess)
          continue;
        for (unsigned k = 0; k < slots; ++k) {
          NvmlDevice instance = nullptr;
          if (a.mig_by_index(physical[i].handle, k, &instance) == kNvmlSuccess &&
              nvml_string(a.uuid, instance) == wanted)
            return i;
        }
      }
      return std::nullopt;
    };
    VisibleSelection sel = select_visible_gpus(visible, uuids, resolve_mig);
    if (!sel.warning.empty()) result.warnings.push_back(sel.warning);
    chosen = sel.gpus;
    if (chosen.empty()) {
      result.unavailable_reason = "no GPU visible (CUDA_VISIBLE_DEVICES=\"" + *visible + "\")";
      return result;
    }
    // CUDA numbers GPUs fastest first unless CUDA_DEVICE_ORDER=PCI_BUS_ID;
    // NVML numbers them by PCI bus. The two agree when all GPUs are alike.
    bool by_index =
        visible && !visible->empty() && std::isdigit(static_cast<unsigned char>((*visible)[0]));
    bool mixed = std::any_of(physical.begin(), physical.end(),
                             [&](const PhysicalGpu& g) { return g.name != physical[0].name; });
    if (by_index && mixed && env.var("CUDA_DEVICE_ORDER") != "PCI_BUS_ID") {
      result.warnings.push_back(
          "CUDA_VISIBLE_DEVICES holds indices and this machine has GPUs of different models: CUDA "
          "numbers them fastest first, NVML by PCI bus, so an index may name another GPU. Set "
          "CUDA_DEVICE_ORDER=PCI_BUS_ID or use GPU UUIDs");
    }
  }

  std::vector<Gpu> gpus;
  std::vector<SensorDevice> devices;
  for (const VisibleGpu& v : chosen) {
    const PhysicalGpu& phys = physical[v.index];
    std::string label = "GPU " + std::to_string(v.index) + " (" + phys.name + ")";
    if (!phys.handle) {
      result.warnings.push_back("GPU " + std::to_string(v.index) + ": " + phys.error +
                                "; it is not measured");
      continue;
    }
    Gpu gpu;
    gpu.handle = phys.handle;
    gpu.index = v.index;
    gpu.label = label;
    SensorDevice dev;
    dev.info.name = phys.name;
    dev.info.component = ComponentKind::kGpu;
    dev.info.provenance = Provenance::kMeasured;
    dev.max_power_w = 1500.0;

    std::string energy_error = "not in this NVML";
    if (nvml->api.total_energy_mj) {
      unsigned long long energy_mj = 0;
      NvmlReturn r = nvml->api.total_energy_mj(phys.handle, &energy_mj);
      energy_error = r == kNvmlSuccess ? "" : nvml->describe(r);
    }
    std::string power_error = "not in this NVML";
    if (energy_error.empty()) {
      dev.kind = ReadingKind::kEnergyCounter;
      dev.counter_unit_j = 1e-3;
      dev.counter_range = 0;
      dev.info.source = "NVML total energy counter (nvmlDeviceGetTotalEnergyConsumption)";
    } else {
      if (nvml->api.power_mw) {
        unsigned power_mw = 0;
        NvmlReturn r = nvml->api.power_mw(phys.handle, &power_mw);
        power_error = r == kNvmlSuccess ? "" : nvml->describe(r);
      }
      if (!power_error.empty()) {
        result.warnings.push_back(label +
                                  ": neither energy nor power can be read "
                                  "(nvmlDeviceGetTotalEnergyConsumption: " +
                                  energy_error + "; nvmlDeviceGetPowerUsage: " + power_error +
                                  "); it is not measured");
        continue;
      }
      gpu.energy = false;
      dev.kind = ReadingKind::kPower;
      dev.max_interval_s = 0.1;
      dev.info.source = "NVML power (nvmlDeviceGetPowerUsage), sampled at 10 Hz";
      result.notes.push_back(
          label + " has no energy counter (nvmlDeviceGetTotalEnergyConsumption: " + energy_error +
          "); its power is sampled at 10 Hz and integrated");
    }
    if (!v.mig_uuid.empty()) dev.info.note = "whole board (MIG instance " + v.mig_uuid + ")";
    gpus.push_back(std::move(gpu));
    devices.push_back(std::move(dev));
  }
  if (gpus.empty()) {
    result.unavailable_reason = "no selected GPU can be read (see the warnings)";
    return result;
  }

  if (by_pid) {
    // Selections are re-checked at sampling ticks: make them come every 2 s
    // at least, so a GPU the job starts using is measured from then on.
    for (SensorDevice& dev : devices)
      if (dev.max_interval_s == 0 || dev.max_interval_s > 2.0) dev.max_interval_s = 2.0;
  }
  int tracked_pid = ctx.tracked_pid != 0 ? ctx.tracked_pid : static_cast<int>(getpid());
  auto sensor = std::make_unique<NvmlSensor>(std::move(nvml), std::move(gpus), std::move(devices),
                                             by_pid, env.proc_root, tracked_pid);
  if (by_pid) {
    std::vector<bool> now = sensor->selected();
    if (std::none_of(now.begin(), now.end(), [](bool b) { return b; })) {
      if (sensor->any_process_visible()) {
        result.notes.push_back(
            "devices_by_pid: no GPU runs the tracked process or its children yet; the GPUs' "
            "process lists are checked again every few seconds");
      } else {
        result.notes.push_back(
            "devices_by_pid: no process is visible on any GPU; they are checked again every few "
            "seconds. A container without the host PID namespace (docker run --pid=host) sees no "
            "GPU processes at all: there, select GPUs with CUDA_VISIBLE_DEVICES instead");
      }
    }
  }
  result.sensor = std::move(sensor);
  return result;
}

}  // namespace carbontracker
