// The intensity source against a loopback server: the disk cache, internal
// errors, start delay and cancellation; the time and text helpers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "intensity/detecting_source_fixture.h"

namespace carbontracker {
namespace intensity_test {
namespace {

TEST_F(IntensitySourceTest, DiskCacheSparesRepeatedRunsAndHoldsNoKey) {
  fs::path dir = fs::temp_directory_path() / ("ct_intensity_cache_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  env_.cache_dir = dir.string();
  env_.tz = "";
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  server_.on("/json", 200, R"({"city":"Odense","region":"South Denmark","country":"DK"})");
  server_.on("/v3/carbon-intensity/latest", 200, em_latest("66", "DK-DK1"));
  server_.on("/v3/carbon-intensity/forecast", 401, "{}");
  {
    auto s = make();
    EXPECT_DOUBLE_EQ(settle(*s).g_per_kwh, 66);
  }
  int after_first = server_.total();
  EXPECT_EQ(after_first, 3);
  {
    auto s = make();
    IntensityValue v = settle(*s);
    EXPECT_DOUBLE_EQ(v.g_per_kwh, 66);
    EXPECT_EQ(v.location, "Odense, South Denmark, DK");
    EXPECT_THAT(s->notes(),
                Contains("Location Odense, South Denmark, DK from IP geolocation (cached)."));
  }
  // Only the forecast, which failed, is asked again.
  EXPECT_EQ(server_.total(), after_first + 1);
  // Eleven minutes later the live value is stale, the location is not.
  clock_.advance(11 * 60);
  {
    auto s = make();
    settle(*s);
  }
  EXPECT_EQ(server_.count("/json"), 1);
  EXPECT_EQ(server_.count("/v3/carbon-intensity/latest"), 2);
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str().find(kKey), std::string::npos) << entry.path();
    EXPECT_EQ(entry.path().string().find(kKey), std::string::npos);
  }
  fs::remove_all(dir);
}

// Writes `text` as the cache file of `key` under `dir`.
void write_cache(const fs::path& dir, const std::string& key, const std::string& text) {
  fs::create_directories(dir);
  std::ofstream(dir / DiskCache::file_name(key)) << text;
}

nlohmann::json read_cache(const fs::path& dir, const std::string& key) {
  std::ifstream in(dir / DiskCache::file_name(key));
  return nlohmann::json::parse(in, nullptr, false);
}

TEST_F(IntensitySourceTest, CorruptCacheFilesAreIgnoredOnceAndRewritten) {
  fs::path dir = fs::temp_directory_path() / ("ct_corrupt_cache_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  env_.cache_dir = dir.string();
  env_.tz = "";
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  const std::string geo = "ipgeo|" + server_.url();
  const std::string em = "electricitymaps|" + server_.url() + "|zone=DK";
  const std::string stored = R"(","stored_unix_s":)" + std::to_string(kNow) + R"(,"value":)";
  // A number where a string belongs, a string where a number belongs, a
  // truncated file, and a key of the wrong type.
  write_cache(dir, geo, R"({"key":")" + geo + stored + R"({"alpha2":"DK","address":5}})");
  write_cache(dir, "current|" + em,
              R"({"key":"current|)" + em + stored + R"({"g_per_kwh":"66","detail":"x"}})");
  write_cache(dir, "forecast|" + em, R"({"key":"forecast|)" + em + R"(","stored_un)");
  server_.on("/json", 200, R"({"city":"Odense","region":"South Denmark","country":"DK"})");
  server_.on("/v3/carbon-intensity/latest", 200, em_latest("66", "DK-DK1"));
  server_.on("/v3/carbon-intensity/forecast", 200,
             R"({"forecast":[{"carbonIntensity":70,"datetime":"2026-01-01T00:00:00Z"}]})");
  auto s = make();
  IntensityValue v = settle(*s);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 66);
  EXPECT_TRUE(v.live);
  EXPECT_EQ(v.location, "Odense, South Denmark, DK");
  s->refresh_now();
  ASSERT_TRUE(s->wait_for_cycles(2, 30));
  std::vector<std::string> ignored;
  for (const auto& n : s->notes())
    if (n.rfind("Ignoring the corrupt cache file ", 0) == 0) ignored.push_back(n);
  EXPECT_THAT(ignored, ::testing::UnorderedElementsAre(HasSubstr("(not a location)"),
                                                       HasSubstr("(not an intensity reading)"),
                                                       HasSubstr("(malformed JSON)")));
  EXPECT_EQ(server_.count("/json"), 1);
  EXPECT_EQ(read_cache(dir, geo)["value"]["address"], "Odense, South Denmark, DK");
  EXPECT_EQ(read_cache(dir, "current|" + em)["value"]["g_per_kwh"], 66);
  EXPECT_EQ(read_cache(dir, "forecast|" + em)["value"][0][2], 70);
  fs::remove_all(dir);
}

TEST_F(IntensitySourceTest, DirectoryInPlaceOfACacheFileIsIgnoredOnce) {
  fs::path dir = fs::temp_directory_path() / ("ct_dir_cache_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  env_.cache_dir = dir.string();
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  const std::string key = "current|electricitymaps|" + server_.url() + "|zone=DK-DK1";
  fs::create_directories(dir / DiskCache::file_name(key));
  write_cache(dir, "x", R"({"key":5,"stored_unix_s":0,"value":1})");
  server_.on("/v3/carbon-intensity/latest", 200, em_latest("66", "DK-DK1"));
  auto s = make("DK-DK1");
  EXPECT_DOUBLE_EQ(settle(*s).g_per_kwh, 66);
  s->refresh_now();
  ASSERT_TRUE(s->wait_for_cycles(2, 30));
  EXPECT_EQ(server_.count("/v3/carbon-intensity/latest"), 2);
  int said = 0;
  for (const auto& n : s->notes())
    if (n.find("(not a regular file)") != std::string::npos) ++said;
  EXPECT_EQ(said, 1);
  EXPECT_FALSE(DiskCache(dir.string()).get("x", 0, 1e9));  // a key of the wrong type
  std::string problem;
  EXPECT_FALSE(DiskCache(dir.string()).get("x", 0, 1e9, &problem));
  EXPECT_THAT(problem, HasSubstr("(missing or mistyped fields)"));
  fs::remove_all(dir);
}

TEST_F(IntensitySourceTest, AnInternalErrorInACycleFallsBackSaysSoOnceAndDropsTheCache) {
  fs::path dir = fs::temp_directory_path() / ("ct_error_cache_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  env_.cache_dir = dir.string();
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  server_.on("/v3/carbon-intensity/latest", 200, em_latest("131"));
  std::atomic<int> cycles{0};
  IntensityOptions o;
  o.env = &env_;
  o.clock = &clock_;
  o.region = "DK-DK2";
  o.cycle_hook = [&] {
    if (++cycles <= 2) throw std::runtime_error("injected");
  };
  DetectingIntensitySource s(o);
  ASSERT_TRUE(s.wait_for_cycles(1, 30));
  IntensityValue v = s.current();
  EXPECT_FALSE(v.live);
  EXPECT_EQ(v.source, IntensityTable::embedded().lookup("DK-DK2")->describe() + " (offline table)");
  s.refresh_now();
  ASSERT_TRUE(s.wait_for_cycles(2, 30));
  s.refresh_now();
  ASSERT_TRUE(s.wait_for_cycles(3, 30));
  v = s.current();
  EXPECT_TRUE(v.live);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 131);
  int said = 0;
  for (const auto& n : s.notes())
    if (n.rfind("Live carbon intensity stopped after an internal error (injected): using the ",
                0) == 0)
      ++said;
  EXPECT_EQ(said, 1);
  EXPECT_FALSE(fs::exists(dir));  // the cache is no longer written
}

TEST_F(IntensitySourceTest, NoRequestBeforeTheStartDelayAndNoneIfStoppedSooner) {
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  // A delay no test run comes near, so that "stopped sooner" holds however
  // slowly this thread runs.
  env_.vars["CARBONTRACKER_NETWORK_START_DELAY_MS"] = "120000";
  server_.on("/v3/carbon-intensity/latest", 200, em_latest("1"));
  auto s = make("DE");
  EXPECT_FALSE(s->wait_for_cycles(1, 0.3));  // the thread is waiting out the delay
  auto start = std::chrono::steady_clock::now();
  s.reset();
  double took_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(server_.total(), 0);  // a run shorter than the delay never goes to the network
  // Its end does not wait for the delay: a correctness bound, not a speed
  // one. Waiting would take 120 s; a normal end takes milliseconds.
  EXPECT_LT(took_s, 60.0);
}

TEST_F(IntensitySourceTest, DestructorCancelsASlowFetchPromptly) {
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  env_.vars["CARBONTRACKER_HTTP_TIMEOUT_MS"] = "60000";
  env_.vars["CARBONTRACKER_HTTP_BUDGET_MS"] = "60000";
  server_.on("/v3/carbon-intensity/latest", {{200, em_latest("1"), 30.0, {}}});
  auto s = make("DE");
  while (server_.total() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto start = std::chrono::steady_clock::now();
  s.reset();
  double took_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // A correctness bound, not a speed one: an uncancelled fetch would wait for
  // the server's 30 s answer; a cancelled one ends in milliseconds. Half the
  // bad case leaves a loaded machine all the slack it needs.
  EXPECT_LT(took_s, 15.0);
}

TEST_F(IntensitySourceTest, ForecastWaitsABoundedTimeForTheFirstFetch) {
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  env_.vars["CARBONTRACKER_FORECAST_WAIT_MS"] = "100";
  server_.on("/v3/carbon-intensity/latest", {{200, em_latest("1"), 30.0, {}}});
  auto s = make("DE");
  EXPECT_FALSE(s->forecast(3600));
  EXPECT_FALSE(s->current().live);
}

TEST(AverageOverTest, TimeWeightedOverTheCoveredPart) {
  std::vector<Segment> segs = {{0, 10, 100}, {10, 20, 200}};
  auto a = average_over(segs, 5, 15);
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(a->first, 150);
  EXPECT_DOUBLE_EQ(a->second, 10);
  EXPECT_DOUBLE_EQ(average_over(segs, 15, 40)->first, 200);
  EXPECT_DOUBLE_EQ(average_over(segs, 15, 40)->second, 5);
  EXPECT_DOUBLE_EQ(average_over(segs, 12, 12)->first, 200);
  EXPECT_FALSE(average_over(segs, 30, 40));
  EXPECT_FALSE(average_over({}, 0, 1));
}

TEST(IsoTimeTest, ParsesTheFormsTheApisUse) {
  EXPECT_EQ(parse_iso_utc("2026-01-01T00:00Z"), kNow);
  EXPECT_EQ(parse_iso_utc("2026-01-01T00:00:30.500Z"), kNow + 30.5);
  EXPECT_EQ(parse_iso_utc("2026-01-01T01:00:00"), kNow + 3600);
  EXPECT_EQ(parse_iso_utc("2026-01-01T01:00:00+00:00"), kNow + 3600);
  EXPECT_FALSE(parse_iso_utc("2026-01-01T01:00:00+02:00"));
  EXPECT_FALSE(parse_iso_utc("yesterday"));
  EXPECT_FALSE(parse_iso_utc("2026-01-01T00:00:nanZ"));  // a NaN time would unsort a forecast
  EXPECT_FALSE(parse_iso_utc("2026-01-01T00:00:infZ"));
  EXPECT_EQ(format_utc_minutes(kNow + 90), "2026-01-01T00:01Z");
}

TEST(RedactTest, ReplacesEveryOccurrence) {
  EXPECT_EQ(redact("a KEY b KEY", {"KEY"}), "a [redacted] b [redacted]");
  EXPECT_EQ(redact("nothing", {""}), "nothing");
  EXPECT_EQ(url_encode(R"({"a":["b c"]})"), "%7B%22a%22%3A%5B%22b%20c%22%5D%7D");
}

}  // namespace
}  // namespace intensity_test
}  // namespace carbontracker
