#include "sensors/gpu/process_tree.h"

#include <dirent.h>

#include <fstream>
#include <map>
#include <vector>

#include "common/number.h"
#include "common/text.h"

namespace carbontracker {
namespace {

// The parent pid in a stat line ("PID (COMM) STATE PPID ..."), or -1. The
// command name may itself hold spaces and ')', so parse after the last ')'.
int parent_pid(const std::string& stat_line) {
  size_t close = stat_line.rfind(')');
  if (close == std::string::npos) return -1;
  std::string_view rest = trim(std::string_view(stat_line).substr(close + 1));
  size_t after_state = rest.find(' ');
  if (after_state == std::string_view::npos) return -1;
  rest = trim(rest.substr(after_state));
  return parse_integer<int>(rest.substr(0, rest.find(' '))).value_or(-1);
}

}  // namespace

std::set<int> process_tree_pids(const std::string& proc_root, int root_pid) {
  std::set<int> tree{root_pid};
  std::multimap<int, int> children;  // ppid -> pid
  if (DIR* dir = opendir(proc_root.c_str())) {
    while (dirent* entry = readdir(dir)) {
      const char* name = entry->d_name;
      std::optional<int> pid = parse_integer<int>(name);
      if (!pid || *pid <= 0) continue;
      std::ifstream in(proc_root + "/" + name + "/stat");
      std::string line;
      if (!std::getline(in, line)) continue;
      int ppid = parent_pid(line);
      if (ppid > 0) children.emplace(ppid, *pid);
    }
    closedir(dir);
  }
  std::vector<int> todo{root_pid};
  while (!todo.empty()) {
    int pid = todo.back();
    todo.pop_back();
    auto [lo, hi] = children.equal_range(pid);
    for (auto it = lo; it != hi; ++it) {
      if (tree.insert(it->second).second) todo.push_back(it->second);
    }
  }
  return tree;
}

}  // namespace carbontracker
