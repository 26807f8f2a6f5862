// The offline carbon-intensity table (data/carbon-intensity.csv, embedded in
// the library): yearly averages per Electricity Maps zone and per country
// (Ember), and the world average. See data/README.md for the columns, the
// lookup order and the data licences.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace carbontracker {

struct TableEntry {
  std::string code;    // zone key ("DK-DK2"), alpha-3 ("DNK") or aggregate ("WORLD")
  std::string alpha2;  // country alpha-2, empty for aggregates
  std::string alpha3;  // country alpha-3, empty for aggregates
  std::string name;
  int year = 0;  // 0 when the source does not say
  double g_per_kwh = 0;
  std::string source;  // "electricitymaps" or "ember"

  // The code shown to users: the zone key, or alpha-2 for an Ember country.
  std::string display_code() const;
  // "Electricity Maps 2025 zone average" / "Ember country average" ...
  std::string describe() const;
  // "in 2025 " or "" when the year is unknown: for "average ... for DK in 2025 of".
  std::string year_clause() const;
};

class IntensityTable {
 public:
  // Parses CSV text in the format of data/carbon-intensity.csv. Malformed
  // lines are skipped; a table without a WORLD row gets the reference
  // fallback (kWorldDefaultIntensity).
  explicit IntensityTable(std::string_view csv);

  // The embedded table, parsed once.
  static const IntensityTable& embedded();

  // Zone key, alpha-2 or alpha-3, case-insensitive (see data/README.md for
  // the order). nullopt if the table has no figure for it.
  std::optional<TableEntry> lookup(std::string_view region) const;
  // The world average (Ember WORLD row).
  const TableEntry& world() const { return world_; }
  // Alpha-3 for an alpha-2 (upper case), or "" if unknown.
  std::string alpha3_of(std::string_view alpha2) const;
  // Alpha-2 for an alpha-3, or "" if unknown.
  std::string alpha2_of(std::string_view alpha3) const;
  size_t size() const { return entries_.size(); }

 private:
  const TableEntry* find(std::string_view code, std::string_view source) const;
  std::vector<TableEntry> entries_;
  TableEntry world_;
};

// Splits one RFC 4180 CSV line into fields (quotes and doubled quotes).
std::vector<std::string> split_csv_line(std::string_view line);

}  // namespace carbontracker
