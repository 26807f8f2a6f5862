// The intensity source against a loopback server playing each provider.
#include "intensity/detecting_source.h"

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
#include "intensity/disk_cache.h"

namespace carbontracker {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::Contains;
using testing::FakeHttpServer;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr double kNow = 1767225600;  // 2026-01-01T00:00:00Z
const char kKey[] = "SECRET-em-key-7f3a";

// Everything the module says, for the "no key anywhere" checks.
std::string everything(const std::vector<std::string>& notes, const IntensityValue& v) {
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

TEST_F(IntensitySourceTest, OfflineMakesNoRequestAndUsesTheTable) {
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  server_.on("/v3/carbon-intensity/latest", 200, em_latest("99"));
  auto s = make("", /*offline=*/true);
  IntensityValue v = s->current();
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 123);  // Electricity Maps 2025 average for DK
  EXPECT_FALSE(v.live);
  EXPECT_EQ(v.location, "DK");
  EXPECT_EQ(v.source, "Electricity Maps 2025 country average (offline table)");
  EXPECT_EQ(v.default_description,
            "Live carbon intensity not fetched (offline mode) at detected location: DK. Defaulted "
            "to average carbon intensity for DK in 2025 of 123.00 gCO2/kWh.");
  EXPECT_THAT(s->notes(),
              ::testing::ElementsAre(
                  "Location DK from time zone Europe/Copenhagen (TZ via zone.tab).",
                  "Offline: no IP geolocation and no live carbon intensity (no network access)."));
  EXPECT_FALSE(s->forecast(3600));
  EXPECT_FALSE(s->wait_for_cycles(1, 0.2));
  s.reset();
  EXPECT_EQ(server_.total(), 0);
}

TEST_F(IntensitySourceTest, OfflineFromTheEnvironmentToo) {
  env_.offline = true;
  auto s = make("DK-DK1");
  EXPECT_DOUBLE_EQ(s->current().g_per_kwh, 112);
  EXPECT_EQ(s->current().location, "DK-DK1");
  s.reset();
  EXPECT_EQ(server_.total(), 0);
}

TEST_F(IntensitySourceTest, ElectricityMapsLiveValueAndForecast) {
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  server_.on("/v3/carbon-intensity/latest", 200, em_latest("99.5"));
  server_.on("/v3/carbon-intensity/forecast", 200,
             R"({"zone":"DK-DK2","forecast":[)"
             R"({"carbonIntensity":100,"datetime":"2026-01-01T00:00:00.000Z"},)"
             R"({"carbonIntensity":200,"datetime":"2026-01-01T01:00:00.000Z"},)"
             R"({"carbonIntensity":400,"datetime":"2026-01-01T02:00:00.000Z"}]})");
  auto s = make("dk-dk2");
  // Before the first fetch: the table value for the zone, at once.
  IntensityValue v = settle(*s);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 99.5);
  EXPECT_TRUE(v.live);
  EXPECT_FALSE(v.forecast);
  EXPECT_EQ(v.source, "Electricity Maps (live, zone DK-DK2)");
  EXPECT_EQ(v.location, "DK-DK2");

  auto reqs = server_.requests();
  ASSERT_GE(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/v3/carbon-intensity/latest");
  EXPECT_EQ(reqs[0].headers["auth-token"], kKey);
  EXPECT_EQ(reqs[0].params.find("zone")->second, "DK-DK2");
  EXPECT_EQ(reqs[0].target.find(kKey), std::string::npos);

  auto f = s->forecast(2 * 3600);
  ASSERT_TRUE(f);
  EXPECT_DOUBLE_EQ(f->g_per_kwh, 150);
  EXPECT_TRUE(f->forecast);
  EXPECT_TRUE(f->live);
  EXPECT_EQ(f->source, "Electricity Maps forecast");
  EXPECT_DOUBLE_EQ(s->forecast(1800)->g_per_kwh, 100);
  // Past the forecast horizon (3 h): the covered part, said so.
  auto far = s->forecast(6 * 3600);
  ASSERT_TRUE(far);
  EXPECT_NEAR(far->g_per_kwh, (100 + 200 + 400) / 3.0, 1e-9);
  EXPECT_EQ(far->source, "Electricity Maps forecast (covers 3:00:00 of 6:00:00)");
  std::string said = everything(s->notes(), v) + everything({}, *f);
  EXPECT_EQ(said.find(kKey), std::string::npos) << said;
}

TEST_F(IntensitySourceTest, RefreshReplacesTheValueOnItsInterval) {
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  server_.on("/v3/carbon-intensity/latest",
             {{200, em_latest("50", "DE"), 0, {}}, {200, em_latest("60", "DE"), 0, {}}});
  IntensityOptions o;
  o.env = &env_;
  o.clock = &clock_;
  o.region = "DE";
  o.refresh_interval_s = 0.05;
  DetectingIntensitySource s(o);
  EXPECT_DOUBLE_EQ(s.refresh_interval_s(), 0.05);
  ASSERT_TRUE(s.wait_for_cycles(3, 30));
  EXPECT_DOUBLE_EQ(s.current().g_per_kwh, 60);
  EXPECT_GE(server_.count("/v3/carbon-intensity/latest"), 3);
  // Said once when it went live, not at every refresh.
  auto notes = s.notes();
  EXPECT_EQ(std::count_if(notes.begin(), notes.end(),
                          [](const std::string& n) { return n.rfind("Using ", 0) == 0; }),
            1);
}

TEST_F(IntensitySourceTest, ApiKeyFromOptionsAndSetApiKeys) {
  server_.on("/v3/carbon-intensity/latest", 200, em_latest("77", "DE"));
  IntensityOptions o;
  o.env = &env_;
  o.clock = &clock_;
  o.region = "DE";
  o.api_keys = {{"ElectricityMaps", kKey}};
  DetectingIntensitySource s(o);
  EXPECT_DOUBLE_EQ(settle(s).g_per_kwh, 77);
  EXPECT_EQ(server_.requests().at(0).headers["auth-token"], kKey);

  EXPECT_THROW(s.set_api_keys({{"wattTime", "x"}}), Error);
  try {
    s.set_api_keys({{"wattTime", "x"}});
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_STREQ(e.what(), "Invalid API name 'wattTime' given.");
  }
  o.api_keys = {{"nope", kKey}};
  EXPECT_THROW(DetectingIntensitySource bad(o), Error);
}

TEST_F(IntensitySourceTest, KeySetLaterTriggersAFetch) {
  server_.on("/v3/carbon-intensity/latest", 200, em_latest("55", "DE"));
  auto s = make("DE");
  IntensityValue before = settle(*s);
  EXPECT_FALSE(before.live);
  EXPECT_DOUBLE_EQ(before.g_per_kwh, 342);  // DE 2025 average
  EXPECT_EQ(server_.total(), 0);            // no key, no provider for DE
  auto notes = s->notes();
  EXPECT_THAT(notes, Contains(HasSubstr("No live carbon-intensity source for DE")));
  s->set_api_keys({{"electricitymaps", kKey}});
  ASSERT_TRUE(s->wait_for_cycles(2, 30));
  EXPECT_DOUBLE_EQ(s->current().g_per_kwh, 55);
  EXPECT_TRUE(s->current().live);
}

TEST_F(IntensitySourceTest, Unauthorized401FallsBackToEnergiDataService) {
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  server_.on("/v3/carbon-intensity/latest", 401,
             std::string(R"({"message":"Invalid auth-token )") + kKey + "\"}");
  server_.on("/dataset/CO2Emis", 200, eds_record("DK2", "88.25"));
  server_.on("/dataset/CO2EmisProg", 200, R"({"records":[]})");
  auto s = make("DK-DK2");
  IntensityValue v = settle(*s);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 88.25);
  EXPECT_EQ(v.source, "Energi Data Service (live, DK2)");
  auto notes = s->notes();
  EXPECT_THAT(notes, Contains("Live carbon intensity from Electricity Maps failed: HTTP 401 (the "
                              "API key was refused or lacks access); trying Energi Data Service."));
  EXPECT_EQ(server_.count("/v3/carbon-intensity/latest"), 1);  // 401 is not retried
  auto reqs = server_.requests();
  bool saw_filter = false;
  for (const auto& r : reqs)
    if (r.path == "/dataset/CO2Emis") {
      EXPECT_EQ(r.params.find("filter")->second, R"({"PriceArea":["DK2"]})");
      EXPECT_EQ(r.params.find("sort")->second, "Minutes5UTC DESC");
      EXPECT_EQ(r.params.find("limit")->second, "1");
      saw_filter = true;
    }
  EXPECT_TRUE(saw_filter);
  EXPECT_FALSE(s->forecast(3600));  // empty prognosis
  std::string said = everything(notes, v);
  EXPECT_EQ(said.find(kKey), std::string::npos) << said;
}

TEST_F(IntensitySourceTest, RateLimitedThenSuccess) {
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  server_.on("/v3/carbon-intensity/latest",
             {{429, R"({"message":"slow down"})", 0, {{"Retry-After", "0"}}},
              {200, em_latest("42"), 0, {}}});
  auto s = make("DK-DK2");
  IntensityValue v = settle(*s);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 42);
  EXPECT_TRUE(v.live);
  EXPECT_EQ(server_.count("/v3/carbon-intensity/latest"), 2);
  EXPECT_THAT(s->notes(), ::testing::Not(Contains(HasSubstr("failed"))));
}

TEST_F(IntensitySourceTest, RetryAfterPastTheBudgetGivesUp) {
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  server_.on("/v3/carbon-intensity/latest",
             {{429, "{}", 0, {{"Retry-After", "3600"}}}, {200, em_latest("42"), 0, {}}});
  server_.on("/dataset/CO2Emis", 500, "{}");
  auto s = make("DK-DK2");
  IntensityValue v = settle(*s);
  EXPECT_FALSE(v.live);
  EXPECT_EQ(server_.count("/v3/carbon-intensity/latest"), 1);
  EXPECT_THAT(s->notes(), Contains(HasSubstr("HTTP 429 (retry after 3600.0 s would pass")));
}

TEST_F(IntensitySourceTest, ServerErrorsAreRetriedThenTheTableIsUsed) {
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  server_.on("/v3/carbon-intensity/latest", 500, "{}");
  server_.on("/dataset/CO2Emis", 503, "{}");
  auto s = make("DK-DK2");
  IntensityValue v = settle(*s);
  EXPECT_EQ(server_.count("/v3/carbon-intensity/latest"), 3);  // 1 + 2 retries
  EXPECT_EQ(server_.count("/dataset/CO2Emis"), 3);
  EXPECT_FALSE(v.live);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 144);
  EXPECT_EQ(v.source, "Electricity Maps 2025 zone average (offline table)");
  EXPECT_EQ(v.default_description,
            "Live carbon intensity could not be fetched at detected location: DK-DK2. Defaulted "
            "to average carbon intensity for DK-DK2 in 2025 of 144.00 gCO2/kWh.");
  EXPECT_THAT(s->notes(),
              ::testing::IsSupersetOf(
                  {"Live carbon intensity from Electricity Maps failed: HTTP 500; trying the next "
                   "source.",
                   "Live carbon intensity from Energi Data Service failed: DK2: HTTP 503; using "
                   "the Electricity Maps 2025 zone average (offline table) of 144.00 gCO2/kWh."}));
  EXPECT_FALSE(s->forecast(3600));
  // The same failure at the next refresh is not said again.
  s->refresh_now();
  ASSERT_TRUE(s->wait_for_cycles(2, 30));
  EXPECT_THAT(s->notes(), IsEmpty());
}

TEST_F(IntensitySourceTest, SlowAnswerPastTheTimeout) {
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  // The limit applies to every provider: long enough for a prompt loopback
  // answer under a sanitizer on a loaded machine (0.8 s was not, pinned to
  // one busy core), far shorter than the slow one (which never comes).
  env_.vars["CARBONTRACKER_HTTP_TIMEOUT_MS"] = "8000";
  env_.vars["CARBONTRACKER_HTTP_BUDGET_MS"] = "60000";
  server_.on("/v3/carbon-intensity/latest", {{200, em_latest("1"), 600.0, {}}});
  server_.on("/dataset/CO2Emis", 200, eds_record("DK2", "61"));
  auto s = make("DK-DK2");
  IntensityValue v = settle(*s);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 61);
  EXPECT_THAT(s->notes(), Contains(HasSubstr("Electricity Maps failed: timed out after 8.0 s")));
}

struct BadBody {
  const char* name;
  const char* body;
  const char* said;
};

class BadAnswerTest : public IntensitySourceTest, public ::testing::WithParamInterface<BadBody> {};

TEST_P(BadAnswerTest, FallsBackToTheTableWithOneMessage) {
  env_.vars["CARBONTRACKER_ELECTRICITYMAPS_API_KEY"] = kKey;
  server_.on("/v3/carbon-intensity/latest", 200, GetParam().body);
  auto s = make("DE");
  IntensityValue v = settle(*s);
  EXPECT_FALSE(v.live);
  EXPECT_DOUBLE_EQ(v.g_per_kwh, 342);
  auto notes = s->notes();
  EXPECT_THAT(notes, Contains("Live carbon intensity from Electricity Maps failed: " +
                              std::string(GetParam().said) +
                              "; using the Electricity Maps 2025 country average (offline "
                              "table) of 342.00 gCO2/kWh."));
  EXPECT_EQ(server_.count("/v3/carbon-intensity/latest"), 1);
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, BadAnswerTest,
    ::testing::Values(
        BadBody{"truncated", R"({"zone":"DE","carbonIntens)", "malformed JSON"},
        BadBody{"malformed", "<html>oops</html>", "malformed JSON"},
        BadBody{"empty", "", "empty answer"},
        BadBody{"null", R"({"zone":"DE","carbonIntensity":null})", "'carbonIntensity' is null"},
        BadBody{"missing", R"({"zone":"DE"})", "no 'carbonIntensity' field in the answer"},
        BadBody{"string", R"({"carbonIntensity":"12"})",
                "'carbonIntensity' is not a valid intensity"},
        BadBody{"negative", R"({"carbonIntensity":-5})",
                "'carbonIntensity' is not a valid intensity"}),
    [](const auto& info) { return std::string(info.param.name); });

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
}  // namespace carbontracker
