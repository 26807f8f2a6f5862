// The wrapper's command as a child process: starting it (fork/exec), passing
// on the signals sent to the wrapper, and waiting for it.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "cli/epoch_pipe.h"

namespace carbontracker {

class ConsoleBuffer;

// Whether the signal handlers installed for a run are put back afterwards: a
// caller that goes on (python -m carbontracker) needs them back; the
// executable, which exits right after, does not. (ChildProcess puts SIGCHLD
// back either way.)
enum class SignalHandlers { kRestore, kLeave };

// Installs the handlers of SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and
// SIGUSR2 for the whole tracked run: while a command runs they pass the
// signal on to it when it cannot have got it itself (see forward_signal);
// before and after it, the signal does what it did before, once `console`'s
// pending text is written. restore_forwarding() puts the previous handlers back.
void install_forwarding(ConsoleBuffer* console);
void restore_forwarding();

// Whether a signal the wrapper received is passed on to its command, where
// no witness process could be started (signal_witness.h): not when the
// command is in the wrapper's process group and the signal came from the
// terminal (si_code SI_KERNEL), which sends it to the whole group; signals
// sent with kill(), sigqueue() or tgkill() are, and every signal is when the
// command has left the wrapper's process group. With the witness, a signal
// sent to the whole group is told apart from one sent to the wrapper alone.
bool forward_signal(int si_code, bool command_in_our_group);

// The wait in milliseconds for poll() when a caller wants to be called again
// in due_s seconds (< 0: no wish): at most 250, never negative, whatever due_s.
int poll_timeout_ms(double due_s);

struct ChildOptions {
  std::vector<std::string> command;
  // A pipe whose write end the command finds in CARBONTRACKER_EPOCH_FD (and
  // by name in CARBONTRACKER_EPOCH_PATH).
  bool epoch_pipe = false;
  // "NAME=value" entries added to the command's environment only (the
  // wrapper's own environment is left as it is).
  std::vector<std::string> extra_env;
  // false: wait through a SIGCHLD handler and a self-pipe, as where
  // pidfd_open does not exist (for tests).
  bool use_pidfd = true;
  // The caller exits right after the command (the executable): the witness
  // process (signal_witness.h) is left to die with it and the pidfd to the
  // kernel (system calls are dear on some hosts). A caller that goes on
  // (python -m carbontracker) has the witness killed and waited for.
  bool exits_after = false;
};

struct ChildResult {
  bool started = false;
  int start_errno = 0;
  int exit_status = 0;  // the wrapper's exit status for it
  int code = -1;        // exit code, or -1
  int signal = 0;       // terminating signal, or 0
  // Another process reaped the command (waitpid gave ECHILD): its exit status
  // is unknown, and exit_status is 70.
  bool status_lost = false;
  // What a callback threw (empty: nothing). The command was still waited for.
  std::string callback_error;
};

// The owner of the command: the constructor starts it, wait() waits for its
// end, and the destructor, whatever happened before, waits for it too (signals
// still forwarded), closes the pidfd (see exits_after) and pipes, ends the
// witness process and clears the pid the signal
// handlers forward to. One at a time per process.
class ChildProcess {
 public:
  // on_line(text, too_long): a line the command wrote on the epoch pipe
  // (see EpochLineSplitter). on_wait(): called before each wait; returns the
  // seconds until it wants to be called again (< 0: no sooner than 250 ms).
  using LineFn = std::function<void(const std::string& text, bool too_long)>;
  using WaitFn = std::function<double()>;

  explicit ChildProcess(const ChildOptions& options);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Waits for the command to end and returns its result. An exception from
  // a callback is caught: its text goes to result().callback_error, neither
  // callback is called again, and the wait goes on (the epoch pipe still
  // drained, so the command never blocks on it).
  const ChildResult& wait(const LineFn& on_line, const WaitFn& on_wait);
  const ChildResult& result() const { return result_; }

 private:
  void start(const ChildOptions& options);
  void drain(size_t max_bytes, const LineFn& on_line);
  void finish();

  ChildResult result_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int epoch_pipe_[2] = {-1, -1};
  bool sigchld_handler_ = false;  // the self-pipe fallback is in use
  bool waited_ = false;
  EpochLineSplitter splitter_;
  struct sigaction old_sigchld_ {};  // put back once the command has ended
  bool sigchld_saved_ = false;
  bool witness_ = false;  // this run started (or found) the witness
  bool exits_after_ = false;
};

}  // namespace carbontracker
