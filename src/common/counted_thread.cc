#include "common/counted_thread.h"

#include <atomic>

namespace carbontracker {

namespace {
std::atomic<int> g_running{0};
}  // namespace

int running_library_threads() { return g_running.load(); }
void CountedThread::note_started() { ++g_running; }
void CountedThread::note_joined() { --g_running; }

}  // namespace carbontracker
