// This machine's host name, asked of the kernel once per process (uname(2)
// behind gethostname: system calls are dear on some hosts, and the run's
// identity, the distributed decision and the metrics all want it).
#pragma once

#include <sys/types.h>

#include <string>

namespace carbontracker {

// gethostname(), cached; empty when it fails.
const std::string& host_name();

// getpid(), asked once per process: the child of a fork() asks again (a
// pthread_atfork handler forgets the parent's). Not for a child started
// with a raw clone, which only execs.
pid_t process_id();

}  // namespace carbontracker
