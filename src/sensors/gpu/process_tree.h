// The tracked process and its descendants, read from procfs.
#pragma once

#include <set>
#include <string>

namespace carbontracker {

// root_pid and every process whose chain of parent links (field 4 of
// <proc_root>/<pid>/stat) leads to it. Entries that vanish or do not parse
// while being read are skipped: processes come and go. root_pid is always in
// the result, even when <proc_root> cannot be read.
std::set<int> process_tree_pids(const std::string& proc_root, int root_pid);

}  // namespace carbontracker
