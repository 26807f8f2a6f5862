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

bool parse_u64(const char* s, size_t len, uint64_t* out) {
  size_t i = 0;
  while (i < len && (s[i] == ' ' || s[i] == '\t')) ++i;
  size_t start = i;
  uint64_t value = 0;
  while (i < len && s[i] >= '0' && s[i] <= '9') {
    unsigned digit = static_cast<unsigned>(s[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
    ++i;
  }
  if (i == start) return false;
  while (i < len && (s[i] == '\n' || s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
  if (i != len) return false;
  *out = value;
  return true;
}

std::string trim(std::string s) {
  size_t end = s.find_last_not_of(" \t\r\n");
  s.erase(end == std::string::npos ? 0 : end + 1);
  size_t begin = s.find_first_not_of(" \t\r\n");
  s.erase(0, begin == std::string::npos ? s.size() : begin);
  return s;
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
  if (len == sizeof buf || !parse_u64(buf, len, value)) return -1;
  return 0;
}

}  // namespace carbontracker
