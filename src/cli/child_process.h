// The wrapper's command as a child process: starting it (fork/exec), passing
// on the signals sent to the wrapper, and waiting for it.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace carbontracker {

class ConsoleBuffer;

// Whether the signal handlers installed for a run are put back afterwards: a
// caller that goes on (python -m carbontracker) needs them back; the
// executable, which exits right after, does not.
enum class SignalHandlers { kRestore, kLeave };

// Installs the handlers of SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and
// SIGUSR2 for the whole tracked run: while the command runs they pass the
// signal on to it; before and after it, the signal does what it did before,
// once `console`'s pending text is written. restore_forwarding() puts the
// previous handlers back.
void install_forwarding(ConsoleBuffer* console);
void restore_forwarding();

struct ChildResult {
  bool started = false;
  int start_errno = 0;
  int exit_status = 0;  // the wrapper's exit status for it
  int code = -1;        // exit code, or -1
  int signal = 0;       // terminating signal, or 0
};

// Starts the command and waits for it, calling on_line for each line the
// child writes on the epoch pipe (when epoch markers are enabled), and
// on_wait before each wait: it returns the seconds until it wants to be
// called again (< 0: no sooner than the usual 250 ms).
ChildResult run_child(const std::vector<std::string>& command, bool epoch_fd,
                      SignalHandlers handlers,
                      const std::function<void(const std::string&)>& on_line,
                      const std::function<double()>& on_wait);

}  // namespace carbontracker
