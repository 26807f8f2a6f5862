// Telling a signal sent to the wrapper alone from one sent to its whole
// process group, so that the command gets each signal exactly once.
//
// The command runs in the wrapper's process group (it stays in the shell's
// job: Ctrl-Z, the terminal and job control work as for the command alone).
// A signal sent to that group (Ctrl-C from the terminal, `kill -INT -PGID`,
// `timeout`, which signals its command and then its process group) reaches
// the command directly; one sent to the wrapper alone (`kill -INT PID`) does
// not, and the wrapper passes it on. The signal's information does not tell
// the two apart (kill() to a pid or to a group both give SI_USER), so a
// witness does: a small process of the same group that blocks the forwarded
// signals and reports each one it gets on a pipe. A signal the wrapper got
// is a group signal when the witness got it too (from the same sender) within
// kWindowS, or still has it pending then; otherwise it is passed on.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace carbontracker {

// One signal received, as written on the event pipe (one write, atomic).
struct SignalEvent {
  int32_t from_witness;  // 1: the witness got it; 0: the wrapper did
  int32_t sig;
  int32_t sender;  // si_pid (0 for the terminal's signals)
  int32_t code;    // si_code
};

// What the witness says of a signal that is due: it has it pending (a group
// signal it has not reported yet), it has not, or it is gone.
enum class WitnessPending { kYes, kNo, kGone };

// The decision, kept apart from processes and clocks so that it can be tested.
class ForwardDecider {
 public:
  // How long a signal the wrapper got waits for the witness's copy before it
  // is passed on (the delay of a signal sent to the wrapper alone), and how
  // long later copies of a group signal from the same sender are dropped
  // (timeout's second one).
  static constexpr double kWindowS = 0.15;

  void wrapper_got(const SignalEvent& e, double now);
  void witness_got(const SignalEvent& e, double now);
  // The signals whose window has ended at `now` without the witness's copy,
  // in the order received: to pass on. pending(sig) is asked of each first.
  std::vector<int> due(double now, const std::function<WitnessPending(int sig)>& pending);
  // When due() next has something to do (< 0: never).
  double next_deadline() const;

 private:
  struct Entry {
    int sig, sender, code;
    double t;
  };
  void prune(double now);
  std::vector<Entry> waiting_;    // the wrapper got it, the witness not (yet)
  std::vector<Entry> witnessed_;  // the witness got it, the wrapper not (yet)
  std::vector<Entry> matched_;    // group signals: later copies dropped
};

// Starts the witness (call with every signal blocked: the witness keeps them
// blocked and waits for them) and the event pipe. Returns false, leaving
// nothing behind, where it cannot (the wrapper then falls back to the signal
// information: terminal signals are not passed on, others are).
bool start_witness(const int forwarded[], int count);
// The witness's pid (0: none) and the read end of the event pipe (-1: none).
pid_t witness_pid();
int event_pipe_read_end();
// The write end, for the signal handler (-1: none). Async-signal-safe.
int event_pipe_write_end();
// Reads /proc/PID/status of the witness for `sig` pending.
WitnessPending witness_has_pending(int sig);
// Ends the witness. reap: kill and wait for it now (the event pipe is kept
// for the next one); otherwise it is left to end with the wrapper (it dies
// with its parent), which is about to exit.
void stop_witness(bool reap);

}  // namespace carbontracker
