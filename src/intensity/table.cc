#include "intensity/table.h"

#include <cctype>

#include "common/embedded.h"
#include "common/number.h"
#include "common/text.h"
#include "intensity/source.h"

namespace carbontracker {

std::vector<std::string> split_csv_line(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

std::string TableEntry::display_code() const {
  return source == "ember" && !alpha2.empty() ? alpha2 : code;
}

std::string TableEntry::describe() const {
  if (source == "electricitymaps") {
    bool country = code.find('-') == std::string::npos;
    return "Electricity Maps " + std::to_string(year) + (country ? " country" : " zone") +
           " average";
  }
  std::string what = code == "WORLD" ? "world" : alpha2.empty() ? "region" : "country";
  return "Ember " + (year ? std::to_string(year) + " " : std::string()) + what + " average";
}

std::string TableEntry::year_clause() const {
  return year ? "in " + std::to_string(year) + " " : std::string();
}

IntensityTable::IntensityTable(std::string_view csv) {
  size_t pos = 0;
  bool header = true;
  while (pos < csv.size()) {
    size_t end = csv.find('\n', pos);
    if (end == std::string_view::npos) end = csv.size();
    std::string_view line = csv.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      header = false;
      continue;
    }
    auto f = split_csv_line(line);
    if (f.size() != 7 || f[0].empty()) continue;
    TableEntry e;
    e.code = upper(f[0]);
    e.alpha2 = upper(f[1]);
    e.alpha3 = upper(f[2]);
    e.name = f[3];
    if (!f[4].empty()) {
      std::optional<int> year = parse_integer<int>(f[4]);
      if (!year) continue;
      e.year = *year;
    }
    std::optional<double> g = parse_number(f[5]);
    if (!g || *g < 0) continue;
    e.g_per_kwh = *g;
    e.source = f[6];
    entries_.push_back(std::move(e));
  }
  if (const TableEntry* w = find("WORLD", "ember")) {
    world_ = *w;
  } else {
    world_ = {"WORLD", "", "", "World", 2019, kWorldDefaultIntensity, "reference"};
  }
}

const IntensityTable& IntensityTable::embedded() {
  static const IntensityTable table(embedded_file("carbon-intensity.csv"));
  return table;
}

const TableEntry* IntensityTable::find(std::string_view code, std::string_view source) const {
  for (const auto& e : entries_)
    if (e.code == code && e.source == source) return &e;
  return nullptr;
}

std::string IntensityTable::alpha3_of(std::string_view alpha2) const {
  std::string a2 = upper(alpha2);
  for (const auto& e : entries_)
    if (e.alpha2 == a2 && !e.alpha3.empty()) return e.alpha3;
  return "";
}

std::string IntensityTable::alpha2_of(std::string_view alpha3) const {
  std::string a3 = upper(alpha3);
  for (const auto& e : entries_)
    if (e.alpha3 == a3 && !e.alpha2.empty()) return e.alpha2;
  return "";
}

std::optional<TableEntry> IntensityTable::lookup(std::string_view region) const {
  std::string key = upper(region);
  if (key.empty()) return std::nullopt;
  if (const TableEntry* e = find(key, "electricitymaps")) return *e;
  std::string alpha2 = key.size() == 3 ? alpha2_of(key) : "";
  if (!alpha2.empty())
    if (const TableEntry* e = find(alpha2, "electricitymaps")) return *e;
  std::string alpha3 = key.size() == 2 ? alpha3_of(key) : key;
  if (const TableEntry* e = find(alpha3, "ember")) return *e;
  return std::nullopt;
}

}  // namespace carbontracker
