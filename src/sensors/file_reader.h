// A seam for reading small sysfs/procfs files, so tests can inject failures
// a real file cannot produce for them (EACCES when the tests run as root,
// where chmod 000 does not stop a read).
#pragma once

#include <cstddef>
#include <memory>

namespace carbontracker {

class FileReader {
 public:
  virtual ~FileReader() = default;
  // Reads at most cap bytes from the start of the file at path (one open,
  // read, close; nothing allocated). Returns 0 and sets *len to the bytes read,
  // or the errno of the call that failed (ENOENT, EACCES, ENODEV, ...).
  virtual int read(const char* path, char* buf, size_t cap, size_t* len) const = 0;
};

// open(2)/read(2)/close(2) on the real file system; EINTR is retried.
class SystemFileReader : public FileReader {
 public:
  int read(const char* path, char* buf, size_t cap, size_t* len) const override;
  // A shared instance that lives for the whole program.
  static std::shared_ptr<const FileReader> instance();
};

}  // namespace carbontracker
