#include <string>
#include <vector>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // The process exits right after: no need to put the signal handlers back.
  return carbontracker::run_cli(std::vector<std::string>(argv, argv + argc),
                                carbontracker::SignalHandlers::kLeave);
}
