// Numbers read from the environment and from the providers' answers: whole
// decimal numbers in the C locale, never hexadecimal, never read in part.
#include <gtest/gtest.h>

#include "intensity/http.h"
#include "intensity/providers.h"

namespace carbontracker {
namespace {

TEST(IntensityNumbers, HttpLimitsReadWholeDecimalMilliseconds) {
  Environment env;
  env.vars = {{"CARBONTRACKER_HTTP_CONNECT_TIMEOUT_MS", " 250\n"},
              {"CARBONTRACKER_HTTP_TIMEOUT_MS", "+1500.5"},
              {"CARBONTRACKER_HTTP_BUDGET_MS", "0x10"},
              {"CARBONTRACKER_HTTP_BACKOFF_MS", "inf"},
              {"CARBONTRACKER_HTTP_RETRIES", " +3 "}};
  HttpLimits l = HttpLimits::from_env(env);
  const HttpLimits defaults;
  EXPECT_DOUBLE_EQ(l.connect_timeout_s, 0.25);
  EXPECT_DOUBLE_EQ(l.attempt_timeout_s, 1.5005);
  EXPECT_EQ(l.budget_s, defaults.budget_s);  // hexadecimal is not read
  EXPECT_EQ(l.backoff_s, defaults.backoff_s);
  EXPECT_EQ(l.max_retries, 3);
  for (const char* bad : {"", "-1", "11", "3x", "2.5", "0x3"}) {
    env.vars = {{"CARBONTRACKER_HTTP_RETRIES", bad}};
    EXPECT_EQ(HttpLimits::from_env(env).max_retries, defaults.max_retries) << bad;
  }
}

TEST(IntensityNumbers, IpGeolocationBudget) {
  Environment env;
  env.vars = {{"CARBONTRACKER_IPGEO_TIMEOUT_MS", "500 "}};
  EXPECT_DOUBLE_EQ(ProviderConfig::from_env(env).ipgeo_budget_s, 0.5);
  const double fallback = ProviderConfig{}.ipgeo_budget_s;
  for (const char* bad : {"0", "-5", "0x100", "nan", "5 ms"}) {
    env.vars = {{"CARBONTRACKER_IPGEO_TIMEOUT_MS", bad}};
    EXPECT_EQ(ProviderConfig::from_env(env).ipgeo_budget_s, fallback) << bad;
  }
}

TEST(IntensityNumbers, GeolocationCoordinatesAreTwoWholeNumbers) {
  auto coords = [](const std::string& loc) {
    Fetched<Location> f =
        parse_geolocation(R"({"city":"Aarhus","country":"DK","loc":")" + loc + R"("})");
    EXPECT_TRUE(f.value) << f.error;
    return f.value ? std::make_pair(f.value->lat, f.value->lon)
                   : std::make_pair(std::optional<double>(), std::optional<double>());
  };
  EXPECT_EQ(coords("56.1567,10.2108"),
            std::make_pair(std::optional(56.1567), std::optional(10.2108)));
  EXPECT_EQ(coords("56.1567, +10.2108"),
            std::make_pair(std::optional(56.1567), std::optional(10.2108)));
  for (const char* bad :
       {",10.2108", "56.1567,", "56.1567,10.2108x", "0x38,10", "91,10", "nan,1"}) {
    auto [lat, lon] = coords(bad);
    EXPECT_FALSE(lat) << bad;
    EXPECT_FALSE(lon) << bad;
  }
}

TEST(IntensityNumbers, IsoTimesReadTheirSecondsWhole) {
  const double minute = *parse_iso_utc("2024-01-01T10:00Z");
  EXPECT_EQ(parse_iso_utc("2024-01-01T10:00:30Z"), minute + 30);
  EXPECT_EQ(parse_iso_utc("2024-01-01T10:00:30.5+00:00"), minute + 30.5);
  for (const char* bad : {"2024-01-01T10:00:Z", "2024-01-01T10:00:1e1Z", "2024-01-01T10:00:.Z",
                          "2024-01-01T10:00:30:00Z"})
    EXPECT_FALSE(parse_iso_utc(bad)) << bad;
}

}  // namespace
}  // namespace carbontracker
