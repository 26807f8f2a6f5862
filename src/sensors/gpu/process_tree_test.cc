#include "sensors/gpu/process_tree.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace carbontracker {
namespace {

void write_stat(const std::string& root, int pid, const std::string& comm, int ppid) {
  std::filesystem::create_directories(root + "/" + std::to_string(pid));
  std::ofstream(root + "/" + std::to_string(pid) + "/stat")
      << pid << " (" << comm << ") S " << ppid << " 1 1 0 -1 4194560 0 0 0 0\n";
}

TEST(ProcessTreeTest, FollowsParentLinksFromFixtureTree) {
  std::string root = ::testing::TempDir() + "/proc_tree_fixture";
  std::filesystem::remove_all(root);
  write_stat(root, 1, "init", 0);
  write_stat(root, 100, "python", 1);
  write_stat(root, 101, "worker) S 1 (odd", 100);  // a name with ") S 1 (" inside
  write_stat(root, 102, "dataloader", 101);
  write_stat(root, 200, "other", 1);
  write_stat(root, 201, "other-child", 200);
  std::filesystem::create_directories(root + "/self");
  std::ofstream(root + "/300");  // not a directory
  EXPECT_EQ(process_tree_pids(root, 100), (std::set<int>{100, 101, 102}));
  EXPECT_EQ(process_tree_pids(root, 200), (std::set<int>{200, 201}));
  EXPECT_EQ(process_tree_pids(root, 102), (std::set<int>{102}));
}

TEST(ProcessTreeTest, MissingRootGivesTheRootPidAlone) {
  EXPECT_EQ(process_tree_pids("/nonexistent/proc", 42), (std::set<int>{42}));
}

TEST(ProcessTreeTest, FindsARealChildProcess) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  std::set<int> tree = process_tree_pids("/proc", getpid());
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_TRUE(tree.count(child));
  EXPECT_TRUE(tree.count(getpid()));
  EXPECT_FALSE(tree.count(1));
}

}  // namespace
}  // namespace carbontracker
