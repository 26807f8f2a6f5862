#include <string>
#include <vector>

#include "cli/cli.h"

int main(int argc, char** argv) {
  return carbontracker::run_cli(std::vector<std::string>(argv, argv + argc));
}
