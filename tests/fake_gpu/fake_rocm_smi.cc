// A fake ROCm SMI for the tests: exports the rsmi_* functions the sensor uses
// and answers them from a script (see fake_script.h) named by
// FAKE_ROCM_SMI_SCRIPT, read at rsmi_init. Extra exports for tests:
// fake_rsmi_set_time_s, fake_rsmi_live_inits.
#include <cstdint>
#include <cstring>
#include <string>

#include "fake_script.h"

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace {

constexpr int kSuccess = 0, kInvalidArgs = 1, kNotSupported = 2, kInsufficientSize = 11,
              kInitError = 8;
constexpr int kUnknownError = static_cast<int>(0xFFFFFFFF);

struct State {
  fake_gpu::Script script;
  fake_gpu::Clock clock;
  int live_inits = 0;
};

State& state() {
  static State s;
  return s;
}

const fake_gpu::Device* lookup(uint32_t index, int* rc) {
  State& s = state();
  if (s.live_inits == 0) {
    *rc = kInitError;
    return nullptr;
  }
  if (index >= s.script.devices.size()) {
    *rc = kInvalidArgs;
    return nullptr;
  }
  const fake_gpu::Device& d = s.script.devices[index];
  if (d.is_lost(s.clock.now())) {
    *rc = d.lost_error >= 0 ? d.lost_error : kUnknownError;
    return nullptr;
  }
  *rc = kSuccess;
  return &d;
}

}  // namespace

EXPORT void fake_rsmi_set_time_s(double t) { state().clock.manual_s = t; }
EXPORT int fake_rsmi_live_inits() { return state().live_inits; }

EXPORT int rsmi_init(uint64_t) {
  State& s = state();
  s.script = fake_gpu::load_script(std::getenv("FAKE_ROCM_SMI_SCRIPT"));
  if (s.script.init_error) return s.script.init_error;
  if (s.live_inits++ == 0) s.clock.reset(s.script.manual_clock);
  return kSuccess;
}
EXPORT int rsmi_shut_down() {
  State& s = state();
  if (s.live_inits == 0) return kInitError;
  --s.live_inits;
  return kSuccess;
}
EXPORT int rsmi_status_string(int status, const char** text) {
  switch (status) {
    case kSuccess:
      *text = "RSMI_STATUS_SUCCESS: The function has been executed successfully.";
      break;
    case kNotSupported:
      *text = "RSMI_STATUS_NOT_SUPPORTED: The function is not supported";
      break;
    default:
      *text = "RSMI_STATUS_UNKNOWN_ERROR: An unknown error occurred";
      break;
  }
  return kSuccess;
}
EXPORT int rsmi_num_monitor_devices(uint32_t* n) {
  State& s = state();
  if (s.live_inits == 0) return kInitError;
  if (s.script.count_error) return s.script.count_error;
  *n = static_cast<uint32_t>(s.script.devices.size());
  return kSuccess;
}
EXPORT int rsmi_dev_name_get(uint32_t index, char* name, size_t len) {
  int rc;
  const fake_gpu::Device* d = lookup(index, &rc);
  if (!d) return rc;
  if (len < d->name.size() + 1) return kInsufficientSize;
  std::memcpy(name, d->name.c_str(), d->name.size() + 1);
  return kSuccess;
}
EXPORT int rsmi_dev_unique_id_get(uint32_t index, uint64_t* id) {
  int rc;
  const fake_gpu::Device* d = lookup(index, &rc);
  if (!d) return rc;
  if (d->unique_id == 0) return kNotSupported;
  *id = d->unique_id;
  return kSuccess;
}
EXPORT int rsmi_dev_energy_count_get(uint32_t index, uint64_t* counter, float* resolution_uj,
                                     uint64_t* timestamp_ns) {
  int rc;
  const fake_gpu::Device* d = lookup(index, &rc);
  if (!d) return rc;
  if (!d->energy) return kNotSupported;
  double t = state().clock.now();
  *resolution_uj = static_cast<float>(d->resolution_uj);
  *counter = d->energy_start + static_cast<uint64_t>(std::floor(
                                   d->energy_j(t) * 1e6 / static_cast<float>(d->resolution_uj)));
  if (timestamp_ns) *timestamp_ns = static_cast<uint64_t>(t * 1e9);
  return kSuccess;
}
EXPORT int rsmi_dev_power_ave_get(uint32_t index, uint32_t sensor, uint64_t* power_uw) {
  int rc;
  const fake_gpu::Device* d = lookup(index, &rc);
  if (!d) return rc;
  if (!d->power || sensor != 0) return kNotSupported;
  *power_uw = static_cast<uint64_t>(std::llround(d->power_w(state().clock.now()) * 1e6));
  return kSuccess;
}
