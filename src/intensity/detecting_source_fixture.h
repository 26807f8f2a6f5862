// The fixture of the intensity source's tests: a loopback server playing
// each provider (detecting_source*_test.cc).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "carbontracker/error.h"
#include "common/clock.h"
#include "fake_http_server.h"
#include "intensity/detecting_source.h"
#include "intensity/disk_cache.h"

namespace carbontracker {
namespace intensity_test {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::Contains;
using testing::FakeHttpServer;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

inline constexpr double kNow = 1767225600;  // 2026-01-01T00:00:00Z
inline constexpr char kKey[] = "SECRET-em-key-7f3a";

// Everything the module says, for the "no key anywhere" checks.
inline std::string everything(const std::vector<std::string>& notes, const IntensityValue& v) {
  std::string all;
  for (const auto& n : notes) all += n + "\n";
  all += v.source + "\n" + v.location + "\n" + v.default_description + "\n";
  return all;
}

class IntensitySourceTest : public ::testing::Test {
 protected:
  IntensitySourceTest() : clock_(0, kNow) {
    env_.zone_tab = std::string(CT_SOURCE_DIR) + "/tests/fixtures/intensity/zone.tab";
    env_.localtime_path = "/nonexistent/localtime";
    env_.tz = "Europe/Copenhagen";
    for (const char* name :
         {"CARBONTRACKER_IPGEO_URL", "CARBONTRACKER_ELECTRICITYMAPS_URL",
          "CARBONTRACKER_CARBONINTENSITY_UK_URL", "CARBONTRACKER_ENERGIDATASERVICE_URL"})
      env_.vars[name] = server_.url();
    env_.vars["CARBONTRACKER_HTTP_TIMEOUT_MS"] = "2000";
    env_.vars["CARBONTRACKER_HTTP_BUDGET_MS"] = "5000";
    env_.vars["CARBONTRACKER_HTTP_BACKOFF_MS"] = "10";
    // These tests are about the providers, not the start delay (tested below).
    env_.vars["CARBONTRACKER_NETWORK_START_DELAY_MS"] = "0";
    env_.vars["CARBONTRACKER_IPGEO_TIMEOUT_MS"] = "2000";
  }

  std::unique_ptr<DetectingIntensitySource> make(const std::string& region = "",
                                                 bool offline = false) {
    IntensityOptions o;
    o.env = &env_;
    o.clock = &clock_;
    o.region = region;
    o.offline = offline;
    return std::make_unique<DetectingIntensitySource>(o);
  }
  // Waits for the first refresh cycle and returns the value then.
  IntensityValue settle(DetectingIntensitySource& s) {
    EXPECT_TRUE(s.wait_for_cycles(1, 30));
    return s.current();
  }

  static std::string em_latest(const std::string& value, const std::string& zone = "DK-DK2") {
    return R"({"zone":")" + zone + R"(","carbonIntensity":)" + value +
           R"(,"datetime":"2026-01-01T00:00:00.000Z"})";
  }
  static std::string eds_record(const std::string& area, const std::string& value) {
    return R"({"total":1,"dataset":"CO2Emis","records":[{"Minutes5UTC":"2025-12-31T23:55:00","PriceArea":")" +
           area + R"(","CO2Emission":)" + value + "}]}";
  }

  FakeHttpServer server_;
  FakeClock clock_;
  Environment env_;
};

}  // namespace intensity_test
}  // namespace carbontracker
