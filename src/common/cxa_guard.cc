// Guards of function-local statics for builds with libc++ (the wheels' Zig
// toolchain, cmake/zig-toolchain.cmake). libc++abi's own guard asks the kernel
// for the thread's id (gettid) at the first use of every such static, nine
// system calls at each start of the command-line program that libstdc++'s
// guard does not make (BENCHMARKS.md, system calls at start-up). These
// replace it, statically linked before libc++abi: the Itanium C++ ABI's
// protocol (byte 0 of the guard set once initialised, read by the compiler's
// inline check) with one process-wide mutex and condition variable, which
// cost no system call when nobody waits. A static whose initialiser needs
// itself waits forever here (undefined behaviour in C++ in any case).
#include <cstddef>  // _LIBCPP_VERSION

#if defined(_LIBCPP_VERSION) && defined(__linux__)
#include <pthread.h>

#include <cstdint>

namespace {

pthread_mutex_t guard_mutex = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t guard_cond = PTHREAD_COND_INITIALIZER;

unsigned char* bytes(std::uint64_t* guard) { return reinterpret_cast<unsigned char*>(guard); }

}  // namespace

extern "C" {

// 1: the caller runs the initialiser, then calls __cxa_guard_release (or
// __cxa_guard_abort if it throws); 0: the static is initialised.
int __cxa_guard_acquire(std::uint64_t* guard) {
  unsigned char* g = bytes(guard);
  if (__atomic_load_n(&g[0], __ATOMIC_ACQUIRE) != 0) return 0;
  pthread_mutex_lock(&guard_mutex);
  int run = 0;
  for (;;) {
    if (__atomic_load_n(&g[0], __ATOMIC_ACQUIRE) != 0) break;  // another thread finished it
    if (g[1] == 0) {  // nobody is initialising it: this thread does
      g[1] = 1;
      run = 1;
      break;
    }
    pthread_cond_wait(&guard_cond, &guard_mutex);
  }
  pthread_mutex_unlock(&guard_mutex);
  return run;
}

void __cxa_guard_release(std::uint64_t* guard) {
  unsigned char* g = bytes(guard);
  pthread_mutex_lock(&guard_mutex);
  g[1] = 0;
  __atomic_store_n(&g[0], 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&guard_cond);
  pthread_mutex_unlock(&guard_mutex);
}

void __cxa_guard_abort(std::uint64_t* guard) {
  unsigned char* g = bytes(guard);
  pthread_mutex_lock(&guard_mutex);
  g[1] = 0;
  pthread_cond_broadcast(&guard_cond);
  pthread_mutex_unlock(&guard_mutex);
}

}  // extern "C"
#endif
