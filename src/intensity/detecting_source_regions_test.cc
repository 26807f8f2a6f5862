// The intensity source against a loopback server: Great Britain, Denmark, IP
// geolocation and regions.
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

TEST_F(IntensitySourceTest, GreatBritainNationalWithForecast) {
  server_.on("/intensity", 200,
             R"({"data":[{"from":"2025-12-31T23:30Z","to":"2026-01-01T00:00Z",)"
             R"("intensity":{"forecast":180,"actual":170,"index":"moderate"}}]})");
  server_.on(
      "/intensity/2026-01-01T00:00Z/fw24h", 200,
      R"({"data":[{"from":"2026-01-01T00:00Z","to":"2026-01-01T00:30Z","intensity":{"forecast":100,"actual":null}},)"
      R"({"from":"2026-01-01T00:30Z","to":"2026-01-01T01:00Z","intensity":{"forecast":300,"actual":null}}]})");
  auto s = make("GB");
  IntensityValue v = settle(*s);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 170);  // the measured value when present
  EXPECT_EQ(v.source, "carbonintensity.org.uk (live, national)");
  auto f = s->forecast(3600);
  ASSERT_TRUE(f);
  EXPECT_DOUBLE_EQ(f->g_per_kwh, 200);
  EXPECT_EQ(f->source, "carbonintensity.org.uk forecast");
  EXPECT_EQ(server_.count("/intensity/2026-01-01T00:00Z/fw24h"), 1);
}

TEST_F(IntensitySourceTest, GreatBritainRegionalByPostcode) {
  env_.vars["CARBONTRACKER_CARBONINTENSITY_UK_POSTCODE"] = "rg10 9ab";
  server_.on(
      "/regional/postcode/RG10", 200,
      R"({"data":[{"regionid":12,"shortname":"South England","postcode":"RG10","data":[)"
      R"({"from":"2026-01-01T00:00Z","to":"2026-01-01T00:30Z","intensity":{"forecast":210,"index":"moderate"}}]}]})");
  server_.on(
      "/regional/intensity/2026-01-01T00:00Z/fw24h/postcode/RG10", 200,
      R"({"data":{"regionid":12,"shortname":"South England","postcode":"RG10","data":[)"
      R"({"from":"2026-01-01T00:00Z","to":"2026-01-01T00:30Z","intensity":{"forecast":200}},)"
      R"({"from":"2026-01-01T00:30Z","to":"2026-01-01T01:00Z","intensity":{"forecast":300}}]}})");
  auto s = make("GB");
  IntensityValue v = settle(*s);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 210);
  EXPECT_EQ(v.source, "carbonintensity.org.uk (live, region South England)");
  EXPECT_DOUBLE_EQ(s->forecast(3600)->g_per_kwh, 250);
  EXPECT_EQ(server_.count("/intensity"), 0);
}

TEST_F(IntensitySourceTest, GreatBritainRegionalFailureFallsBackToNational) {
  env_.vars["CARBONTRACKER_CARBONINTENSITY_UK_REGION_ID"] = "13";
  server_.on("/regional/regionid/13", 500, "{}");
  server_.on(
      "/intensity", 200,
      R"({"data":[{"from":"2026-01-01T00:00Z","to":"2026-01-01T00:30Z","intensity":{"forecast":190,"actual":null}}]})");
  auto s = make("GBR");
  IntensityValue v = settle(*s);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 190);  // forecast when no actual yet
  EXPECT_EQ(v.source, "carbonintensity.org.uk (live, national)");
  EXPECT_EQ(server_.count("/regional/regionid/13"), 3);
}

TEST_F(IntensitySourceTest, GreatBritainMalformedRegionalAnswerFallsBackToNational) {
  env_.vars["CARBONTRACKER_CARBONINTENSITY_UK_REGION_ID"] = "13";
  // A region object without its 'data' list, and a forecast region without one.
  server_.on("/regional/regionid/13", 200, R"({"data":[{"shortname":"x"}]})");
  server_.on("/regional/intensity/2026-01-01T00:00Z/fw24h/regionid/13", 200,
             R"({"data":{"shortname":"x","data":7}})");
  server_.on(
      "/intensity", 200,
      R"({"data":[{"from":"2026-01-01T00:00Z","to":"2026-01-01T00:30Z","intensity":{"forecast":190}}]})");
  server_.on(
      "/intensity/2026-01-01T00:00Z/fw24h", 200,
      R"({"data":[{"from":"2026-01-01T00:00Z","to":"2026-01-01T01:00Z","intensity":{"forecast":180}}]})");
  auto s = make("GB");
  IntensityValue v = settle(*s);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 190);
  EXPECT_EQ(v.source, "carbonintensity.org.uk (live, national)");
  auto f = s->forecast(3600);
  ASSERT_TRUE(f);
  EXPECT_DOUBLE_EQ(f->g_per_kwh, 180);
}

TEST_F(IntensitySourceTest, MalformedAnswersAreNoValueWithOneMessage) {
  env_.vars["CARBONTRACKER_CARBONINTENSITY_UK_REGION_ID"] = "13";
  server_.on("/regional/regionid/13", 200, R"({"data":[{"shortname":"x","data":{}}]})");
  server_.on("/intensity", 200, R"({"data":[{"from":"2026-01-01T00:00Z","intensity":7}]})");
  auto s = make("GB");
  IntensityValue v = settle(*s);
  EXPECT_FALSE(v.live);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, IntensityTable::embedded().lookup("GB")->g_per_kwh);
  auto notes = s->notes();
  EXPECT_THAT(notes, Contains(HasSubstr(
                         "Live carbon intensity from carbonintensity.org.uk failed: regional "
                         "(regionid 13): no regional 'data' list in the answer; national: no "
                         "'forecast' field in the answer")));
}

TEST_F(IntensitySourceTest, GeolocationWithAWrongFieldTypeIsStillRead) {
  env_.tz = "";
  server_.on("/json", 200, R"({"bogon":"no","country":"DK","city":7,"region":"Zealand"})");
  server_.on("/dataset/CO2Emis", 200, R"({"records":{"CO2Emission":5}})");
  auto s = make();
  IntensityValue v = settle(*s);
  EXPECT_EQ(v.location, "Zealand, DK");
  EXPECT_FALSE(v.live);
  EXPECT_THAT(s->notes(), Contains(HasSubstr("DK2: no records in the answer")));
}

TEST_F(IntensitySourceTest, DenmarkBothPriceAreasAndPrognosis) {
  env_.tz = "Europe/Copenhagen";
  // Geolocation answers with no region, so both price areas are averaged.
  server_.on("/json", 500, "{}");
  server_.on("/dataset/CO2Emis",
             {{200, eds_record("DK1", "100"), 0, {}}, {200, eds_record("DK2", "200"), 0, {}}});
  std::string prog = R"({"records":[)";
  for (int i = 0; i < 24; ++i) {  // two hours of 5-minute prognoses per area
    int h = i / 12, m = (i % 12) * 5;
    char t[32];
    std::snprintf(t, sizeof t, "2026-01-01T%02d:%02d:00", h, m);
    prog += std::string(i ? "," : "") + R"({"Minutes5UTC":")" + t + R"(","CO2Emission":)" +
            std::to_string(h == 0 ? 100 : 300) + "}";
  }
  prog += "]}";
  server_.on("/dataset/CO2EmisProg", 200, prog);
  auto s = make();
  IntensityValue v = settle(*s);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 150);
  EXPECT_EQ(v.source, "Energi Data Service (live, mean of DK1 and DK2)");
  EXPECT_EQ(v.location, "DK");
  auto f = s->forecast(2 * 3600);
  ASSERT_TRUE(f);
  EXPECT_DOUBLE_EQ(f->g_per_kwh, 200);
  for (const auto& r : server_.requests())
    if (r.path == "/dataset/CO2EmisProg") {
      EXPECT_EQ(r.params.find("start")->second, "2026-01-01T00:00");
      EXPECT_EQ(r.params.find("end")->second, "2026-01-02T00:00");
    }
  EXPECT_THAT(s->notes(),
              ::testing::ElementsAre(
                  "Location DK from time zone Europe/Copenhagen (TZ via zone.tab) until IP "
                  "geolocation answers.",
                  "IP geolocation failed (HTTP 500): keeping location DK from the time zone.",
                  "Using Energi Data Service (live, mean of DK1 and DK2) at DK."));
}

TEST_F(IntensitySourceTest, DenmarkNullEmissionFallsBack) {
  server_.on("/dataset/CO2Emis", 200,
             R"({"records":[{"Minutes5UTC":"2025-12-31T23:55:00","CO2Emission":null}]})");
  auto s = make("DK-DK1");
  IntensityValue v = settle(*s);
  EXPECT_FALSE(v.live);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 112);
  EXPECT_THAT(s->notes(), Contains(HasSubstr("DK1: 'CO2Emission' is null")));
}

TEST_F(IntensitySourceTest, GeolocationGivesAddressCoordinatesAndPriceArea) {
  env_.tz = "Etc/UTC";
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  server_.on("/json", 200,
             R"({"ip":"192.0.2.1","city":"Copenhagen","region":"Capital Region","country":"DK",)"
             R"("loc":"55.6759,12.5655","postal":"1000","timezone":"Europe/Copenhagen"})");
  server_.on("/v3/carbon-intensity/latest", 200, em_latest("131"));
  auto s = make();
  IntensityValue first = s->current();
  EXPECT_EQ(first.location, "UNDETECTED");
  EXPECT_DOUBLE_EQ(first.g_per_kwh, 472.94);
  EXPECT_EQ(first.default_description,
            "Live carbon intensity not fetched yet at detected location: Unknown. Defaulted to "
            "average carbon intensity for world of 472.94 gCO2/kWh.");
  IntensityValue v = settle(*s);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 131);
  EXPECT_EQ(v.location, "Copenhagen, Capital Region, DK");
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 3u);  // geolocation, latest, forecast
  EXPECT_EQ(reqs[0].path, "/json");
  EXPECT_EQ(reqs[1].params.find("lat")->second, "55.6759");
  EXPECT_EQ(reqs[1].params.find("lon")->second, "12.5655");
  EXPECT_EQ(reqs[0].headers.count("auth-token"), 0u);  // the key goes to Electricity Maps only
  auto notes = s->notes();
  EXPECT_THAT(notes, Contains("Time zone Etc/UTC (TZ) has no country in " + env_.zone_tab + "."));
  EXPECT_THAT(notes, Contains("Location Copenhagen, Capital Region, DK from IP geolocation."));
}

TEST_F(IntensitySourceTest, GeolocationRegionPicksThePriceArea) {
  server_.on(
      "/json", 200,
      R"({"city":"Aarhus","region":"Central Jutland","country":"DK","loc":"56.1567,10.2108"})");
  server_.on("/dataset/CO2Emis", 200, eds_record("DK1", "70"));
  auto s = make();
  EXPECT_DOUBLE_EQ(settle(*s).g_per_kwh, 70);
  for (const auto& r : server_.requests()) {
    if (r.path == "/dataset/CO2Emis") {
      EXPECT_EQ(r.params.find("filter")->second, R"({"PriceArea":["DK1"]})");
    }
  }
}

TEST_F(IntensitySourceTest, GeolocationTimeoutKeepsTheTimeZone) {
  env_.vars["CARBONTRACKER_IPGEO_TIMEOUT_MS"] = "200";
  env_.tz = "America/New_York";
  server_.on("/json", {{200, R"({"country":"DK"})", 3.0, {}}});
  auto s = make();
  IntensityValue v = settle(*s);
  EXPECT_EQ(v.location, "US");
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 414);
  EXPECT_EQ(v.default_description,
            "Live carbon intensity could not be fetched at detected location: US. Defaulted to "
            "average carbon intensity for US in 2025 of 414.00 gCO2/kWh.");
  EXPECT_THAT(s->notes(), Contains(HasSubstr("IP geolocation failed (timed out after 0.2 s)")));
}

TEST_F(IntensitySourceTest, GeolocationFailureWithoutTimeZoneLeavesTheWorldAverage) {
  env_.tz = "";
  server_.on("/json", 500, "{}");
  auto s = make();
  IntensityValue v = settle(*s);
  EXPECT_EQ(v.location, "UNDETECTED");
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 472.94);
  EXPECT_EQ(v.default_description,
            "Live carbon intensity could not be fetched at detected location: Unknown. Defaulted "
            "to average carbon intensity for world of 472.94 gCO2/kWh.");
  EXPECT_THAT(s->notes(),
              ::testing::ElementsAre(
                  "Location unknown until IP geolocation answers: using the world average.",
                  "IP geolocation failed (HTTP 500): location unknown, using the world average.",
                  "No live carbon intensity without a location: using the Ember world average "
                  "(offline table) of 472.94 gCO2/kWh."));
  EXPECT_EQ(server_.count("/json"), 3);  // retried: 500 is a server error
}

TEST_F(IntensitySourceTest, UnknownRegionUsesTheWorldAverage) {
  auto s = make("Atlantis", /*offline=*/true);
  IntensityValue v = s->current();
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 472.94);
  EXPECT_EQ(v.source, "Ember world average (offline table)");
  EXPECT_EQ(v.location, "ATLANTIS");
  EXPECT_THAT(s->notes(),
              Contains("Region ATLANTIS is not in the offline carbon-intensity table: using the "
                       "world average until a live value arrives."));
}

TEST_F(IntensitySourceTest, UnknownLocationOffline) {
  env_.tz = "";
  auto s = make("", /*offline=*/true);
  IntensityValue v = s->current();
  EXPECT_EQ(v.location, "UNDETECTED");
  EXPECT_EQ(v.default_description,
            "Live carbon intensity not fetched (offline mode) at detected location: Unknown. "
            "Defaulted to average carbon intensity for world of 472.94 gCO2/kWh.");
  EXPECT_THAT(s->notes(), Contains("Location unknown: using the world average."));
}

TEST_F(IntensitySourceTest, RegionFromTheEnvironmentAndEmberOnlyCountry) {
  env_.region = "RU";
  auto s = make("", true);
  IntensityValue v = s->current();
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 446.17);
  EXPECT_EQ(v.source, "Ember country average (offline table)");
  EXPECT_THAT(v.default_description, HasSubstr("average carbon intensity for RU of 446.17"));
  EXPECT_THAT(s->notes(), Contains("Location RU from CARBONTRACKER_REGION."));
}

}  // namespace
}  // namespace intensity_test
}  // namespace carbontracker
