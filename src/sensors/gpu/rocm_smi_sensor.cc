// Implementation details: the ROCm SMI driver of the GPU sensor
// (gpu_sensor.h). The rsmi_* declarations below follow rocm_smi.h (ROCm SMI
// 5.x; the functions used are unchanged in 6.x).
#include "sensors/gpu/rocm_smi_sensor.h"

#include <cinttypes>
#include <cstdio>

#include "sensors/gpu/gpu_sensor.h"

namespace carbontracker {
namespace {

using RsmiStatus = uint32_t;  // rsmi_status_t
constexpr RsmiStatus kRsmiSuccess = 0;
constexpr RsmiStatus kRsmiFileError = 3;
constexpr RsmiStatus kRsmiInitError = 8;
constexpr RsmiStatus kRsmiNotFound = 10;
constexpr RsmiStatus kRsmiUnknownError = 0xFFFFFFFF;

struct RsmiApi {
  RsmiStatus (*init)(uint64_t flags) = nullptr;
  RsmiStatus (*shut_down)() = nullptr;
  RsmiStatus (*status_string)(RsmiStatus, const char**) = nullptr;
  RsmiStatus (*num_devices)(uint32_t*) = nullptr;
  RsmiStatus (*name)(uint32_t, char*, size_t) = nullptr;
  RsmiStatus (*unique_id)(uint32_t, uint64_t*) = nullptr;
  RsmiStatus (*energy_count)(uint32_t, uint64_t*, float*, uint64_t*) = nullptr;
  RsmiStatus (*power_ave_uw)(uint32_t, uint32_t, uint64_t*) = nullptr;
};

// The required symbols first; returns the first missing one, or "".
std::string bind_rsmi(const DynamicLibrary& lib, RsmiApi& api) {
  return bind_symbols(lib, {
                               {{"rsmi_init"}, true, slot_of(api.init)},
                               {{"rsmi_shut_down"}, true, slot_of(api.shut_down)},
                               {{"rsmi_num_monitor_devices"}, true, slot_of(api.num_devices)},
                               {{"rsmi_dev_name_get"}, true, slot_of(api.name)},
                               {{"rsmi_status_string"}, false, slot_of(api.status_string)},
                               {{"rsmi_dev_unique_id_get"}, false, slot_of(api.unique_id)},
                               {{"rsmi_dev_energy_count_get"}, false, slot_of(api.energy_count)},
                               {{"rsmi_dev_power_ave_get"}, false, slot_of(api.power_ave_uw)},
                           });
}

std::optional<std::string> optional_var(const Environment& env, const char* name) {
  if (!env.has_var(name)) return std::nullopt;
  return env.var(name);
}

// A loaded ROCm SMI. Its GPUs are named by their ROCm SMI index.
class RsmiDriver : public GpuDriver {
 public:
  using GpuDriver::GpuDriver;

  std::string bind() override { return bind_rsmi(library(), api_); }

  std::string init() override {
    if (RsmiStatus s = api_.init(0); s != kRsmiSuccess)
      return "rsmi_init failed: " + describe(s) + "; is the amdgpu kernel driver loaded?";
    shut_down_at_close(api_.shut_down);
    return "";
  }

  GpuStatus count(unsigned* gpus) override {
    uint32_t n = 0;
    RsmiStatus s = api_.num_devices(&n);
    *gpus = n;
    return s;
  }

  GpuBoard board(unsigned index) override {
    GpuBoard board;
    char name[256] = {};
    if (api_.name(index, name, sizeof name - 1) == kRsmiSuccess) board.name = name;
    if (board.name.empty()) board.name = "AMD GPU";
    uint64_t id = 0;
    if (api_.unique_id && api_.unique_id(index, &id) == kRsmiSuccess) {
      char text[32];
      std::snprintf(text, sizeof text, "GPU-%016" PRIx64, id);
      board.uuid = text;
    }
    return board;
  }

  // ROCR_VISIBLE_DEVICES selects among the physical GPUs; HIP_VISIBLE_DEVICES
  // then indexes the GPUs that ROCR left visible.
  std::vector<VisibleGpu> choose(const ProbeContext& ctx, const std::vector<GpuBoard>& boards,
                                 ProbeResult* result) override {
    const Environment& env = *ctx.env;
    std::vector<std::string> uuids;
    for (const GpuBoard& board : boards) uuids.push_back(board.uuid);
    VisibleSelection rocr = select_visible_gpus(optional_var(env, "ROCR_VISIBLE_DEVICES"), uuids,
                                                nullptr, "ROCR_VISIBLE_DEVICES");
    if (!rocr.warning.empty()) result->warnings.push_back(rocr.warning);
    std::vector<std::string> rocr_uuids;
    for (const VisibleGpu& g : rocr.gpus) rocr_uuids.push_back(uuids[g.index]);
    VisibleSelection hip = select_visible_gpus(optional_var(env, "HIP_VISIBLE_DEVICES"), rocr_uuids,
                                               nullptr, "HIP_VISIBLE_DEVICES");
    if (!hip.warning.empty()) result->warnings.push_back(hip.warning);
    std::vector<VisibleGpu> chosen;
    for (const VisibleGpu& g : hip.gpus) chosen.push_back({rocr.gpus[g.index].index, ""});
    if (chosen.empty()) {
      result->unavailable_reason = "no AMD GPU visible (ROCR_VISIBLE_DEVICES=\"" +
                                   env.var("ROCR_VISIBLE_DEVICES", "(unset)") +
                                   "\", HIP_VISIBLE_DEVICES=\"" +
                                   env.var("HIP_VISIBLE_DEVICES", "(unset)") + "\")";
      return chosen;
    }
    if (ctx.devices_by_pid) {
      result->notes.push_back(
          "devices_by_pid applies to NVIDIA GPUs only; every visible AMD GPU is measured");
    }
    return chosen;
  }

  // The accumulator counts in units of its resolution (µJ).
  std::string energy_unit(unsigned index, double* unit_j) override {
    if (!api_.energy_count) return "not in this ROCm SMI";
    uint64_t counter = 0, timestamp_ns = 0;
    float resolution_uj = 0;
    RsmiStatus s = api_.energy_count(index, &counter, &resolution_uj, &timestamp_ns);
    if (s != kRsmiSuccess) return describe(s);
    if (!(resolution_uj > 0)) return "counter resolution " + std::to_string(resolution_uj) + " µJ";
    *unit_j = static_cast<double>(resolution_uj) * 1e-6;
    return "";
  }

  bool has_power() const override { return api_.power_ave_uw != nullptr; }

  GpuStatus read_energy(unsigned index, uint64_t* counter) override {
    uint64_t timestamp_ns = 0;
    float resolution_uj = 0;
    return api_.energy_count(index, counter, &resolution_uj, &timestamp_ns);
  }

  // The average power of sensor 0, in µW.
  GpuStatus read_power(unsigned index, double* power_w) override {
    uint64_t power_uw = 0;
    RsmiStatus s = api_.power_ave_uw(index, 0, &power_uw);
    *power_w = static_cast<double>(power_uw) * 1e-6;
    return s;
  }

  std::string describe(GpuStatus status) const override {
    RsmiStatus s = static_cast<RsmiStatus>(status);
    const char* text = nullptr;
    if (api_.status_string && api_.status_string(s, &text) != kRsmiSuccess) text = nullptr;
    return std::string(text ? text : "error") + " (ROCm SMI status " + std::to_string(s) + ")";
  }

  bool is_lost(GpuStatus s) const override {
    return s == kRsmiFileError || s == kRsmiInitError || s == kRsmiNotFound ||
           s == kRsmiUnknownError;
  }

 private:
  RsmiApi api_;
};

const GpuVendor kAmd{
    .library = {"CARBONTRACKER_ROCM_SMI_LIBRARY",
                &Environment::rocm_smi_library,
                find_amd_driver,
                {"librocm_smi64.so", "librocm_smi64.so.1", "/opt/rocm/lib/librocm_smi64.so"}},
    .words = {"ROCm SMI", "AMD GPU driver", "ROCm SMI library", "AMD GPU", ""},
    .calls = {"rsmi_num_monitor_devices", "rsmi_dev_energy_count_get",
              "ROCm SMI energy counter (rsmi_dev_energy_count_get)", "rsmi_dev_power_ave_get",
              "ROCm SMI average power (rsmi_dev_power_ave_get), sampled at 10 Hz"},
};

}  // namespace

ProbeResult probe_rocm_smi(const ProbeContext& ctx) { return probe_gpus<RsmiDriver>(ctx, kAmd); }

}  // namespace carbontracker
