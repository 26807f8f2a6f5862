#include "intensity/time_zone.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace carbontracker {
namespace {

namespace fs = std::filesystem;

const std::string kZoneTab = std::string(CT_SOURCE_DIR) + "/tests/fixtures/intensity/zone.tab";

class TimeZoneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ct_tz_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "etc");
    env_.zone_tab = kZoneTab;
    env_.localtime_path = (dir_ / "etc" / "localtime").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  Environment env_;
};

TEST_F(TimeZoneTest, ZoneTabMapsZonesToCountries) {
  EXPECT_EQ(country_of_time_zone(kZoneTab, "Europe/Copenhagen"), "DK");
  EXPECT_EQ(country_of_time_zone(kZoneTab, "America/New_York"), "US");
  EXPECT_EQ(country_of_time_zone(kZoneTab, "Europe/Berlin"), "DE");  // CRLF line
  EXPECT_EQ(country_of_time_zone(kZoneTab, "Etc/UTC"), "");
  EXPECT_EQ(country_of_time_zone(kZoneTab, "Europe/Copenhagen/x"), "");
  EXPECT_EQ(country_of_time_zone(kZoneTab + ".missing", "Europe/Copenhagen"), "");
}

TEST_F(TimeZoneTest, TzVariableComesFirst) {
  fs::create_symlink("/usr/share/zoneinfo/Europe/London", env_.localtime_path);
  for (const char* tz :
       {"Europe/Copenhagen", ":Europe/Copenhagen", "/usr/share/zoneinfo/Europe/Copenhagen",
        ":/usr/share/zoneinfo/posix/Europe/Copenhagen"}) {
    env_.tz = tz;
    auto c = country_from_time_zone(env_);
    ASSERT_TRUE(c) << tz;
    EXPECT_EQ(c->time_zone, "Europe/Copenhagen") << tz;
    EXPECT_EQ(c->alpha2, "DK");
    EXPECT_EQ(c->how, "TZ");
  }
}

TEST_F(TimeZoneTest, PosixRuleInTzFallsBackToLocaltime) {
  env_.tz = "CET-1CEST";
  fs::create_symlink("../usr/share/zoneinfo/Europe/London", env_.localtime_path);
  auto c = country_from_time_zone(env_);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->alpha2, "GB");
  EXPECT_EQ(c->how, env_.localtime_path);
}

TEST_F(TimeZoneTest, TimezoneFileWhenLocaltimeIsNoSymlink) {
  std::ofstream(env_.localtime_path) << "TZif binary";
  std::ofstream(dir_ / "etc" / "timezone") << "America/New_York\n";
  auto c = country_from_time_zone(env_);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->alpha2, "US");
  EXPECT_EQ(c->how, (dir_ / "etc" / "timezone").string());
}

TEST_F(TimeZoneTest, UtcAndNothingGiveNoCountry) {
  EXPECT_FALSE(system_time_zone(env_));
  EXPECT_FALSE(country_from_time_zone(env_));
  fs::create_symlink("/usr/share/zoneinfo/Etc/UTC", env_.localtime_path);
  auto tz = system_time_zone(env_);
  ASSERT_TRUE(tz);
  EXPECT_EQ(tz->first, "Etc/UTC");
  EXPECT_FALSE(country_from_time_zone(env_));
}

}  // namespace
}  // namespace carbontracker
