#include <malloc.h>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // The heap grows in 1 MB steps and is never given back to the system while
  // the wrapper runs: one brk(2) instead of one per growth and trim (system
  // calls are dear on some hosts). Untouched pages cost no memory.
  mallopt(M_TOP_PAD, 1 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  try {
    // The process exits right after: no need to put the signal handlers back.
    return carbontracker::run_cli(std::vector<std::string>(argv, argv + argc),
                                  carbontracker::SignalHandlers::kLeave);
  } catch (const std::exception& e) {
    std::cerr << "carbontracker: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "carbontracker: internal error\n";
  }
  return 70;
}
