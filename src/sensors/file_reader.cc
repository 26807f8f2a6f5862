#include "sensors/file_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/number.h"

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

int read_text(const FileReader& files, const std::string& path, std::string* out) {
  char buf[256];
  size_t len = 0;
  int err = files.read(path.c_str(), buf, sizeof buf, &len);
  if (err == 0) out->assign(buf, len);
  return err;
}

int read_u64(const FileReader& files, const char* path, uint64_t* value) {
  char buf[32];
  size_t len = 0;
  int err = files.read(path, buf, sizeof buf, &len);
  if (err != 0) return err;
  if (len == sizeof buf) return -1;
  std::optional<uint64_t> number = parse_integer<uint64_t>({buf, len}, {.blanks = true});
  if (!number) return -1;
  *value = *number;
  return 0;
}

}  // namespace carbontracker
