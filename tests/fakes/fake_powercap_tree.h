// Test utilities for fake sysfs/procfs trees: a temporary directory removed at
// scope exit, and writers for powercap zones and small files. Header-only so
// unit tests, helpers and benchmarks can share it.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace carbontracker::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents by the
// destructor.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/ct-test-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// Writes `content` to `path`, creating parent directories; throws on failure.
inline void write_file(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  f.close();
  if (!f) throw std::runtime_error("cannot write " + path);
}

// A powercap zone directory with name, energy_uj and max_energy_range_uj, as
// sysfs formats them (decimal, newline-terminated).
inline void write_zone(const std::string& dir, const std::string& name, uint64_t energy_uj,
                       uint64_t range_uj = 262143328850ULL) {
  write_file(dir + "/name", name + "\n");
  write_file(dir + "/energy_uj", std::to_string(energy_uj) + "\n");
  write_file(dir + "/max_energy_range_uj", std::to_string(range_uj) + "\n");
}

}  // namespace carbontracker::testing
