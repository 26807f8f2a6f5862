#include "sensors/gpu/visible_devices.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace carbontracker {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::vector<std::string> kUuids = {
    "GPU-8f3c1a22-0000-1111-2222-333344445555",
    "GPU-8f3d9b10-6666-7777-8888-999900001111",
    "GPU-1234abcd-aaaa-bbbb-cccc-ddddeeeeffff",
};

MigResolver mig_on_board_2 = [](std::string_view uuid) -> std::optional<unsigned> {
  if (uuid == "MIG-5a6b7c8d-0000-1111-2222-333344445555") return 2;
  return std::nullopt;
};

std::vector<unsigned> indices(const VisibleSelection& sel) {
  std::vector<unsigned> out;
  for (const VisibleGpu& g : sel.gpus) out.push_back(g.index);
  return out;
}

VisibleSelection select(const std::optional<std::string>& value) {
  return select_visible_gpus(value, kUuids, mig_on_board_2);
}

TEST(VisibleDevicesTest, AbsentMeansAll) {
  VisibleSelection sel = select(std::nullopt);
  EXPECT_EQ(indices(sel), (std::vector<unsigned>{0, 1, 2}));
  EXPECT_THAT(sel.warning, IsEmpty());
}

TEST(VisibleDevicesTest, EmptyAndNoDevFilesMeanNone) {
  for (const char* value : {"", "  ", "NoDevFiles"}) {
    VisibleSelection sel = select(std::string(value));
    EXPECT_THAT(sel.gpus, IsEmpty()) << value;
    EXPECT_THAT(sel.warning, IsEmpty()) << value;
  }
}

TEST(VisibleDevicesTest, IndicesInTheGivenOrder) {
  EXPECT_EQ(indices(select("0,2")), (std::vector<unsigned>{0, 2}));
  EXPECT_EQ(indices(select("2, 0")), (std::vector<unsigned>{2, 0}));
  EXPECT_THAT(select("2,0").warning, IsEmpty());
}

TEST(VisibleDevicesTest, DuplicatesCountOnce) {
  EXPECT_EQ(indices(select("1,1,GPU-8f3d9b10")), (std::vector<unsigned>{1}));
}

TEST(VisibleDevicesTest, FullAndAbbreviatedUuids) {
  EXPECT_EQ(indices(select(kUuids[1])), (std::vector<unsigned>{1}));
  EXPECT_EQ(indices(select("GPU-1234,GPU-8f3c")), (std::vector<unsigned>{2, 0}));
  EXPECT_EQ(indices(select("gpu-8F3D")), (std::vector<unsigned>{1}));  // case-insensitive
}

TEST(VisibleDevicesTest, AmbiguousUuidPrefixIsInvalid) {
  VisibleSelection sel = select("2,GPU-8f3,0");
  EXPECT_EQ(indices(sel), (std::vector<unsigned>{2}));
  EXPECT_THAT(sel.warning, HasSubstr("\"GPU-8f3\" (UUID prefix matches several GPUs)"));
  EXPECT_THAT(sel.warning, HasSubstr("(\"0\") are ignored"));
}

TEST(VisibleDevicesTest, MigInstanceSelectsItsBoard) {
  VisibleSelection sel = select("MIG-5a6b7c8d-0000-1111-2222-333344445555");
  ASSERT_EQ(indices(sel), (std::vector<unsigned>{2}));
  EXPECT_EQ(sel.gpus[0].mig_uuid, "MIG-5a6b7c8d-0000-1111-2222-333344445555");
}

TEST(VisibleDevicesTest, LegacyMigFormatNamesTheBoard) {
  VisibleSelection sel = select("MIG-" + kUuids[1] + "/1/0");
  ASSERT_EQ(indices(sel), (std::vector<unsigned>{1}));
  EXPECT_EQ(sel.gpus[0].mig_uuid, "MIG-" + kUuids[1] + "/1/0");
}

TEST(VisibleDevicesTest, UnknownMigIsInvalid) {
  VisibleSelection sel = select("MIG-ffffffff-0000-1111-2222-333344445555");
  EXPECT_THAT(sel.gpus, IsEmpty());
  EXPECT_THAT(sel.warning, HasSubstr("no such MIG instance"));
  EXPECT_THAT(sel.warning, HasSubstr("so no GPU is measured"));
}

TEST(VisibleDevicesTest, StopsAtTheFirstInvalidEntryAsCudaDoes) {
  VisibleSelection sel = select("1,7,0,2");
  EXPECT_EQ(indices(sel), (std::vector<unsigned>{1}));
  EXPECT_EQ(sel.warning,
            "CUDA_VISIBLE_DEVICES=\"1,7,0,2\": invalid entry \"7\" (no such GPU index (3 GPU(s))); "
            "it and every entry after it (\"0\", \"2\") are ignored, as the GPU runtime does, so "
            "only the GPU(s) before it are measured");
}

TEST(VisibleDevicesTest, InvalidFormsAreNamed) {
  for (const char* value : {"-1", "abc", "0x1", "1,,2", "GPU-zzzz", "99999999999999999999"}) {
    VisibleSelection sel = select(std::string(value));
    EXPECT_THAT(sel.warning, HasSubstr("invalid entry")) << value;
    EXPECT_LE(sel.gpus.size(), 1u) << value;
  }
  EXPECT_EQ(indices(select("1,,2")), (std::vector<unsigned>{1}));
}

TEST(VisibleDevicesTest, NoGpusMakesEveryIndexInvalid) {
  VisibleSelection sel = select_visible_gpus(std::string("0"), {}, nullptr, "HIP_VISIBLE_DEVICES");
  EXPECT_THAT(sel.gpus, IsEmpty());
  EXPECT_THAT(sel.warning, HasSubstr("HIP_VISIBLE_DEVICES=\"0\""));
}

}  // namespace
}  // namespace carbontracker
