#include "cli/epoch_pipe.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace carbontracker {
namespace {

std::vector<std::pair<std::string, bool>> split(const std::vector<std::string>& chunks) {
  EpochLineSplitter splitter;
  std::vector<std::pair<std::string, bool>> lines;
  for (const std::string& c : chunks)
    splitter.feed(c.data(), c.size(), [&](const std::string& text, bool too_long) {
      lines.emplace_back(text, too_long);
    });
  return lines;
}

TEST(EpochPipe, LinesAcrossChunksAndCrLf) {
  auto lines = split({"epoch_st", "art\r\nepoch_end\n", "partial"});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].first, "epoch_start");
  EXPECT_EQ(lines[1].first, "epoch_end");
  EXPECT_FALSE(lines[0].second);
}

TEST(EpochPipe, ALineOverTheCapIsCutAndMarked) {
  std::string big(EpochLineSplitter::kMaxLineBytes * 3, 'a');
  auto lines = split({big.substr(0, 5000), big.substr(5000) + "\nepoch_end\n"});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0].second);
  EXPECT_EQ(lines[0].first.size(), EpochLineSplitter::kMaxLineBytes);
  EXPECT_EQ(lines[1], std::make_pair(std::string("epoch_end"), false));
  // Exactly the cap is still a line.
  auto exact = split({std::string(EpochLineSplitter::kMaxLineBytes, 'b') + "\r\n"});
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_FALSE(exact[0].second);
}

TEST(EpochPipe, Markers) {
  EXPECT_EQ(parse_epoch_marker("epoch_start"), EpochMarker::kStart);
  EXPECT_EQ(parse_epoch_marker("epoch_end rank=0"), EpochMarker::kEnd);
  EXPECT_EQ(parse_epoch_marker("epoch_end rank=3"), EpochMarker::kOtherRank);
  EXPECT_EQ(parse_epoch_marker("epoch_end rank=x"), EpochMarker::kUnknown);
  EXPECT_EQ(parse_epoch_marker("hello rank=2"), EpochMarker::kUnknown);
}

TEST(EpochPipe, PrintableEscapesControlCharacters) {
  EXPECT_EQ(printable("a\x1b[2J\tb\x7f"), "a\\x1b[2J\\x09b\\x7f");
  EXPECT_EQ(printable(std::string(300, 'z'), 4), "zzzz...");
}

}  // namespace
}  // namespace carbontracker
