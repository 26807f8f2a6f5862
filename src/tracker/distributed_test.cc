#include "tracker/distributed.h"

#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fakes/fake_powercap_tree.h"

namespace carbontracker {
namespace {

namespace fs = std::filesystem;

Environment env_of(std::map<std::string, std::string> vars) {
  Environment env;
  env.vars = std::move(vars);
  return env;
}

using carbontracker::testing::TempDir;  // tests/fakes/fake_powercap_tree.h

TEST(DetectLauncher, NoneOutsideALauncher) {
  LaunchInfo l = detect_launcher(env_of({{"HOME", "/root"}, {"RANK", "3"}}));
  EXPECT_EQ(l.launcher, "");
  EXPECT_EQ(l.rank, -1);
}

TEST(DetectLauncher, Torchrun) {
  LaunchInfo l = detect_launcher(env_of({{"RANK", "5"},
                                         {"LOCAL_RANK", "1"},
                                         {"WORLD_SIZE", "8"},
                                         {"LOCAL_WORLD_SIZE", "4"},
                                         {"GROUP_RANK", "1"},
                                         {"TORCHELASTIC_RUN_ID", "none"},
                                         {"MASTER_ADDR", "10.0.0.1"},
                                         {"MASTER_PORT", "29500"}}));
  EXPECT_EQ(l.launcher, "torchrun");
  EXPECT_EQ(l.rank, 5);
  EXPECT_EQ(l.world_size, 8);
  EXPECT_EQ(l.local_rank, 1);
  EXPECT_EQ(l.local_world_size, 4);
  EXPECT_EQ(l.node, 1);
  EXPECT_EQ(l.nodes, 2);
  EXPECT_EQ(l.job, "torchrun:10.0.0.1:29500");
  l = detect_launcher(env_of({{"RANK", "0"},
                              {"WORLD_SIZE", "2"},
                              {"LOCAL_RANK", "0"},
                              {"TORCHELASTIC_RUN_ID", "abc"},
                              {"MASTER_ADDR", "h"},
                              {"MASTER_PORT", "1"}}));
  EXPECT_EQ(l.job, "torchrun:abc@h:1");
}

TEST(DetectLauncher, TorchrunInsideSlurmTakesTheSlurmJob) {
  LaunchInfo l = detect_launcher(env_of({{"RANK", "3"},
                                         {"LOCAL_RANK", "3"},
                                         {"WORLD_SIZE", "4"},
                                         {"MASTER_ADDR", "n1"},
                                         {"SLURM_JOB_ID", "77"},
                                         {"SLURM_STEP_ID", "2"},
                                         {"SLURM_PROCID", "0"},
                                         {"SLURM_NODEID", "0"},
                                         {"SLURM_JOB_NUM_NODES", "1"}}));
  EXPECT_EQ(l.launcher, "torchrun");
  EXPECT_EQ(l.rank, 3);
  EXPECT_EQ(l.job, "77");
  EXPECT_EQ(l.step, "2");
  EXPECT_EQ(l.node, 0);
  EXPECT_EQ(l.nodes, 1);
}

TEST(DetectLauncher, Slurm) {
  LaunchInfo l = detect_launcher(env_of({{"SLURM_JOB_ID", "1234"},
                                         {"SLURM_STEP_ID", "0"},
                                         {"SLURM_PROCID", "6"},
                                         {"SLURM_LOCALID", "2"},
                                         {"SLURM_NODEID", "1"},
                                         {"SLURM_NTASKS", "8"},
                                         {"SLURM_JOB_NUM_NODES", "2"}}));
  EXPECT_EQ(l.launcher, "slurm");
  EXPECT_EQ(l.rank, 6);
  EXPECT_EQ(l.world_size, 8);
  EXPECT_EQ(l.local_rank, 2);
  EXPECT_EQ(l.node, 1);
  EXPECT_EQ(l.nodes, 2);
  EXPECT_EQ(l.job, "1234");
  EXPECT_EQ(l.step, "0");
}

TEST(DetectLauncher, OpenMpiAndMpich) {
  LaunchInfo l = detect_launcher(env_of({{"OMPI_COMM_WORLD_RANK", "1"},
                                         {"OMPI_COMM_WORLD_SIZE", "4"},
                                         {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
                                         {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"},
                                         {"PMIX_NAMESPACE", "prterun-h-123@1"}}));
  EXPECT_EQ(l.launcher, "openmpi");
  EXPECT_EQ(l.rank, 1);
  EXPECT_EQ(l.local_rank, 1);
  EXPECT_EQ(l.nodes, 2);
  EXPECT_EQ(l.job, "openmpi:prterun-h-123@1");
  l = detect_launcher(env_of({{"PMI_RANK", "2"}, {"PMI_SIZE", "3"}}));
  EXPECT_EQ(l.launcher, "mpich");
  EXPECT_EQ(l.rank, 2);
  EXPECT_EQ(l.world_size, 3);
  EXPECT_EQ(l.local_rank, -1);
  EXPECT_EQ(l.job, "");
}

TEST(DetectLauncher, MalformedNumbersCountAsAbsent) {
  LaunchInfo l = detect_launcher(env_of({{"SLURM_JOB_ID", "9"},
                                         {"SLURM_PROCID", "1"},
                                         {"SLURM_LOCALID", "x1"},
                                         {"SLURM_NTASKS", "-4"}}));
  EXPECT_EQ(l.launcher, "slurm");
  EXPECT_EQ(l.local_rank, -1);
  EXPECT_EQ(l.world_size, -1);
}

TEST(ResolveDistributed, LocalRankZeroMeasures) {
  TempDir dir;
  auto env =
      env_of({{"RANK", "3"}, {"LOCAL_RANK", "1"}, {"WORLD_SIZE", "8"}, {"MASTER_ADDR", "a"}});
  DistributedInfo d = resolve_distributed("auto", env, "host1", 1, fs::path(dir.path()));
  EXPECT_FALSE(d.measures);
  EXPECT_EQ(d.measured_by, "local rank 0");
  EXPECT_EQ(d.message, "rank 3 of 8: node measured by local rank 0");
  env.vars["LOCAL_RANK"] = "0";
  env.vars["RANK"] = "2";
  d = resolve_distributed("auto", env, "host1", 1, fs::path(dir.path()));
  EXPECT_TRUE(d.measures);
  EXPECT_EQ(d.message, "rank 2 of 8 (torchrun): measures this node (host1) for its local ranks");
  // Local rank 0 holds the job's node lock, in case another process claims it too.
  EXPECT_TRUE(fs::exists(fs::path(dir.path()) / NodeLock::file_name("torchrun:a")));
  TempDir other;
  env.vars["LOCAL_RANK"] = "1";
  EXPECT_FALSE(resolve_distributed("auto", env, "host1", 1, fs::path(other.path())).measures);
  EXPECT_TRUE(fs::is_empty(fs::path(other.path())));  // the other local ranks take no lock
}

// Trainings started in the background of one batch script, without srun,
// all carry SLURM_PROCID=0 and SLURM_LOCALID=0: the node lock decides.
TEST(ResolveDistributed, TwoProcessesClaimingLocalRankZeroOfOneStepMeasureOnce) {
  TempDir dir;
  auto env = env_of({{"SLURM_JOB_ID", "77"},
                     {"SLURM_PROCID", "0"},
                     {"SLURM_LOCALID", "0"},
                     {"SLURM_NTASKS", "1"},
                     {"SLURM_JOB_NUM_NODES", "1"},
                     {"SLURM_NODEID", "0"}});
  int ready[2], release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  pid_t child = fork();
  if (child == 0) {
    DistributedInfo d = resolve_distributed("auto", env, "h", 1, fs::path(dir.path()));
    char c = d.measures ? 'y' : 'n';
    [[maybe_unused]] ssize_t n = write(ready[1], &c, 1);
    n = read(release[0], &c, 1);
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  EXPECT_EQ(c, 'y');
  DistributedInfo d = resolve_distributed("auto", env, "h", 1, fs::path(dir.path()));
  EXPECT_FALSE(d.measures);
  EXPECT_TRUE(claimed_twice(d));
  std::string path = (fs::path(dir.path()) / NodeLock::file_name("77.node0")).string();
  EXPECT_EQ(d.measured_by, "pid " + std::to_string(child) + ", holder of the node lock " + path);
  EXPECT_EQ(d.message, "rank 0 of 1: node measured by " + d.measured_by +
                           "; both claim local rank 0 of job 77 on this node (as processes "
                           "started in one batch script without srun do)");
  // Another step of the job is another claim, and so is another node of the
  // job (two nodes may share a machine in a test cluster).
  auto step = env;
  step.vars["SLURM_STEP_ID"] = "1";
  EXPECT_TRUE(resolve_distributed("auto", step, "h", 1, fs::path(dir.path())).measures);
  auto node = env;
  node.vars["SLURM_NODEID"] = "1";
  node.vars["SLURM_JOB_NUM_NODES"] = "2";
  EXPECT_TRUE(resolve_distributed("auto", node, "h", 1, fs::path(dir.path())).measures);

  ASSERT_EQ(write(release[1], "x", 1), 1);
  waitpid(child, nullptr, 0);
  d = resolve_distributed("auto", env, "h", 1, fs::path(dir.path()));
  EXPECT_TRUE(d.measures) << d.message;
  EXPECT_FALSE(claimed_twice(d));
  EXPECT_EQ(d.message, "rank 0 of 1 (slurm): measures node 0 of 1 (h) for its local ranks");
  for (int fd : {ready[0], ready[1], release[0], release[1]}) close(fd);
}

TEST(ResolveDistributed, OffMeasuresAndSaysSo) {
  auto env =
      env_of({{"RANK", "1"}, {"LOCAL_RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}});
  DistributedInfo d = resolve_distributed("off", env, "h", 1);
  EXPECT_TRUE(d.measures);
  EXPECT_EQ(d.policy, "off");
  EXPECT_NE(d.message.find("distributed=off: rank 1 of 2 (torchrun) measures everything"),
            std::string::npos)
      << d.message;
}

TEST(ResolveDistributed, NoLauncherMeasuresSilently) {
  DistributedInfo d = resolve_distributed("auto", env_of({}), "h", 1);
  EXPECT_TRUE(d.measures);
  EXPECT_EQ(d.message, "");
  EXPECT_EQ(d.launcher, "");
}

TEST(ResolveDistributed, TheWrapperOnThisHostMeasures) {
  auto env = env_of({{kMeasuredByVar, "4242@host1"}});
  DistributedInfo d = resolve_distributed("auto", env, "host1", 1);
  EXPECT_FALSE(d.measures);
  EXPECT_EQ(d.message, "this process: node measured by the carbontracker wrapper (pid 4242)");
  // A mark carried to another node by the launcher's environment is not ours.
  d = resolve_distributed("auto", env, "host2", 1);
  EXPECT_TRUE(d.measures);
  EXPECT_TRUE(resolve_distributed("off", env, "host1", 1).measures);
}

// Without a local rank the first process of the job to take the lock
// measures; the lock is held until that process ends.
TEST(ResolveDistributed, NodeLockElectsOneProcessUntilItEnds) {
  TempDir dir;
  auto env = env_of({{"PMI_RANK", "1"}, {"PMI_SIZE", "2"}, {"PMI_KVSNAME", "kvs_1"}});
  int ready[2], release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  pid_t child = fork();
  if (child == 0) {
    DistributedInfo d = resolve_distributed(
        "auto", env_of({{"PMI_RANK", "0"}, {"PMI_SIZE", "2"}, {"PMI_KVSNAME", "kvs_1"}}), "h", 1,
        fs::path(dir.path()));
    char c = d.measures ? 'y' : 'n';
    [[maybe_unused]] ssize_t n = write(ready[1], &c, 1);
    n = read(release[0], &c, 1);
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  EXPECT_EQ(c, 'y');
  DistributedInfo d = resolve_distributed("auto", env, "h", 1, fs::path(dir.path()));
  EXPECT_FALSE(d.measures);
  std::string path = (fs::path(dir.path()) / NodeLock::file_name("mpich:kvs_1")).string();
  EXPECT_EQ(d.message, "rank 1 of 2: node measured by pid " + std::to_string(child) +
                           ", holder of the node lock " + path);
  // Another job on the same node has its own lock.
  auto other = env;
  other.vars["PMI_KVSNAME"] = "kvs_2";
  EXPECT_TRUE(resolve_distributed("auto", other, "h", 1, fs::path(dir.path())).measures);

  ASSERT_EQ(write(release[1], "x", 1), 1);
  int status = 0;
  waitpid(child, &status, 0);
  d = resolve_distributed("auto", env, "h", 1, fs::path(dir.path()));
  EXPECT_TRUE(d.measures) << d.message;
  EXPECT_NE(d.message.find("first of the job to take the node lock " + path), std::string::npos);
  // The same process asking again keeps its own lock.
  EXPECT_TRUE(resolve_distributed("auto", env, "h", 1, fs::path(dir.path())).measures);
  for (int fd : {ready[0], ready[1], release[0], release[1]}) close(fd);
}

TEST(ResolveDistributed, WithoutAJobTheParentKeysTheLock) {
  TempDir dir;
  auto env = env_of({{"PMI_RANK", "0"}});
  EXPECT_TRUE(resolve_distributed("auto", env, "h", 31337, fs::path(dir.path())).measures);
  EXPECT_TRUE(fs::exists(fs::path(dir.path()) / NodeLock::file_name("ppid-31337")));
}

TEST(ResolveDistributed, AnUnusableLockDirMeasuresAndSaysHowToFixIt) {
  auto env = env_of({{"PMI_RANK", "0"}, {"PMI_KVSNAME", "k"}});
  DistributedInfo d = resolve_distributed("auto", env, "h", 1, "/nonexistent/dir");
  EXPECT_TRUE(d.measures);
  EXPECT_NE(d.message.find("cannot open the node lock directory /nonexistent/dir: No such file or "
                           "directory; this process measures"),
            std::string::npos);
  EXPECT_NE(d.message.find("Set XDG_RUNTIME_DIR"), std::string::npos);
}

TEST(NodeLock, FileNamesAreSafeAndShort) {
  std::string uid = std::to_string(getuid());
  EXPECT_EQ(NodeLock::file_name("openmpi:a/b@1"), "carbontracker-" + uid + "-openmpi_a_b_1.lock");
  std::string long_key(200, 'k');
  std::string name = NodeLock::file_name(long_key);
  EXPECT_LT(name.size(), 100u);
  EXPECT_NE(name, NodeLock::file_name(long_key + "x"));
}

}  // namespace
}  // namespace carbontracker
