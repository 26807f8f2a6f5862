// Which process of a distributed job measures a node.
//
// A training job launched by torchrun, Slurm or MPI runs one process per
// rank, several per node. The node's CPU, DRAM and GPUs must be measured once,
// so per node exactly one process measures and the others are quiet handles
// on the same API:
//   1. the launcher is recognised from its environment (detect_launcher);
//   2. where it names the local rank, local rank 0 measures;
//   3. where it does not, the first process of the job to take a node-local
//      lock keyed by the job measures (NodeLock); the lock is released when
//      that process ends.
// A process started by the command-line wrapper finds the wrapper's mark
// (kMeasuredByVar) in its environment: the wrapper measures the node, so the
// process does not.
#pragma once

#include <string>

#include "carbontracker/environment.h"
#include "carbontracker/results.h"
#include "logs/jsonl_writer.h"

namespace carbontracker {

// Set by the command-line wrapper for its command: "PID@HOST" of the wrapper
// that measures this node (or of one that does not, but whose node is
// measured by another wrapper of the same job).
inline constexpr const char* kMeasuredByVar = "CARBONTRACKER_MEASURED_BY";

// What the launcher's environment says about this process. Numbers are -1
// where the launcher does not say.
struct LaunchInfo {
  std::string launcher;  // "torchrun", "openmpi", "mpich", "slurm"; empty: none found
  std::string job;       // job identity shared by all its processes; may be empty
  std::string step;      // Slurm step id, else empty
  int rank = -1;
  int world_size = -1;
  int local_rank = -1;
  int local_world_size = -1;
  int node = -1;   // index of this node in the job
  int nodes = -1;  // nodes the job runs on
};

// Reads the launcher variables from env.vars (a pure function: tests pass a
// fake environment). The most specific launcher wins: torchrun
// (RANK/LOCAL_RANK/WORLD_SIZE/LOCAL_WORLD_SIZE/GROUP_RANK), then Open MPI
// (OMPI_COMM_WORLD_*), then MPICH/Intel MPI (PMI_RANK, PMI_SIZE,
// MPI_LOCALRANKID, MPI_LOCALNRANKS), then Slurm (SLURM_PROCID, SLURM_LOCALID,
// SLURM_NODEID, SLURM_NTASKS, SLURM_JOB_NUM_NODES). The job is SLURM_JOB_ID
// wherever Slurm is present (also for torchrun or mpirun inside a Slurm job),
// else the launcher's own run identity; a malformed number counts as absent.
LaunchInfo detect_launcher(const Environment& env);

// True when env shows a launcher or the wrapper's mark: only then does the
// decision need the host name and the parent's pid (asked of the kernel).
bool in_distributed_context(const Environment& env);

// The directory of this user's node locks: $XDG_RUNTIME_DIR (from env) when
// it is a directory (not a link) of this user's, writable by no one else,
// else TMP/carbontracker-UID, created 0700 when missing. What is found there
// is checked by NodeLock::take, not here.
std::string node_lock_dir(const Environment& env, const std::string& tmp = "/tmp");

// A node-local lock keyed by a job: an flock(2) on DIR/carbontracker-UID-KEY.lock.
// Once taken, it is held until the process ends (the descriptor is never
// closed; the kernel releases it at exit, even after kill -9), and a later
// take() for the same key in the same process succeeds again.
//
// Another user must neither hold nor redirect it: the directory is opened
// without following a link and must belong to this user and be writable by
// no one else; the file is opened with O_NOFOLLOW and must be a regular file
// of this user's. Otherwise the outcome is kUntrusted, and the file is
// neither locked, truncated nor written.
class NodeLock {
 public:
  enum class Outcome { kTaken, kHeldByAnother, kUntrusted, kError };
  struct Result {
    Outcome outcome = Outcome::kError;
    std::string path;
    std::string error;       // for kUntrusted and kError: what is wrong, with the reason
    std::string holder_pid;  // for kHeldByAnother: the pid the holder wrote, or ""
  };
  // The file holds the holder's pid (for messages only).
  static Result take(const std::string& job_key, const std::string& dir);
  // The file name for a key: characters other than [A-Za-z0-9._-] become
  // '_'; keys over 64 characters are shortened with a hash of the whole key.
  static std::string file_name(const std::string& job_key);
};

// Decides whether this process measures, under policy "auto" or "off".
// `hostname` is this machine's name (for the wrapper's mark); `parent_pid`
// keys the lock when the launcher names no job (processes started by one
// launcher process share it). `lock_dir` empty = node_lock_dir(env). A lock
// that cannot be trusted, or taken, is said in the message, and this
// process measures.
DistributedInfo resolve_distributed(const std::string& policy, const Environment& env,
                                    const std::string& hostname, long parent_pid,
                                    const std::string& lock_dir = "");

// Adds the job's coordinates to the logs' run metadata (cluster map), as
// strings, where known: "distributed" (the policy), "launcher",
// "job", "step", "node", "nodes", "rank", "world_size", "local_rank". Adds nothing outside a
// launcher under "auto".
void add_distributed_metadata(const DistributedInfo& d, RunMetadata& meta);

// Whether another process of the same job step on this node claims local
// rank 0 too and measures it (the node lock decided against this one): its
// message is worth saying at verbose 1, not only at 2.
bool claimed_twice(const DistributedInfo& d);

// "rank 3 of 8" (or "rank 3" / "this process" where the numbers are unknown).
std::string rank_words(const DistributedInfo& d);

}  // namespace carbontracker
