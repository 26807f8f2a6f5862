// A FileReader that fails reads of chosen paths with a chosen errno and passes
// the others to the real file system. This is how the tests produce EACCES,
// ENODEV or EIO: they run as root in CI, where chmod 000 does not stop a read.
#pragma once

#include <map>
#include <string>

#include "sensors/file_reader.h"

namespace carbontracker::testing {

class FailingFileReader : public FileReader {
 public:
  void fail(const std::string& path, int err) { failures_[path] = err; }
  int read(const char* path, char* buf, size_t cap, size_t* len) const override {
    if (auto it = failures_.find(path); it != failures_.end()) {
      *len = 0;
      return it->second;
    }
    return real_.read(path, buf, cap, len);
  }

 private:
  std::map<std::string, int> failures_;
  SystemFileReader real_;
};

}  // namespace carbontracker::testing
