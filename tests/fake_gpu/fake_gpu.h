// Test-side handle on the fake GPU driver libraries built in this folder:
// their paths, their scripts, and their extra control functions.
#pragma once

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "carbontracker/environment.h"
#include "sensors/sensor.h"

namespace carbontracker::testing {

inline std::string fake_gpu_library_path(const std::string& name) {
  return std::string(CT_BINARY_DIR) + "/tests/fake_gpu/lib" + name + ".so";
}

// Opens a fake library for its control functions. The sensor's own dlopen of
// the same path shares this instance, so the test and the sensor see one state.
class FakeGpuLibrary {
 public:
  explicit FakeGpuLibrary(const std::string& name) : path_(fake_gpu_library_path(name)) {
    handle_ = dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL);
  }
  ~FakeGpuLibrary() {
    if (handle_) dlclose(handle_);
  }
  FakeGpuLibrary(const FakeGpuLibrary&) = delete;
  FakeGpuLibrary& operator=(const FakeGpuLibrary&) = delete;

  bool loaded() const { return handle_ != nullptr; }
  const std::string& path() const { return path_; }
  template <typename Fn>
  Fn* function(const char* name) const {
    return reinterpret_cast<Fn*>(dlsym(handle_, name));
  }

 private:
  std::string path_;
  void* handle_ = nullptr;
};

// Writes a script file and points `env_var` (FAKE_NVML_SCRIPT or
// FAKE_ROCM_SMI_SCRIPT) at it; the fake reads it at init. Returns the path.
inline std::string write_fake_script(const std::string& env_var, const std::string& text) {
  static int counter = 0;
  std::string path = std::string(::testing::TempDir()) + "/fake_gpu_" + std::to_string(getpid()) +
                     "_" + std::to_string(++counter) + ".txt";
  std::ofstream(path) << text;
  setenv(env_var.c_str(), path.c_str(), 1);
  return path;
}

// Integral over [t0, t1] of a "W:S,W:S" trace repeated for ever, joules.
inline double trace_energy_j(const std::vector<std::pair<double, double>>& trace, double t0,
                             double t1) {
  auto upto = [&](double t) {
    double cycle = 0, cycle_j = 0;
    for (auto& [w, s] : trace) cycle += s, cycle_j += w * s;
    double full = std::floor(t / cycle);
    double j = full * cycle_j, in = t - full * cycle;
    for (auto& [w, s] : trace) {
      double d = std::min(in, s);
      j += w * d;
      in -= d;
      if (in <= 0) break;
    }
    return j;
  };
  return upto(t1) - upto(t0);
}

}  // namespace carbontracker::testing
