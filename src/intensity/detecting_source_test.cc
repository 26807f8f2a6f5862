// The intensity source against a loopback server: offline, Electricity Maps, API
// keys, HTTP failures and malformed answers.
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

}  // namespace
}  // namespace intensity_test
}  // namespace carbontracker
