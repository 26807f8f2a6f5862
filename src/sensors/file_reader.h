// A seam for reading small sysfs/procfs files, so tests can inject failures
// a real file cannot produce for them (EACCES when the tests run as root,
// where chmod 000 does not stop a read).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace carbontracker {

class FileReader {
 public:
  virtual ~FileReader() = default;
  // Reads at most cap bytes from the start of the file at path (one open,
  // read, close; nothing allocated). Returns 0 and sets *len to the bytes read,
  // or the errno of the call that failed (ENOENT, EACCES, ENODEV, ...).
  virtual int read(const char* path, char* buf, size_t cap, size_t* len) const = 0;
  // For a file read again and again (/proc/stat at every tick): reads at
  // most cap bytes from its start and may keep it open in *fd (-1: not open)
  // for the next call, which then costs one pread(2) instead of an open, a
  // read and a close. Only for files produced whole by one read (procfs
  // single-record files such as /proc/stat, sysfs attributes). The caller
  // closes *fd when it is >= 0 and no longer needed. This default reads
  // through read() and keeps nothing.
  virtual int reread(const char* path, int* fd, char* buf, size_t cap, size_t* len) const {
    (void)fd;
    return read(path, buf, cap, len);
  }
};

// open(2)/read(2)/close(2) on the real file system; EINTR is retried.
class SystemFileReader : public FileReader {
 public:
  int read(const char* path, char* buf, size_t cap, size_t* len) const override;
  // One pread(2) at offset 0 on *fd, opened on the first call; on a failure
  // *fd is closed and set to -1, and the next call opens the file again.
  int reread(const char* path, int* fd, char* buf, size_t cap, size_t* len) const override;
  // A shared instance that lives for the whole program.
  static std::shared_ptr<const FileReader> instance();
};

// Helpers for sysfs attribute files, shared by the sensors that read them.

// Reads a small text file (at most 256 bytes); returns 0 or an errno.
int read_text(const FileReader& files, const std::string& path, std::string* out);

// Reads a file holding one non-negative integer (a counter, microwatts):
// decimal digits, ASCII white space around them allowed (no sign). 0 on
// success, an errno, or -1 for content that is not such a number (empty,
// signs, junk, overflow).
int read_u64(const FileReader& files, const char* path, uint64_t* value);

}  // namespace carbontracker
