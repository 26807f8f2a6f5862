// `carbontracker --parse` without the rest of the CLI: runs
// run_parse_command on its arguments. Used by the parser benchmark
// (notes/parser.md) so it measures exactly the parse path.
//   parse_cli_helper DIR [--format text|json] [--by job|host] [--recursive]
#include <iostream>
#include <string>
#include <vector>

#include "logs/parse_cli.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  return carbontracker::run_parse_command(args, std::cout, std::cerr);
}
