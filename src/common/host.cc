#include "common/host.h"

#include <unistd.h>

namespace carbontracker {

const std::string& host_name() {
  static const std::string name = [] {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) return std::string();
    return std::string(host);
  }();
  return name;
}

}  // namespace carbontracker
