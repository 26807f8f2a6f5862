#include "sensors/gpu/process_tree.h"

#include <dirent.h>

#include <cctype>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

namespace carbontracker {
namespace {

// The parent pid in a stat line, or -1. The command name sits in parentheses
// and may itself hold spaces and ')', so parse after the last ')'.
int parent_pid(const std::string& stat_line) {
  size_t close = stat_line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat_line.substr(close + 1));
  std::string state;
  int ppid = -1;
  if (!(rest >> state >> ppid)) return -1;
  return ppid;
}

}  // namespace

std::set<int> process_tree_pids(const std::string& proc_root, int root_pid) {
  std::set<int> tree{root_pid};
  std::multimap<int, int> children;  // ppid -> pid
  if (DIR* dir = opendir(proc_root.c_str())) {
    while (dirent* entry = readdir(dir)) {
      const char* name = entry->d_name;
      bool numeric = *name != '\0';
      for (const char* c = name; *c; ++c)
        numeric = numeric && std::isdigit(static_cast<unsigned char>(*c));
      if (!numeric) continue;
      std::ifstream in(proc_root + "/" + name + "/stat");
      std::string line;
      if (!std::getline(in, line)) continue;
      int ppid = parent_pid(line);
      if (ppid > 0) children.emplace(ppid, std::atoi(name));
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
