#include "intensity/table.h"

#include <gtest/gtest.h>

#include "intensity/source.h"

namespace carbontracker {
namespace {

const IntensityTable& table() { return IntensityTable::embedded(); }

TEST(IntensityTableTest, EmbeddedTableHasEveryZoneAndCountry) {
  // 352 Electricity Maps zones and 222 Ember rows in @tgwf/co2 0.19.0.
  EXPECT_EQ(table().size(), 352u + 222u);
}

TEST(IntensityTableTest, Alpha2UsesTheElectricityMapsCountryRow) {
  auto e = table().lookup("DK");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "DK");
  EXPECT_EQ(e->source, "electricitymaps");
  EXPECT_EQ(e->year, 2025);
  EXPECT_DOUBLE_EQ(e->g_per_kwh, 123);
  EXPECT_EQ(e->display_code(), "DK");
  EXPECT_EQ(e->describe(), "Electricity Maps 2025 country average");
}

TEST(IntensityTableTest, Alpha3AndLowerCaseMapToTheSameRow) {
  auto e = table().lookup("dnk");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "DK");
  EXPECT_DOUBLE_EQ(e->g_per_kwh, 123);
  EXPECT_EQ(table().alpha2_of("GBR"), "GB");
  EXPECT_EQ(table().alpha3_of("gb"), "GBR");
}

TEST(IntensityTableTest, ZoneKeys) {
  auto e = table().lookup("dk-dk2");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "DK-DK2");
  EXPECT_DOUBLE_EQ(e->g_per_kwh, 144);
  EXPECT_EQ(e->alpha2, "DK");
  EXPECT_EQ(e->describe(), "Electricity Maps 2025 zone average");
  auto ciso = table().lookup("US-CAL-CISO");
  ASSERT_TRUE(ciso);
  EXPECT_EQ(ciso->alpha3, "USA");
}

TEST(IntensityTableTest, CountryWithZonesButNoCountryZoneUsesEmber) {
  // Electricity Maps has only RU-1, RU-2 and RU-AS, so Russia is Ember's figure.
  for (const char* code : {"RU", "RUS"}) {
    auto e = table().lookup(code);
    ASSERT_TRUE(e) << code;
    EXPECT_EQ(e->source, "ember");
    EXPECT_EQ(e->code, "RUS");
    EXPECT_DOUBLE_EQ(e->g_per_kwh, 446.17);
    EXPECT_EQ(e->display_code(), "RU");
    EXPECT_EQ(e->year, 0);
    EXPECT_EQ(e->year_clause(), "");
    EXPECT_EQ(e->describe(), "Ember country average");
  }
}

TEST(IntensityTableTest, UnknownCodesHaveNoRowAndTheWorldIsEmber) {
  EXPECT_FALSE(table().lookup("ZZ"));
  EXPECT_FALSE(table().lookup("XYZ"));
  EXPECT_FALSE(table().lookup(""));
  EXPECT_EQ(table().world().code, "WORLD");
  EXPECT_DOUBLE_EQ(table().world().g_per_kwh, 472.94);
  EXPECT_EQ(table().world().describe(), "Ember world average");
}

TEST(IntensityTableTest, ParsesQuotesAndSkipsMalformedLines) {
  IntensityTable t(
      "code,alpha2,alpha3,name,year,g_co2e_per_kwh,source\n"
      "BO,BO,BOL,\"Bolivia, \"\"Plurinational\"\"\",2025,400,electricitymaps\r\n"
      "XX,XX,XXX,Bad value,2025,abc,electricitymaps\n"
      "YY,YY,YYY,Negative,2025,-1,electricitymaps\n"
      "ZZ,too,few\n");
  EXPECT_EQ(t.size(), 1u);
  auto e = t.lookup("BOL");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->name, "Bolivia, \"Plurinational\"");
  EXPECT_EQ(e->source, "electricitymaps");
  EXPECT_DOUBLE_EQ(t.world().g_per_kwh, kWorldDefaultIntensity);
}

}  // namespace
}  // namespace carbontracker
