// This machine's host name, asked of the kernel once per process (uname(2)
// behind gethostname: system calls are dear on some hosts, and the run's
// identity, the distributed decision and the metrics all want it).
#pragma once

#include <string>

namespace carbontracker {

// gethostname(), cached; empty when it fails.
const std::string& host_name();

}  // namespace carbontracker
