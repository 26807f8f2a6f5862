#include "common/text.h"

#include <gtest/gtest.h>

#include <string>

#include "fakes/scoped_locale.h"

namespace carbontracker {
namespace {

TEST(Text, TrimTakesEveryAsciiBlankFromBothEnds) {
  EXPECT_EQ(trim(" \t\n\v\f\rword \t\n\v\f\r"), "word");
  EXPECT_EQ(trim("two  words"), "two  words");
  EXPECT_EQ(trim(" \r\n"), "");
  EXPECT_EQ(trim(""), "");
  // Not blank: NUL, and the bytes of UTF-8 (a no-break space here).
  EXPECT_EQ(trim(std::string("\0x", 2)), std::string("\0x", 2));
  EXPECT_EQ(trim("\xc2\xa0x\xc2\xa0"), "\xc2\xa0x\xc2\xa0");
}

TEST(Text, LowerAndUpperChangeAsciiLettersOnly) {
  EXPECT_EQ(lower("ElectricityMaps_2-X"), "electricitymaps_2-x");
  EXPECT_EQ(lower('Q'), 'q');
  EXPECT_EQ(lower('['), '[');
  EXPECT_EQ(lower('@'), '@');
  EXPECT_EQ(lower("\xc3\x89T\xc3\x89"), "\xc3\x89t\xc3\x89");  // "ÉTÉ": É is not ASCII
  EXPECT_EQ(upper("dk-dk2_z{`"), "DK-DK2_Z{`");
  EXPECT_EQ(upper('q'), 'Q');
  EXPECT_EQ(upper("\xc3\xa9t\xc3\xa9"), "\xc3\xa9T\xc3\xa9");  // "été": é is not ASCII
}

TEST(Text, LowerIgnoresTheProcessLocale) {
  std::string got;
  {
    // In ISO-8859-1 locales tolower(0xC9) is 0xE9; here it stays.
    testing::ScopedThreadLocale latin1({"de_DE.ISO-8859-1", "de_DE", "fr_FR.ISO-8859-1"});
    if (!latin1.installed()) GTEST_SKIP() << "no Latin-1 locale installed";
    got = lower("\xc9T\xc9");
  }
  EXPECT_EQ(got, "\xc9t\xc9");
}

TEST(Text, CaseBlindPrefixAndSearch) {
  EXPECT_TRUE(starts_with_nocase("GPU-8f3c", "gpu-"));
  EXPECT_TRUE(starts_with_nocase("mig-x", "MIG-"));
  EXPECT_TRUE(starts_with_nocase("x", ""));
  EXPECT_FALSE(starts_with_nocase("GP", "gpu"));
  EXPECT_FALSE(starts_with_nocase("GPX-", "gpu-"));
  EXPECT_TRUE(contains_nocase("Process used 1.5 KWH", "kwh"));
  EXPECT_TRUE(contains_nocase("abc", ""));
  EXPECT_FALSE(contains_nocase("kw h", "kwh"));
}

// The published FNV-1a 64 test vectors (Fowler, Noll and Vo).
TEST(Text, Fnv1a64MatchesTheReferenceVectors) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
  EXPECT_EQ(fnv1a64(std::string("\0", 1)), 0xaf63bd4c8601b7dfull);
}

}  // namespace
}  // namespace carbontracker
