// Implementation details: the NVML driver of the GPU sensor (gpu_sensor.h).
// The few NVML types and functions used are declared here from the
// documented C API (nvml.h is not needed). Every symbol is listed once, in
// bind_nvml(), newest version first.
#include "sensors/gpu/nvml_sensor.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "sensors/gpu/gpu_sensor.h"

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

// The symbol table, the required symbols first; returns the first missing
// required symbol, or "".
std::string bind_nvml(const DynamicLibrary& lib, NvmlApi& api) {
  return bind_symbols(
      lib,
      {
          {{"nvmlInit_v2", "nvmlInit"}, true, slot_of(api.init)},
          {{"nvmlShutdown"}, true, slot_of(api.shutdown)},
          {{"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"}, true, slot_of(api.device_count)},
          {{"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"},
           true,
           slot_of(api.handle_by_index)},
          {{"nvmlDeviceGetName"}, true, slot_of(api.name)},
          {{"nvmlErrorString"}, false, slot_of(api.error_string)},
          {{"nvmlDeviceGetUUID"}, false, slot_of(api.uuid)},
          {{"nvmlDeviceGetTotalEnergyConsumption"}, false, slot_of(api.total_energy_mj)},
          {{"nvmlDeviceGetPowerUsage"}, false, slot_of(api.power_mw)},
          // devices_by_pid
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
          // CUDA_VISIBLE_DEVICES naming a MIG instance
          {{"nvmlDeviceGetHandleByUUID"}, false, slot_of(api.handle_by_uuid)},
          {{"nvmlDeviceGetDeviceHandleFromMigDeviceHandle"}, false, slot_of(api.parent_of_mig)},
          {{"nvmlDeviceGetMaxMigDeviceCount"}, false, slot_of(api.max_mig_count)},
          {{"nvmlDeviceGetMigDeviceHandleByIndex"}, false, slot_of(api.mig_by_index)},
      });
}

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

std::string nvml_string(NvmlReturn (*fn)(NvmlDevice, char*, unsigned), NvmlDevice device) {
  if (!fn) return "";
  char buffer[kNvmlStringBufferSize] = {};
  if (fn(device, buffer, sizeof buffer) != kNvmlSuccess) return "";
  return std::string(buffer, strnlen(buffer, sizeof buffer));
}

// A loaded NVML. Its GPUs are named by their NVML index.
class NvmlDriver : public GpuDriver {
 public:
  using GpuDriver::GpuDriver;

  std::string bind() override { return bind_nvml(library(), api_); }

  std::string init() override {
    NvmlReturn r = api_.init();
    if (r == kNvmlDriverNotLoaded)
      return "nvmlInit failed: " + describe(r) + "; the NVIDIA kernel driver is not loaded";
    if (r != kNvmlSuccess) return "nvmlInit failed: " + describe(r);
    shut_down_at_close(api_.shutdown);
    return "";
  }

  GpuStatus count(unsigned* gpus) override {
    NvmlReturn r = api_.device_count(gpus);
    handles_.assign(r == kNvmlSuccess ? *gpus : 0, nullptr);
    return r;
  }

  GpuBoard board(unsigned index) override {
    GpuBoard board;
    if (NvmlReturn r = api_.handle_by_index(index, &handles_[index]); r != kNvmlSuccess) {
      handles_[index] = nullptr;
      board.error = "nvmlDeviceGetHandleByIndex failed: " + describe(r);
      return board;
    }
    board.name = nvml_string(api_.name, handles_[index]);
    if (board.name.empty()) board.name = "NVIDIA GPU";
    board.uuid = nvml_string(api_.uuid, handles_[index]);
    return board;
  }

  std::vector<VisibleGpu> choose(const ProbeContext& ctx, const std::vector<GpuBoard>& boards,
                                 ProbeResult* result) override;

  std::string energy_unit(unsigned index, double* unit_j) override {
    if (!api_.total_energy_mj) return "not in this NVML";
    uint64_t energy_mj = 0;
    *unit_j = 1e-3;
    GpuStatus r = read_energy(index, &energy_mj);
    return r == kNvmlSuccess ? "" : describe(r);
  }

  bool has_power() const override { return api_.power_mw != nullptr; }

  GpuStatus read_energy(unsigned index, uint64_t* counter) override {
    unsigned long long energy_mj = 0;
    NvmlReturn r = api_.total_energy_mj(handles_[index], &energy_mj);
    *counter = energy_mj;
    return r;
  }

  GpuStatus read_power(unsigned index, double* power_w) override {
    unsigned power_mw = 0;
    NvmlReturn r = api_.power_mw(handles_[index], &power_mw);
    *power_w = power_mw / 1000.0;
    return r;
  }

  std::string describe(GpuStatus status) const override {
    NvmlReturn r = static_cast<NvmlReturn>(status);
    const char* text = api_.error_string ? api_.error_string(r) : nullptr;
    return std::string(text ? text : "error") + " (NVML error " + std::to_string(r) + ")";
  }

  // Errors after which a device will not answer again.
  bool is_lost(GpuStatus r) const override {
    return r == kNvmlGpuIsLost || r == kNvmlDriverNotLoaded || r == kNvmlUnknown ||
           r == kNvmlUninitialized || r == kNvmlResetRequired || r == kNvmlLibRmVersionMismatch ||
           r == kNvmlGpuNotFound;
  }

  bool lists_processes() const override { return true; }

  // The compute and the graphics process lists.
  void add_pids(unsigned index, std::set<int>* pids) const override {
    append_pids(api_.compute_procs, api_.compute_procs_version, handles_[index], pids);
    append_pids(api_.graphics_procs, api_.graphics_procs_version, handles_[index], pids);
  }

 private:
  // A MIG instance's board: through its handle, else by enumerating each
  // board's MIG instances (drivers whose UUID lookup knows boards only).
  std::optional<unsigned> board_of_mig(std::string_view mig_uuid,
                                       const std::vector<GpuBoard>& boards) const;

  NvmlApi api_;
  std::vector<NvmlDevice> handles_;  // by NVML index; null when it could not be opened
};

std::optional<unsigned> NvmlDriver::board_of_mig(std::string_view mig_uuid,
                                                 const std::vector<GpuBoard>& boards) const {
  const NvmlApi& a = api_;
  const std::string wanted(mig_uuid);
  const unsigned count = static_cast<unsigned>(handles_.size());
  NvmlDevice mig = nullptr, parent = nullptr;
  if (a.handle_by_uuid && a.parent_of_mig &&
      a.handle_by_uuid(wanted.c_str(), &mig) == kNvmlSuccess &&
      a.parent_of_mig(mig, &parent) == kNvmlSuccess) {
    std::string parent_uuid = nvml_string(a.uuid, parent);
    for (unsigned i = 0; i < count; ++i) {
      if (handles_[i] == parent || (!parent_uuid.empty() && boards[i].uuid == parent_uuid))
        return i;
    }
  }
  if (!a.max_mig_count || !a.mig_by_index) return std::nullopt;
  for (unsigned i = 0; i < count; ++i) {
    unsigned slots = 0;
    if (!handles_[i] || a.max_mig_count(handles_[i], &slots) != kNvmlSuccess) continue;
    for (unsigned k = 0; k < slots; ++k) {
      NvmlDevice instance = nullptr;
      if (a.mig_by_index(handles_[i], k, &instance) == kNvmlSuccess &&
          nvml_string(a.uuid, instance) == wanted)
        return i;
    }
  }
  return std::nullopt;
}

// With devices_by_pid every GPU (the sensor then follows the process lists),
// else CUDA_VISIBLE_DEVICES.
std::vector<VisibleGpu> NvmlDriver::choose(const ProbeContext& ctx,
                                           const std::vector<GpuBoard>& boards,
                                           ProbeResult* result) {
  std::vector<VisibleGpu> chosen;
  if (ctx.devices_by_pid) {
    for (unsigned i = 0; i < boards.size(); ++i) chosen.push_back({i, ""});
    return chosen;
  }
  const Environment& env = *ctx.env;
  std::optional<std::string> visible;
  if (env.has_var("CUDA_VISIBLE_DEVICES")) visible = env.var("CUDA_VISIBLE_DEVICES");
  std::vector<std::string> uuids;
  for (const GpuBoard& board : boards) uuids.push_back(board.uuid);
  VisibleSelection sel = select_visible_gpus(
      visible, uuids, [&](std::string_view mig) { return board_of_mig(mig, boards); });
  if (!sel.warning.empty()) result->warnings.push_back(sel.warning);
  chosen = sel.gpus;
  if (chosen.empty()) {
    result->unavailable_reason = "no GPU visible (CUDA_VISIBLE_DEVICES=\"" + *visible + "\")";
    return chosen;
  }
  // CUDA numbers GPUs fastest first unless CUDA_DEVICE_ORDER=PCI_BUS_ID;
  // NVML numbers them by PCI bus. The two agree when all GPUs are alike.
  bool by_index =
      visible && !visible->empty() && std::isdigit(static_cast<unsigned char>((*visible)[0]));
  bool mixed = std::any_of(boards.begin(), boards.end(),
                           [&](const GpuBoard& b) { return b.name != boards[0].name; });
  if (by_index && mixed && env.var("CUDA_DEVICE_ORDER") != "PCI_BUS_ID") {
    result->warnings.push_back(
        "CUDA_VISIBLE_DEVICES holds indices and this machine has GPUs of different models: CUDA "
        "numbers them fastest first, NVML by PCI bus, so an index may name another GPU. Set "
        "CUDA_DEVICE_ORDER=PCI_BUS_ID or use GPU UUIDs");
  }
  return chosen;
}

const GpuVendor kNvidia{
    .library = {"CARBONTRACKER_NVML_LIBRARY",
                &Environment::nvml_library,
                find_nvidia_driver,
                {"libnvidia-ml.so.1", "libnvidia-ml.so"}},
    .words = {"NVML", "NVIDIA driver", "NVIDIA driver library", "GPU",
              " (driver too old, or not NVML)"},
    .calls = {"nvmlDeviceGetCount", "nvmlDeviceGetTotalEnergyConsumption",
              "NVML total energy counter (nvmlDeviceGetTotalEnergyConsumption)",
              "nvmlDeviceGetPowerUsage", "NVML power (nvmlDeviceGetPowerUsage), sampled at 10 Hz"},
};

}  // namespace

ProbeResult probe_nvml(const ProbeContext& ctx) { return probe_gpus<NvmlDriver>(ctx, kNvidia); }

}  // namespace carbontracker
