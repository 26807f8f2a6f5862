#include "sensors/file_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace carbontracker {

int SystemFileReader::read(const char* path, char* buf, size_t cap, size_t* len) const {
  *len = 0;
  int fd;
  do {
    fd = ::open(path, O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  // sysfs attributes are produced in one read; regular files (fakes, procfs)
  // may need several.
  int err = 0;
  while (*len < cap) {
    ssize_t n = ::read(fd, buf + *len, cap - *len);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    if (n == 0) break;
    *len += static_cast<size_t>(n);
  }
  ::close(fd);
  return err;
}

int SystemFileReader::reread(const char* path, int* fd, char* buf, size_t cap, size_t* len) const {
  *len = 0;
  if (*fd < 0) {
    do {
      *fd = ::open(path, O_RDONLY | O_CLOEXEC);
    } while (*fd < 0 && errno == EINTR);
    if (*fd < 0) return errno;
  }
  ssize_t n;
  do {
    n = ::pread(*fd, buf, cap, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    int err = errno;
    ::close(*fd);
    *fd = -1;
    return err;
  }
  *len = static_cast<size_t>(n);
  return 0;
}

std::shared_ptr<const FileReader> SystemFileReader::instance() {
  static const auto reader = std::make_shared<const SystemFileReader>();
  return reader;
}

}  // namespace carbontracker
