#include "sensors/file_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "fakes/fake_powercap_tree.h"

namespace carbontracker {
namespace {

using testing::TempDir;
using testing::write_file;

TEST(SystemFileReaderTest, RereadKeepsTheFileOpenAndSeesItRewritten) {
  TempDir dir;
  const std::string path = dir.path() + "/stat";
  write_file(path, "cpu  1 2 3\n");
  SystemFileReader files;
  int fd = -1;
  char buf[64];
  size_t len = 0;
  ASSERT_EQ(files.reread(path.c_str(), &fd, buf, sizeof buf, &len), 0);
  EXPECT_EQ(std::string(buf, len), "cpu  1 2 3\n");
  ASSERT_GE(fd, 0);
  const int kept = fd;

  write_file(path, "cpu  4 5 6 7\n");  // rewritten in place, as procfs is
  ASSERT_EQ(files.reread(path.c_str(), &fd, buf, sizeof buf, &len), 0);
  EXPECT_EQ(std::string(buf, len), "cpu  4 5 6 7\n");
  EXPECT_EQ(fd, kept);

  // At most cap bytes, from the start.
  ASSERT_EQ(files.reread(path.c_str(), &fd, buf, 4, &len), 0);
  EXPECT_EQ(std::string(buf, len), "cpu ");
  ::close(fd);
}

TEST(SystemFileReaderTest, RereadOfAMissingFileKeepsNothing) {
  TempDir dir;
  SystemFileReader files;
  int fd = -1;
  char buf[16];
  size_t len = 7;
  EXPECT_EQ(files.reread((dir.path() + "/none").c_str(), &fd, buf, sizeof buf, &len), ENOENT);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(len, 0u);
}

}  // namespace
}  // namespace carbontracker
