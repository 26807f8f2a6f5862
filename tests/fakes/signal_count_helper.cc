// A command that counts the SIGINTs it receives, for the tests of how the
// wrapper passes signals on. Run in a directory of its own: it writes
// `started` once its handler is in place and, 1 s after the first SIGINT
// (long after a second copy passed on by the wrapper would have come), writes
// the number received to `count` and exits 0.
#include <signal.h>
#include <time.h>

#include <cstdio>

namespace {

volatile sig_atomic_t g_count = 0;

void on_sigint(int) { g_count = g_count + 1; }

double now_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

}  // namespace

int main() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  if (FILE* f = std::fopen("started", "w")) std::fclose(f);
  double first = -1;
  for (;;) {
    timespec step{0, 5 * 1000 * 1000};
    nanosleep(&step, nullptr);
    if (g_count > 0 && first < 0) first = now_s();
    if (first >= 0 && now_s() - first >= 1.0) break;
  }
  FILE* f = std::fopen("count", "w");
  if (!f) return 1;
  std::fprintf(f, "%d\n", static_cast<int>(g_count));
  std::fclose(f);
  return 0;
}
