// The providers' answers and the cache records read without the network:
// malformed and mistyped input is an error or nothing, never an exception.
#include "intensity/provider_answers.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "intensity/cache_records.h"
#include "intensity/disk_cache.h"

namespace carbontracker {
namespace {

using nlohmann::json;

// Every seed of the intensity fuzz corpus, through every reader.
TEST(ProviderAnswers, TheFuzzCorpusSeedsReadWithoutThrowing) {
  for (const char* name :
       {"uk_regional_no_data.json", "uk_regional_data_number.json", "uk_wrong_types.json",
        "em_forecast_wrong.json", "ipinfo_wrong_types.json", "cache_segments_wrong.json",
        "cache_stored_string.json", "cache_reading_string.json", "cache_location_wrong.json"}) {
    std::ifstream in(std::string(CT_SOURCE_DIR) + "/tests/fuzz/intensity_corpus/" + name);
    ASSERT_TRUE(in) << name;
    std::stringstream s;
    s << in.rdbuf();
    const std::string body = s.str();
    EXPECT_NO_THROW({
      parse_geolocation(body);
      parse_electricitymaps_latest(body);
      parse_electricitymaps_forecast(body);
      parse_uk_national(body);
      parse_uk_regional(body);
      parse_uk_segments(body, true);
      parse_uk_segments(body, false);
      parse_eds_latest(body);
      parse_eds_prognosis(body);
      if (auto v = DiskCache::read_entry(body, "k", 1e9, 1e12)) {
        location_from_json(*v);
        reading_from_json(*v);
        segments_from_json(*v);
      }
    }) << name;
  }
}

TEST(ProviderAnswers, ARegionWithoutDataIsAnError) {
  auto f = parse_uk_regional(R"({"data":[{"shortname":"x"}]})");
  EXPECT_FALSE(f.value);
  EXPECT_EQ(f.error, "no regional 'data' list in the answer");
  EXPECT_EQ(parse_uk_regional(R"({"data":{"shortname":"x","data":7}})").error,
            "no regional 'data' list in the answer");
  EXPECT_EQ(parse_uk_segments(R"({"data":[{"shortname":"x"}]})", true).error,
            "no 'data' list in the answer");
  auto ok = parse_uk_regional(
      R"({"data":[{"shortname":"South England","data":[{"from":"2026-01-01T00:00Z",)"
      R"("intensity":{"forecast":210}}]}]})");
  ASSERT_TRUE(ok.value) << ok.error;
  EXPECT_EQ(ok.value->g_per_kwh, 210);
  EXPECT_EQ(ok.value->detail, "region South England");
}

TEST(ProviderAnswers, FieldsOfTheWrongTypeAreErrorsOrSkipped) {
  EXPECT_EQ(parse_electricitymaps_latest(R"({"carbonIntensity":"12"})").error,
            "'carbonIntensity' is not a valid intensity");
  EXPECT_EQ(parse_electricitymaps_latest(R"([1,2])").error,
            "no 'carbonIntensity' field in the answer");
  auto em = parse_electricitymaps_latest(R"({"carbonIntensity":5,"zone":7,"datetime":[]})");
  ASSERT_TRUE(em.value);
  EXPECT_EQ(em.value->detail, "");
  EXPECT_EQ(em.value->time_unix_s, 0);
  EXPECT_EQ(parse_electricitymaps_forecast(R"({"forecast":[{"datetime":5,"carbonIntensity":"a"}]})")
                .error,
            "the forecast has no valid points");
  EXPECT_EQ(parse_uk_national(R"({"data":[{"intensity":7}]})").error,
            "no 'forecast' field in the answer");
  EXPECT_EQ(parse_eds_latest(R"({"records":{"CO2Emission":5}})").error, "no records in the answer");
  EXPECT_EQ(parse_eds_latest(R"({"records":[{"CO2Emission":null}]})").error,
            "'CO2Emission' is null");
  auto prog =
      parse_eds_prognosis(R"({"records":[{"Minutes5UTC":"2026-01-01T00:00:00","CO2Emission":"9"},)"
                          R"({"Minutes5UTC":"2026-01-01T00:05:00","CO2Emission":9}]})");
  ASSERT_TRUE(prog.value);
  ASSERT_EQ(prog.value->size(), 1u);
  EXPECT_EQ(prog.value->front().second, 9);
}

TEST(CacheRecords, MistypedRecordsAreNothing) {
  EXPECT_FALSE(reading_from_json(json::parse(R"({"g_per_kwh":"66","detail":"x"})")));
  EXPECT_FALSE(reading_from_json(json::parse(R"([66])")));
  EXPECT_FALSE(location_from_json(json::parse(R"({"alpha2":"DK","address":5})")));
  EXPECT_FALSE(segments_from_json(json::parse(R"([[1,2]])")));
  EXPECT_FALSE(segments_from_json(json::parse(R"([[2,1,5]])")));  // ends before it starts
  EXPECT_FALSE(segments_from_json(json::parse(R"([[1,2,-5]])")));
  IntensityReading r{66, 5, "zone DE"};
  auto back = reading_from_json(reading_to_json(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->detail, "zone DE");
  auto segs = segments_from_json(segments_to_json({{1, 2, 3}}));
  ASSERT_TRUE(segs);
  EXPECT_EQ(segs->at(0).g_per_kwh, 3);
}

TEST(CacheRecords, AnEntryOfTheWrongShapeSaysWhy) {
  const char* why = nullptr;
  EXPECT_FALSE(
      DiskCache::read_entry(R"({"key":"k","stored_unix_s":"1","value":1})", "k", 10, 100, &why));
  EXPECT_STREQ(why, "missing or mistyped fields");
  why = nullptr;
  EXPECT_FALSE(DiskCache::read_entry(R"({"key":"k","stored_un)", "k", 10, 100, &why));
  EXPECT_STREQ(why, "malformed JSON");
  why = nullptr;
  EXPECT_FALSE(
      DiskCache::read_entry(R"({"key":"j","stored_unix_s":1,"value":1})", "k", 10, 100, &why));
  EXPECT_EQ(why, nullptr);  // another key: a miss, not a corrupt file
  auto v = DiskCache::read_entry(R"({"key":"k","stored_unix_s":1,"value":{"a":1}})", "k", 10, 100);
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)["a"], 1);
}

}  // namespace
}  // namespace carbontracker
