// The node lock against other users: a link planted at the lock's path or at
// the lock directory, and files or directories that belong to someone else,
// neither silence the measurement nor get truncated.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fakes/fake_powercap_tree.h"
#include "tracker/distributed.h"

namespace carbontracker {
namespace {

namespace fs = std::filesystem;
using carbontracker::testing::TempDir;

// An MPICH rank without a local rank: the node lock decides.
Environment mpich_env(const std::string& kvs = "kvs_lock") {
  Environment env;
  env.vars = {{"PMI_RANK", "0"}, {"PMI_SIZE", "2"}, {"PMI_KVSNAME", kvs}};
  return env;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string user_dir_name() { return "carbontracker-" + std::to_string(getuid()); }

// A user made for the test with useradd (as root), removed with userdel.
class OtherUser {
 public:
  OtherUser() {
    if (geteuid() != 0) {
      why_not_ = "needs root to create another user (useradd)";
      return;
    }
    name_ = "ct-lock-" + std::to_string(getpid());
    std::string add =
        "useradd --system --no-create-home --shell /usr/sbin/nologin " + name_ + " >/dev/null 2>&1";
    // useradd refuses while another one holds /etc/passwd's lock: try again.
    for (int attempt = 0; attempt < 10 && !made_; ++attempt) {
      if (attempt) usleep(200 * 1000);
      made_ = std::system(add.c_str()) == 0;
    }
    struct passwd* pw = made_ ? getpwnam(name_.c_str()) : nullptr;
    if (!pw) {
      why_not_ = "useradd " + name_ + " failed (is the passwd package installed?)";
      return;
    }
    uid_ = pw->pw_uid;
  }
  ~OtherUser() {
    if (!made_) return;
    [[maybe_unused]] int rc = std::system(("userdel " + name_ + " >/dev/null 2>&1").c_str());
  }
  OtherUser(const OtherUser&) = delete;
  OtherUser& operator=(const OtherUser&) = delete;
  const std::string& why_not() const { return why_not_; }
  uid_t uid() const { return uid_; }

 private:
  std::string name_, why_not_;
  bool made_ = false;
  uid_t uid_ = 0;
};

TEST(NodeLock, ALinkAtTheLockPathIsNeitherFollowedNorTrusted) {
  TempDir dir;
  const fs::path victim = fs::path(dir.path()) / "victim";
  std::ofstream(victim) << "precious\n";
  const fs::path lock = fs::path(dir.path()) / NodeLock::file_name("mpich:kvs_lock");
  fs::create_symlink(victim, lock);

  NodeLock::Result r = NodeLock::take("mpich:kvs_lock", dir.path());
  EXPECT_EQ(r.outcome, NodeLock::Outcome::kUntrusted);
  EXPECT_EQ(r.error, "the node lock " + lock.string() + " is a symbolic link");
  EXPECT_EQ(slurp(victim), "precious\n");

  DistributedInfo d = resolve_distributed("auto", mpich_env(), "h", 1, dir.path());
  EXPECT_TRUE(d.measures);
  EXPECT_EQ(d.message, "rank 0 of 2 (mpich): not using the node lock: the node lock " +
                           lock.string() +
                           " is a symbolic link; this process measures, and the node may be "
                           "counted once per process. Remove it, or set XDG_RUNTIME_DIR to a "
                           "directory of your own.");
  EXPECT_EQ(slurp(victim), "precious\n");
}

TEST(NodeLock, TheUserDirectoryIsMadePrivateAndUsed) {
  TempDir tmp;
  Environment env = mpich_env();
  const std::string dir = node_lock_dir(env, tmp.path());
  EXPECT_EQ(dir, tmp / user_dir_name());
  struct stat st;
  ASSERT_EQ(lstat(dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(NodeLock::take("mpich:kvs_lock", dir).outcome, NodeLock::Outcome::kTaken);
  EXPECT_TRUE(fs::is_regular_file(fs::path(dir) / NodeLock::file_name("mpich:kvs_lock")));
}

TEST(NodeLock, ALinkedUserDirectoryIsNotUsed) {
  TempDir tmp;
  const fs::path elsewhere = fs::path(tmp.path()) / "elsewhere";
  fs::create_directory(elsewhere);
  fs::permissions(elsewhere, fs::perms::owner_all);
  fs::create_directory_symlink(elsewhere, fs::path(tmp.path()) / user_dir_name());

  const std::string dir = node_lock_dir(mpich_env(), tmp.path());
  NodeLock::Result r = NodeLock::take("mpich:kvs_lock", dir);
  EXPECT_EQ(r.outcome, NodeLock::Outcome::kUntrusted);
  EXPECT_EQ(r.error, "the node lock directory " + dir + " is a symbolic link");
  DistributedInfo d = resolve_distributed("auto", mpich_env(), "h", 1, dir);
  EXPECT_TRUE(d.measures);
  EXPECT_NE(d.message.find("not using the node lock: the node lock directory " + dir +
                           " is a symbolic link; this process measures"),
            std::string::npos)
      << d.message;
  EXPECT_TRUE(fs::is_empty(elsewhere));
}

TEST(NodeLock, ADirectoryOthersMayWriteIsNotTrusted) {
  TempDir tmp;
  const fs::path dir = fs::path(tmp.path()) / user_dir_name();
  fs::create_directory(dir);
  fs::permissions(dir, fs::perms::all);
  NodeLock::Result r = NodeLock::take("mpich:kvs_lock", dir.string());
  EXPECT_EQ(r.outcome, NodeLock::Outcome::kUntrusted);
  EXPECT_EQ(r.error,
            "the node lock directory " + dir.string() + " is writable by other users (mode 777)");
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(NodeLock, XdgRuntimeDirOnlyWhenItIsThisUsersOwn) {
  TempDir tmp, xdg;
  Environment env = mpich_env();
  env.vars["XDG_RUNTIME_DIR"] = xdg.path();
  EXPECT_EQ(node_lock_dir(env, tmp.path()), xdg.path());
  fs::permissions(xdg.path(), fs::perms::all);  // writable by anyone: not used
  EXPECT_EQ(node_lock_dir(env, tmp.path()), tmp / user_dir_name());
  fs::permissions(xdg.path(), fs::perms::owner_all);
  const fs::path link = fs::path(tmp.path()) / "xdg-link";
  fs::create_directory_symlink(xdg.path(), link);
  env.vars["XDG_RUNTIME_DIR"] = link.string();  // a link: not used
  EXPECT_EQ(node_lock_dir(env, tmp.path()), tmp / user_dir_name());
}

TEST(NodeLock, AFileOfAnotherUserIsNeitherLockedNorTruncated) {
  OtherUser other;
  if (!other.why_not().empty()) GTEST_SKIP() << other.why_not();
  TempDir dir;
  const fs::path lock = fs::path(dir.path()) / NodeLock::file_name("mpich:kvs_lock");
  std::ofstream(lock) << "1\n";
  ASSERT_EQ(chown(lock.c_str(), other.uid(), static_cast<gid_t>(-1)), 0);

  NodeLock::Result r = NodeLock::take("mpich:kvs_lock", dir.path());
  EXPECT_EQ(r.outcome, NodeLock::Outcome::kUntrusted);
  EXPECT_EQ(r.error, "the node lock " + lock.string() + " belongs to uid " +
                         std::to_string(other.uid()) + ", not to this user (uid " +
                         std::to_string(getuid()) + ")");
  EXPECT_EQ(slurp(lock), "1\n");
  DistributedInfo d = resolve_distributed("auto", mpich_env(), "h", 1, dir.path());
  EXPECT_TRUE(d.measures);
  EXPECT_NE(d.message.find("not using the node lock: the node lock " + lock.string() +
                           " belongs to uid " + std::to_string(other.uid())),
            std::string::npos)
      << d.message;
  EXPECT_EQ(d.message.find('\n'), std::string::npos);
  EXPECT_EQ(slurp(lock), "1\n");
}

TEST(NodeLock, AUserDirectoryOfAnotherUserIsNotUsed) {
  OtherUser other;
  if (!other.why_not().empty()) GTEST_SKIP() << other.why_not();
  TempDir tmp;
  const fs::path dir = fs::path(tmp.path()) / user_dir_name();
  fs::create_directory(dir);
  fs::permissions(dir, fs::perms::owner_all);
  ASSERT_EQ(chown(dir.c_str(), other.uid(), static_cast<gid_t>(-1)), 0);
  ASSERT_EQ(node_lock_dir(mpich_env(), tmp.path()), dir.string());
  DistributedInfo d = resolve_distributed("auto", mpich_env(), "h", 1, dir.string());
  EXPECT_TRUE(d.measures);
  EXPECT_NE(d.message.find("not using the node lock: the node lock directory " + dir.string() +
                           " belongs to uid " + std::to_string(other.uid())),
            std::string::npos)
      << d.message;
  EXPECT_TRUE(fs::is_empty(dir));
}

}  // namespace
}  // namespace carbontracker
