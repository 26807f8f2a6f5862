// Implementation details: detection is a pure function of the environment
// map; the lock is the only side effect. Held locks are kept in a
// process-wide table so that a second tracker of the same job in the same
// process (flock(2) conflicts between two descriptors of one process) finds
// its own lock instead of a stranger's.
#include "tracker/distributed.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>

namespace carbontracker {

namespace {

// A non-negative integer, or -1 when absent or malformed.
int number(const Environment& env, const char* name) {
  if (!env.has_var(name)) return -1;
  std::string text = env.var(name);
  int value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return -1;
  return value;
}

int first_number(const Environment& env, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (int v = number(env, n); v >= 0) return v;
  return -1;
}

std::string first_var(const Environment& env, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (std::string v = env.var(n); !v.empty()) return v;
  return "";
}

int nodes_from(int world_size, int local_world_size) {
  if (world_size > 0 && local_world_size > 0 && world_size % local_world_size == 0)
    return world_size / local_world_size;
  return -1;
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

constexpr const char* kWrapperMeasures = "the carbontracker wrapper";

std::mutex g_locks_mu;
std::map<std::string, std::string> g_held_locks;  // path -> key, held until exit

// The pid the holder wrote into the lock file open as `fd`, or "". The
// holder writes it just after taking the lock, so an empty file is read
// again a few times.
std::string holder_of(int fd) {
  std::string pid;
  for (int attempt = 0; attempt < 20 && pid.empty(); ++attempt) {
    if (attempt) ::usleep(1000);
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    pid.assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
  }
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  for (char c : pid)
    if (c < '0' || c > '9') return "";
  return pid;
}

// Why a directory or file of this user's node locks cannot be trusted, or ""
// when it can: it must belong to this user and be writable by no one else
// (anyone else could plant, replace or hold the lock).
std::string distrust(const struct stat& st, const std::string& path, const char* what) {
  if (st.st_uid != ::getuid())
    return fmt::format("{} {} belongs to uid {}, not to this user (uid {})", what, path,
                       static_cast<long>(st.st_uid), static_cast<long>(::getuid()));
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return fmt::format("{} {} is writable by other users (mode {:o})", what, path,
                       static_cast<unsigned>(st.st_mode & 07777));
  return "";
}

}  // namespace

LaunchInfo detect_launcher(const Environment& env) {
  LaunchInfo l;
  bool torch = number(env, "RANK") >= 0 && number(env, "WORLD_SIZE") > 0 &&
               (env.has_var("LOCAL_RANK") || env.has_var("GROUP_RANK") ||
                env.has_var("TORCHELASTIC_RUN_ID") || env.has_var("MASTER_ADDR"));
  if (torch) {
    l.launcher = "torchrun";
    l.rank = number(env, "RANK");
    l.world_size = number(env, "WORLD_SIZE");
    l.local_rank = number(env, "LOCAL_RANK");
    l.local_world_size = number(env, "LOCAL_WORLD_SIZE");
    l.node = number(env, "GROUP_RANK");
    l.nodes = number(env, "GROUP_WORLD_SIZE");
    if (l.nodes < 0) l.nodes = nodes_from(l.world_size, l.local_world_size);
    std::string run_id = env.var("TORCHELASTIC_RUN_ID");
    if (run_id == "none") run_id.clear();
    std::string master = env.var("MASTER_ADDR");
    if (!master.empty() && env.has_var("MASTER_PORT")) master += ":" + env.var("MASTER_PORT");
    if (!run_id.empty() || !master.empty())
      l.job = "torchrun:" + run_id + (run_id.empty() || master.empty() ? "" : "@") + master;
  } else if (number(env, "OMPI_COMM_WORLD_RANK") >= 0) {
    l.launcher = "openmpi";
    l.rank = number(env, "OMPI_COMM_WORLD_RANK");
    l.world_size = number(env, "OMPI_COMM_WORLD_SIZE");
    l.local_rank = number(env, "OMPI_COMM_WORLD_LOCAL_RANK");
    l.local_world_size = number(env, "OMPI_COMM_WORLD_LOCAL_SIZE");
    l.nodes = nodes_from(l.world_size, l.local_world_size);
    std::string id =
        first_var(env, {"PMIX_NAMESPACE", "OMPI_MCA_ess_base_jobid", "OMPI_MCA_orte_ess_jobid"});
    if (!id.empty()) l.job = "openmpi:" + id;
  } else if (number(env, "PMI_RANK") >= 0) {
    l.launcher = "mpich";
    l.rank = number(env, "PMI_RANK");
    l.world_size = number(env, "PMI_SIZE");
    l.local_rank = number(env, "MPI_LOCALRANKID");
    l.local_world_size = number(env, "MPI_LOCALNRANKS");
    l.nodes = nodes_from(l.world_size, l.local_world_size);
    std::string id = first_var(env, {"PMI_KVSNAME", "PMIX_NAMESPACE", "I_MPI_JOB_ID"});
    if (!id.empty()) l.job = "mpich:" + id;
  } else if (env.has_var("SLURM_JOB_ID") && number(env, "SLURM_PROCID") >= 0) {
    l.launcher = "slurm";
    l.rank = number(env, "SLURM_PROCID");
    l.world_size = first_number(env, {"SLURM_STEP_NUM_TASKS", "SLURM_NTASKS", "SLURM_NPROCS"});
    l.local_rank = number(env, "SLURM_LOCALID");
  }
  // Inside a Slurm job the job id names the job whatever started the ranks:
  // the logs of all its nodes and steps meet under it.
  if (!l.launcher.empty() && !env.var("SLURM_JOB_ID").empty()) {
    l.job = env.var("SLURM_JOB_ID");
    l.step = env.var("SLURM_STEP_ID");
    if (l.node < 0) l.node = number(env, "SLURM_NODEID");
    if (l.nodes < 0 || l.launcher == "slurm")
      l.nodes = first_number(env, {"SLURM_STEP_NUM_NODES", "SLURM_JOB_NUM_NODES", "SLURM_NNODES"});
  }
  return l;
}

std::string NodeLock::file_name(const std::string& job_key) {
  std::string safe;
  for (char c : job_key)
    safe +=
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : '_';
  if (safe.size() > 64) safe = safe.substr(0, 40) + fmt::format("-{:016x}", fnv1a(job_key));
  return fmt::format("carbontracker-{}-{}.lock", static_cast<long>(getuid()), safe);
}

std::string node_lock_dir(const Environment& env, const std::string& tmp) {
  const std::string xdg = env.var("XDG_RUNTIME_DIR");
  struct stat st;
  if (!xdg.empty() && ::lstat(xdg.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
      distrust(st, xdg, "").empty() && ::access(xdg.c_str(), W_OK) == 0)
    return xdg;
  std::string dir = fmt::format("{}/carbontracker-{}", tmp, static_cast<long>(::getuid()));
  ::mkdir(dir.c_str(), 0700);  // take() checks what is there
  return dir;
}

NodeLock::Result NodeLock::take(const std::string& job_key, const std::string& dir) {
  Result r;
  r.path = dir + "/" + file_name(job_key);
  std::lock_guard<std::mutex> lock(g_locks_mu);
  if (g_held_locks.count(r.path)) {
    r.outcome = Outcome::kTaken;
    return r;
  }
  auto untrusted = [&](std::string why) {
    r.outcome = Outcome::kUntrusted;
    r.error = std::move(why);
    return r;
  };
  // The directory: opened without following a link, then checked through
  // its descriptor, so that what is checked is what the lock is made in.
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir_fd < 0) {
    int e = errno;
    struct stat st;
    if ((e == ELOOP || e == ENOTDIR) && ::lstat(dir.c_str(), &st) == 0)
      return untrusted(fmt::format("the node lock directory {} is {}", dir,
                                   S_ISLNK(st.st_mode) ? "a symbolic link" : "not a directory"));
    r.error = fmt::format("cannot open the node lock directory {}: {}", dir, std::strerror(e));
    return r;
  }
  struct stat st;
  if (::fstat(dir_fd, &st) != 0) {
    r.error =
        fmt::format("cannot examine the node lock directory {}: {}", dir, std::strerror(errno));
    ::close(dir_fd);
    return r;
  }
  if (std::string why = distrust(st, dir, "the node lock directory"); !why.empty()) {
    ::close(dir_fd);
    return untrusted(why);
  }
  const std::string name = file_name(job_key);
  int fd = ::openat(dir_fd, name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  int open_errno = errno;
  ::close(dir_fd);
  if (fd < 0) {
    if (open_errno == ELOOP) return untrusted("the node lock " + r.path + " is a symbolic link");
    r.error = fmt::format("cannot open the node lock {}: {}", r.path, std::strerror(open_errno));
    return r;
  }
  // Never truncate, write to or wait on a file another user made.
  std::string why;
  if (::fstat(fd, &st) != 0)
    why = fmt::format("cannot examine the node lock {}: {}", r.path, std::strerror(errno));
  else if (!S_ISREG(st.st_mode))
    why = "the node lock " + r.path + " is not a regular file";
  else
    why = distrust(st, r.path, "the node lock");
  if (!why.empty()) {
    ::close(fd);
    return untrusted(why);
  }
  int rc;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int e = errno;
    if (e == EWOULDBLOCK) {
      r.outcome = Outcome::kHeldByAnother;
      r.holder_pid = holder_of(fd);
    } else {
      r.error = fmt::format("cannot lock the node lock {}: {}", r.path, std::strerror(e));
    }
    ::close(fd);
    return r;
  }
  // The holder's pid, for the others' message; the lock does not depend on it.
  std::string pid = std::to_string(static_cast<long>(getpid())) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] ssize_t n = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
  g_held_locks[r.path] = job_key;  // fd deliberately left open until the process ends
  r.outcome = Outcome::kTaken;
  return r;
}

void add_distributed_metadata(const DistributedInfo& d, RunMetadata& meta) {
  if (d.launcher.empty() && d.policy == "auto") return;  // nothing distributed to say
  meta.cluster["distributed"] = d.policy;
  auto text = [&](const char* key, const std::string& v) {
    if (!v.empty()) meta.cluster[key] = v;
  };
  auto num = [&](const char* key, int v) {
    if (v >= 0) meta.cluster[key] = std::to_string(v);
  };
  text("launcher", d.launcher);
  text("job", d.job);
  text("step", d.step);
  num("node", d.node);
  num("nodes", d.nodes);
  num("rank", d.rank);
  num("world_size", d.world_size);
  num("local_rank", d.local_rank);
}

std::string rank_words(const DistributedInfo& d) {
  if (d.rank >= 0 && d.world_size > 0) return fmt::format("rank {} of {}", d.rank, d.world_size);
  if (d.rank >= 0) return fmt::format("rank {}", d.rank);
  return "this process";
}

bool claimed_twice(const DistributedInfo& d) {
  return !d.measures && d.local_rank == 0 && d.measured_by.rfind(kWrapperMeasures, 0) != 0;
}

bool in_distributed_context(const Environment& env) {
  return env.has_var(kMeasuredByVar) || !detect_launcher(env).launcher.empty();
}

DistributedInfo resolve_distributed(const std::string& policy, const Environment& env,
                                    const std::string& hostname, long parent_pid,
                                    const std::string& lock_dir) {
  DistributedInfo d;
  d.policy = policy;
  LaunchInfo l = detect_launcher(env);
  d.launcher = l.launcher;
  d.job = l.job;
  d.step = l.step;
  d.rank = l.rank;
  d.world_size = l.world_size;
  d.local_rank = l.local_rank;
  d.node = l.node;
  d.nodes = l.nodes;
  std::string who = rank_words(d);
  std::string launcher = l.launcher.empty() ? "" : " (" + l.launcher + ")";

  if (policy == "off") {
    d.message = fmt::format(
        "distributed=off: {}{} measures everything this node shows, whatever other processes of "
        "the job measure; a node is counted once per process that does the same.",
        who, launcher);
    d.may_double_count = true;
    return d;
  }

  // The command-line wrapper on this node measures it (srun carbontracker,
  // carbontracker torchrun ...).
  std::string mark = env.var(kMeasuredByVar);
  if (size_t at = mark.find('@'); at != std::string::npos && mark.substr(at + 1) == hostname) {
    d.measures = false;
    d.measured_by = fmt::format("{} (pid {})", kWrapperMeasures, mark.substr(0, at));
    d.message = fmt::format("{}: node measured by {}", who, d.measured_by);
    return d;
  }
  if (l.launcher.empty()) return d;

  std::string node = d.node >= 0 && d.nodes > 0 ? fmt::format("node {} of {}", d.node, d.nodes)
                     : d.node >= 0              ? fmt::format("node {}", d.node)
                                                : "this node";
  // Local rank 0 measures. Two processes of one job step may both claim it
  // on one node (trainings started in the background of one batch script,
  // without srun, all carry SLURM_LOCALID=0): the node lock decides.
  const bool by_local_rank = l.local_rank >= 0;
  if (by_local_rank && l.local_rank != 0) {
    d.measures = false;
    d.measured_by = "local rank 0";
    d.message = fmt::format("{}: node measured by local rank 0", who);
    return d;
  }
  const std::string measures_for =
      fmt::format("{}{}: measures {} ({}) for its local ranks", who, launcher, node, hostname);
  if (by_local_rank && l.job.empty()) {
    d.message = measures_for;
    return d;
  }

  // The lock is node-local; the node's index in the key too keeps apart the
  // nodes of a job that share one machine's /tmp (a test cluster).
  std::string key = l.job.empty() ? fmt::format("ppid-{}", parent_pid)
                                  : l.job + (l.step.empty() ? "" : "." + l.step) +
                                        (d.node >= 0 ? fmt::format(".node{}", d.node) : "");
  NodeLock::Result lock = NodeLock::take(key, lock_dir.empty() ? node_lock_dir(env) : lock_dir);
  switch (lock.outcome) {
    case NodeLock::Outcome::kTaken:
      d.message = by_local_rank ? measures_for
                                : fmt::format(
                                      "{}{}: measures {} ({}), first of the job to take the node "
                                      "lock {}",
                                      who, launcher, node, hostname, lock.path);
      break;
    case NodeLock::Outcome::kHeldByAnother:
      d.measures = false;
      d.measured_by = lock.holder_pid.empty() ? "the holder of the node lock " + lock.path
                                              : fmt::format("pid {}, holder of the node lock {}",
                                                            lock.holder_pid, lock.path);
      d.message = fmt::format("{}: node measured by {}", who, d.measured_by);
      if (by_local_rank) {
        d.message += fmt::format(
            "; both claim local rank 0 of job {}{} on this node (as processes started in one "
            "batch script without srun do)",
            l.job, l.step.empty() ? "" : " step " + l.step);
      }
      break;
    case NodeLock::Outcome::kUntrusted:
      // Whoever planted it must not silence the measurement.
      d.message = fmt::format(
          "{}{}: not using the node lock: {}; this process measures, and the node may be counted "
          "once per process. Remove it, or set XDG_RUNTIME_DIR to a directory of your own.",
          who, launcher, lock.error);
      d.may_double_count = true;
      break;
    case NodeLock::Outcome::kError:
      d.message = fmt::format(
          "{}{}: {}; this process measures, and the node may be counted once per process. Set "
          "XDG_RUNTIME_DIR to a writable directory, or run with distributed=\"off\" to silence "
          "this.",
          who, launcher, lock.error);
      d.may_double_count = true;
      break;
  }
  return d;
}

}  // namespace carbontracker
