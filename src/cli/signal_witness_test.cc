#include "cli/signal_witness.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace carbontracker {
namespace {

SignalEvent from_wrapper(int sig, int sender, int code = SI_USER) { return {0, sig, sender, code}; }
SignalEvent from_witness(int sig, int sender, int code = SI_USER) { return {1, sig, sender, code}; }

WitnessPending none(int) { return WitnessPending::kNo; }

constexpr double kW = ForwardDecider::kWindowS;

TEST(ForwardDecider, ASignalToTheWrapperAloneIsPassedOnAfterTheWindow) {
  ForwardDecider d;
  d.wrapper_got(from_wrapper(SIGINT, 42), 10.0);
  EXPECT_DOUBLE_EQ(d.next_deadline(), 10.0 + kW);
  EXPECT_TRUE(d.due(10.0 + kW / 2, none).empty());
  EXPECT_EQ(d.due(10.0 + kW, none), std::vector<int>{SIGINT});
  EXPECT_LT(d.next_deadline(), 0);
  EXPECT_TRUE(d.due(20, none).empty());  // once
}

TEST(ForwardDecider, ASignalTheWitnessGotTooIsNotPassedOn) {
  for (bool witness_first : {false, true}) {
    ForwardDecider d;
    if (witness_first) d.witness_got(from_witness(SIGTERM, 7), 1.0);
    d.wrapper_got(from_wrapper(SIGTERM, 7), 1.001);
    if (!witness_first) d.witness_got(from_witness(SIGTERM, 7), 1.002);
    EXPECT_TRUE(d.due(5, none).empty()) << witness_first;
    EXPECT_LT(d.next_deadline(), 0);
  }
}

// timeout: kill(wrapper) and then kill(its group), in any order of arrival.
TEST(ForwardDecider, TimeoutsTwoCopiesAreOneGroupSignal) {
  const int orders[3][3] = {{0, 0, 1}, {0, 1, 0}, {1, 0, 0}};  // 1: the witness's copy
  for (const auto& order : orders) {
    ForwardDecider d;
    double t = 3.0;
    for (int who : order) {
      if (who)
        d.witness_got(from_witness(SIGINT, 99), t);
      else
        d.wrapper_got(from_wrapper(SIGINT, 99), t);
      t += 0.001;
    }
    EXPECT_TRUE(d.due(t + 1, none).empty()) << order[0] << order[1] << order[2];
  }
}

// The witness has not run yet when the window ends, but the kernel queued the
// group's copy to it: not passed on, and its late report changes nothing.
TEST(ForwardDecider, ACopyPendingInTheWitnessCountsAsSeen) {
  ForwardDecider d;
  d.wrapper_got(from_wrapper(SIGINT, 5), 0);
  EXPECT_TRUE(d.due(kW, [](int sig) {
                 return sig == SIGINT ? WitnessPending::kYes : WitnessPending::kNo;
               }).empty());
  d.witness_got(from_witness(SIGINT, 5), kW + 0.01);
  EXPECT_TRUE(d.due(kW + 1, none).empty());
}

// A signal from another sender, or another signal, is another event.
TEST(ForwardDecider, SendersAndSignalsAreTold) {
  ForwardDecider d;
  d.wrapper_got(from_wrapper(SIGINT, 1), 0);
  d.wrapper_got(from_wrapper(SIGTERM, 2), 0);
  d.witness_got(from_witness(SIGINT, 3), 0);  // a group signal from someone else
  d.wrapper_got(from_wrapper(SIGINT, 3), 0);
  EXPECT_EQ(d.due(kW, none), (std::vector<int>{SIGINT, SIGTERM}));
}

// Two sent to the wrapper alone, further apart than the window: both passed on.
TEST(ForwardDecider, TwoSignalsApartAreTwo) {
  ForwardDecider d;
  d.wrapper_got(from_wrapper(SIGUSR1, 8), 0);
  EXPECT_EQ(d.due(kW, none).size(), 1u);
  d.wrapper_got(from_wrapper(SIGUSR1, 8), 2 * kW);
  EXPECT_EQ(d.due(4 * kW, none).size(), 1u);
}

// Without a witness (it was killed): the terminal's signals reached the whole
// group; the others are passed on.
TEST(ForwardDecider, WithoutTheWitnessTheSignalInformationDecides) {
  ForwardDecider d;
  d.wrapper_got(from_wrapper(SIGINT, 0, SI_KERNEL), 0);
  d.wrapper_got(from_wrapper(SIGTERM, 4, SI_USER), 0);
  EXPECT_EQ(d.due(kW, [](int) { return WitnessPending::kGone; }), std::vector<int>{SIGTERM});
}

// The witness as a process: a signal sent to it alone is reported on the pipe,
// and one it has blocked and not yet taken shows as pending.
TEST(SignalWitness, ReportsWhatItGets) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  const int forwarded[] = {SIGUSR1, SIGUSR2};
  ASSERT_TRUE(start_witness(forwarded, 2));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  pid_t w = witness_pid();
  ASSERT_GT(w, 0);
  ASSERT_GE(event_pipe_write_end(), 0);
  kill(w, SIGUSR2);
  SignalEvent e{};
  int fd = event_pipe_read_end();
  for (int i = 0; i < 60000 && read(fd, &e, sizeof e) != static_cast<ssize_t>(sizeof e); ++i)
    usleep(1000);
  EXPECT_EQ(e.from_witness, 1);
  EXPECT_EQ(e.sig, SIGUSR2);
  EXPECT_EQ(e.sender, getpid());
  EXPECT_EQ(witness_has_pending(SIGUSR2), WitnessPending::kNo);
  // SIGHUP is not one it waits for: it stays pending (blocked).
  kill(w, SIGHUP);
  WitnessPending p = WitnessPending::kNo;
  for (int i = 0; i < 60000 && (p = witness_has_pending(SIGHUP)) != WitnessPending::kYes; ++i)
    usleep(1000);
  EXPECT_EQ(p, WitnessPending::kYes);
  stop_witness(/*reap=*/true);
  EXPECT_EQ(witness_pid(), 0);
  EXPECT_EQ(witness_has_pending(SIGUSR2), WitnessPending::kGone);
  EXPECT_EQ(event_pipe_write_end(), -1);
}

}  // namespace
}  // namespace carbontracker
