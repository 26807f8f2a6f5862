#include "sensors/gpu/driver_signs.h"

#include <sys/stat.h>

#include <cerrno>
#include <initializer_list>

namespace carbontracker {

namespace {

// Permissive: anything but "no such file" (EACCES on a parent, say) counts as
// present, so that the library is tried and says itself what is wrong.
DriverSigns first_existing(std::initializer_list<std::string> paths) {
  DriverSigns signs;
  for (const std::string& path : paths) {
    signs.checked.push_back(path);
    struct stat st;
    if (stat(path.c_str(), &st) == 0 || (errno != ENOENT && errno != ENOTDIR)) {
      signs.found = path;
      break;
    }
  }
  return signs;
}

}  // namespace

DriverSigns find_nvidia_driver(const Environment& env) {
  return first_existing({env.dev_root + "/nvidiactl", env.dev_root + "/dxg",
                         env.proc_root + "/driver/nvidia", env.sys_root + "/module/nvidia"});
}

DriverSigns find_amd_driver(const Environment& env) {
  return first_existing({env.dev_root + "/kfd", env.sys_root + "/class/kfd"});
}

std::string describe_missing(const DriverSigns& signs) {
  std::string text = "none of ";
  for (size_t i = 0; i < signs.checked.size(); ++i) {
    if (i > 0) text += i + 1 == signs.checked.size() ? " or " : ", ";
    text += signs.checked[i];
  }
  return text + " exists";
}

}  // namespace carbontracker
