// Implementation details: the rsmi_* declarations below follow rocm_smi.h
// (ROCm SMI 5.x; the functions used are unchanged in 6.x).
#include "sensors/gpu/rocm_smi_sensor.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "sensors/gpu/driver_signs.h"
#include "sensors/gpu/dynamic_library.h"
#include "sensors/gpu/visible_devices.h"

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

std::string bind_rsmi(const DynamicLibrary& lib, RsmiApi& api) {
  return bind_symbols(lib, {
                               {{"rsmi_init"}, true, slot_of(api.init)},
                               {{"rsmi_shut_down"}, true, slot_of(api.shut_down)},
                               {{"rsmi_status_string"}, false, slot_of(api.status_string)},
                               {{"rsmi_num_monitor_devices"}, true, slot_of(api.num_devices)},
                               {{"rsmi_dev_name_get"}, true, slot_of(api.name)},
                               {{"rsmi_dev_unique_id_get"}, false, slot_of(api.unique_id)},
                               {{"rsmi_dev_energy_count_get"}, false, slot_of(api.energy_count)},
                               {{"rsmi_dev_power_ave_get"}, false, slot_of(api.power_ave_uw)},
                           });
}

class Rsmi {
 public:
  Rsmi(std::unique_ptr<DynamicLibrary> lib, RsmiApi api) : lib_(std::move(lib)), api(api) {}
  ~Rsmi() {
    if (initialized) api.shut_down();
  }
  Rsmi(const Rsmi&) = delete;
  Rsmi& operator=(const Rsmi&) = delete;

  std::string describe(RsmiStatus s) const {
    const char* text = nullptr;
    if (api.status_string && api.status_string(s, &text) != kRsmiSuccess) text = nullptr;
    return std::string(text ? text : "error") + " (ROCm SMI status " + std::to_string(s) + ")";
  }

 private:
  std::unique_ptr<DynamicLibrary> lib_;  // destroyed last: dlclose after rsmi_shut_down

 public:
  RsmiApi api;
  bool initialized = false;
};

bool is_lost(RsmiStatus s) {
  return s == kRsmiFileError || s == kRsmiInitError || s == kRsmiNotFound || s == kRsmiUnknownError;
}

struct AmdGpu {
  uint32_t index = 0;
  std::string label;
  bool energy = true;
  bool lost = false;
  std::string lost_message;
};

class RocmSmiSensor : public Sensor {
 public:
  RocmSmiSensor(std::unique_ptr<Rsmi> rsmi, std::vector<AmdGpu> gpus,
                std::vector<SensorDevice> devices)
      : rsmi_(std::move(rsmi)), gpus_(std::move(gpus)), devices_(std::move(devices)) {}

  const std::vector<SensorDevice>& devices() const override { return devices_; }

  void read(std::vector<Reading>& out) override {
    std::lock_guard<std::mutex> lock(mutex_);
    out.resize(gpus_.size());
    for (size_t i = 0; i < gpus_.size(); ++i) {
      AmdGpu& gpu = gpus_[i];
      Reading& reading = out[i];
      reading = Reading{};
      if (gpu.lost) {
        reading.status = ReadStatus::kLost;
        reading.message = gpu.lost_message;
        continue;
      }
      RsmiStatus s;
      const char* call;
      if (gpu.energy) {
        uint64_t counter = 0, timestamp_ns = 0;
        float resolution_uj = 0;
        s = rsmi_->api.energy_count(gpu.index, &counter, &resolution_uj, &timestamp_ns);
        reading.counter = counter;
        call = "rsmi_dev_energy_count_get";
      } else {
        uint64_t power_uw = 0;
        s = rsmi_->api.power_ave_uw(gpu.index, 0, &power_uw);
        reading.power_w = static_cast<double>(power_uw) * 1e-6;
        call = "rsmi_dev_power_ave_get";
      }
      if (s == kRsmiSuccess) continue;
      reading.message = gpu.label + ": " + call + " failed: " + rsmi_->describe(s);
      if (is_lost(s)) {
        reading.status = ReadStatus::kLost;
        gpu.lost = true;
        gpu.lost_message = reading.message;
      } else {
        reading.status = ReadStatus::kRetry;
      }
    }
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<Rsmi> rsmi_;
  std::vector<AmdGpu> gpus_;
  std::vector<SensorDevice> devices_;
};

std::optional<std::string> optional_var(const Environment& env, const char* name) {
  if (!env.has_var(name)) return std::nullopt;
  return env.var(name);
}

}  // namespace

ProbeResult probe_rocm_smi(const ProbeContext& ctx) {
  ProbeResult result;
  const Environment& env = *ctx.env;
  std::vector<std::string> candidates;
  if (!env.rocm_smi_library.empty()) {
    candidates = {env.rocm_smi_library};
  } else {
    DriverSigns signs = find_amd_driver(env);
    if (signs.found.empty()) {
      result.unavailable_reason = "no AMD GPU driver (" + describe_missing(signs) + ")";
      return result;
    }
    candidates = {"librocm_smi64.so", "librocm_smi64.so.1", "/opt/rocm/lib/librocm_smi64.so"};
  }
  std::string why;
  std::unique_ptr<DynamicLibrary> lib = DynamicLibrary::open_first(candidates, &why);
  if (!lib) {
    result.unavailable_reason =
        env.rocm_smi_library.empty()
            ? "no ROCm SMI library found (" + why + ")"
            : "CARBONTRACKER_ROCM_SMI_LIBRARY=" + env.rocm_smi_library + " does not load" +
                  (why == "tried " + env.rocm_smi_library ? std::string(": no such file")
                                                          : " (" + why + ")");
    return result;
  }
  RsmiApi api;
  if (std::string missing = bind_rsmi(*lib, api); !missing.empty()) {
    result.unavailable_reason =
        lib->name() + " lacks the ROCm SMI function " + missing + "; it was unloaded";
    return result;
  }
  auto rsmi = std::make_unique<Rsmi>(std::move(lib), api);
  if (RsmiStatus s = rsmi->api.init(0); s != kRsmiSuccess) {
    result.unavailable_reason =
        "rsmi_init failed: " + rsmi->describe(s) + "; is the amdgpu kernel driver loaded?";
    return result;
  }
  rsmi->initialized = true;
  uint32_t count = 0;
  if (RsmiStatus s = rsmi->api.num_devices(&count); s != kRsmiSuccess) {
    result.unavailable_reason = "rsmi_num_monitor_devices failed: " + rsmi->describe(s);
    return result;
  }
  if (count == 0) {
    result.unavailable_reason = "ROCm SMI found no GPU";
    return result;
  }

  std::vector<std::string> uuids(count), names(count);
  for (uint32_t i = 0; i < count; ++i) {
    char name[256] = {};
    if (rsmi->api.name(i, name, sizeof name - 1) == kRsmiSuccess) names[i] = name;
    if (names[i].empty()) names[i] = "AMD GPU";
    uint64_t id = 0;
    if (rsmi->api.unique_id && rsmi->api.unique_id(i, &id) == kRsmiSuccess) {
      char text[32];
      std::snprintf(text, sizeof text, "GPU-%016" PRIx64, id);
      uuids[i] = text;
    }
  }

  // ROCR_VISIBLE_DEVICES selects among the physical GPUs; HIP_VISIBLE_DEVICES
  // then indexes the GPUs that ROCR left visible.
  VisibleSelection rocr = select_visible_gpus(optional_var(env, "ROCR_VISIBLE_DEVICES"), uuids,
                                              nullptr, "ROCR_VISIBLE_DEVICES");
  if (!rocr.warning.empty()) result.warnings.push_back(rocr.warning);
  std::vector<std::string> rocr_uuids;
  for (const VisibleGpu& g : rocr.gpus) rocr_uuids.push_back(uuids[g.index]);
  VisibleSelection hip = select_visible_gpus(optional_var(env, "HIP_VISIBLE_DEVICES"), rocr_uuids,
                                             nullptr, "HIP_VISIBLE_DEVICES");
  if (!hip.warning.empty()) result.warnings.push_back(hip.warning);
  std::vector<uint32_t> chosen;
  for (const VisibleGpu& g : hip.gpus) chosen.push_back(rocr.gpus[g.index].index);
  if (chosen.empty()) {
    result.unavailable_reason =
        "no AMD GPU visible (ROCR_VISIBLE_DEVICES=\"" + env.var("ROCR_VISIBLE_DEVICES", "(unset)") +
        "\", HIP_VISIBLE_DEVICES=\"" + env.var("HIP_VISIBLE_DEVICES", "(unset)") + "\")";
    return result;
  }
  if (ctx.devices_by_pid) {
    result.notes.push_back(
        "devices_by_pid applies to NVIDIA GPUs only; every visible AMD GPU is measured");
  }

  std::vector<AmdGpu> gpus;
  std::vector<SensorDevice> devices;
  for (uint32_t index : chosen) {
    AmdGpu gpu;
    gpu.index = index;
    gpu.label = "GPU " + std::to_string(index) + " (" + names[index] + ")";
    SensorDevice dev;
    dev.info.name = names[index];
    dev.info.component = ComponentKind::kGpu;
    dev.info.provenance = Provenance::kMeasured;
    dev.max_power_w = 1500.0;

    std::string energy_error = "not in this ROCm SMI";
    float resolution_uj = 0;
    if (rsmi->api.energy_count) {
      uint64_t counter = 0, timestamp_ns = 0;
      RsmiStatus s = rsmi->api.energy_count(index, &counter, &resolution_uj, &timestamp_ns);
      if (s != kRsmiSuccess)
        energy_error = rsmi->describe(s);
      else if (!(resolution_uj > 0))
        energy_error = "counter resolution " + std::to_string(resolution_uj) + " µJ";
      else
        energy_error.clear();
    }
    if (energy_error.empty()) {
      dev.kind = ReadingKind::kEnergyCounter;
      dev.counter_unit_j = static_cast<double>(resolution_uj) * 1e-6;
      dev.counter_range = 0;
      dev.info.source = "ROCm SMI energy counter (rsmi_dev_energy_count_get)";
    } else {
      std::string power_error = "not in this ROCm SMI";
      if (rsmi->api.power_ave_uw) {
        uint64_t power_uw = 0;
        RsmiStatus s = rsmi->api.power_ave_uw(index, 0, &power_uw);
        power_error = s == kRsmiSuccess ? "" : rsmi->describe(s);
      }
      if (!power_error.empty()) {
        result.warnings.push_back(gpu.label +
                                  ": neither energy nor power can be read "
                                  "(rsmi_dev_energy_count_get: " +
                                  energy_error + "; rsmi_dev_power_ave_get: " + power_error +
                                  "); it is not measured");
        continue;
      }
      gpu.energy = false;
      dev.kind = ReadingKind::kPower;
      dev.max_interval_s = 0.1;
      dev.info.source = "ROCm SMI average power (rsmi_dev_power_ave_get), sampled at 10 Hz";
      result.notes.push_back(gpu.label + " has no energy counter (rsmi_dev_energy_count_get: " +
                             energy_error + "); its power is sampled at 10 Hz and integrated");
    }
    gpus.push_back(std::move(gpu));
    devices.push_back(std::move(dev));
  }
  if (gpus.empty()) {
    result.unavailable_reason = "no selected AMD GPU can be read (see the warnings)";
    return result;
  }
  result.sensor =
      std::make_unique<RocmSmiSensor>(std::move(rsmi), std::move(gpus), std::move(devices));
  return result;
}

}  // namespace carbontracker
