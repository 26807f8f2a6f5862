// Implementation details: the text readers walk the file line by line with
// string_view (no regular expressions: 10,000 runs must parse in well under
// a second). A record starts with "YYYY-MM-DD HH:MM:SS - "; lines without
// that prefix continue the previous record (the consumption blocks). Matching
// is on trimmed text, so hand-edited files with spaces for tabs still parse.
#include "logs/log_text.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "common/number.h"
#include "common/text.h"
#include "logs/text_scan.h"

namespace carbontracker::parser {

namespace scan {

ComponentLog& get_component(Components& comps, std::string_view name) {
  for (auto& [key, c] : comps)
    if (key == name) return c;
  comps.emplace_back(std::string(name), ComponentLog{});
  return comps.back().second;
}

nlohmann::json parse_log_json(std::string_view text) {
  bool bad = false;
  nlohmann::json j = nlohmann::json::parse(
      text,
      [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (depth > kMaxJsonDepth) bad = true;
        if (event == nlohmann::json::parse_event_t::value && parsed.is_number_float() &&
            !std::isfinite(parsed.get<double>()))
          bad = true;
        return !bad;
      },
      /*allow_exceptions=*/false);
  if (bad) return nlohmann::json(nlohmann::json::value_t::discarded);
  return j;
}

}  // namespace scan

namespace {

using scan::for_each_line;
using scan::get_component;
using scan::parse_log_json;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "YYYY-MM-DD HH:MM:SS" optionally ",mmm", then " - ". On success `message`
// is the text after the separator.
bool split_timestamp(std::string_view line, std::string_view* message) {
  static constexpr std::string_view kShape = "dddd-dd-dd dd:dd:dd";
  if (line.size() < kShape.size()) return false;
  for (size_t i = 0; i < kShape.size(); ++i) {
    if (kShape[i] == 'd' ? !is_digit(line[i]) : line[i] != kShape[i]) return false;
  }
  size_t pos = kShape.size();
  if (pos < line.size() && line[pos] == ',') {
    ++pos;
    while (pos < line.size() && is_digit(line[pos])) ++pos;
  }
  if (line.substr(pos, 3) != " - ") return false;
  *message = line.substr(pos + 3);
  return true;
}

// A number in a log: blanks and a '+' around it are allowed. An infinity
// ("inf", or out of range) is malformed, never summed. "nan" is read, as the
// original writes it ("CO2eq: nan g" when no intensity was known), and never
// summed either.
std::optional<double> parse_double(std::string_view s) {
  return parse_number(s, {.blanks = true, .plus = true, .nan = true});
}

std::optional<long long> parse_int(std::string_view s) {
  return parse_integer<long long>(s, {.blanks = true});
}

std::string_view strip_ct_prefix(std::string_view message) {
  static constexpr std::string_view kPrefix = "CarbonTracker:";
  if (message.substr(0, kPrefix.size()) == kPrefix) message.remove_prefix(kPrefix.size());
  return trim(message);
}

constexpr std::string_view kComponentsFound = "The following components were found:";

void apply_run_metadata(std::string_view json_text, RunInfo* info,
                        std::vector<std::string>* problems) {
  nlohmann::json j = parse_log_json(json_text);
  if (!j.is_object()) {
    problems->push_back("unreadable Run metadata line");
    return;
  }
  for (auto& [key, value] : j.items()) {
    std::string text = value.is_string()
                           ? value.get<std::string>()
                           : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (key == "hostname")
      info->hostname = text;
    else if (key == "version")
      info->version = text;
    else
      info->cluster[key] = text;
  }
  info->has_metadata = !info->hostname.empty() || !info->cluster.empty();
}

}  // namespace

std::optional<double> parse_duration_text(std::string_view text) {
  text = trim(text);
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  size_t c1 = text.find(':');
  if (c1 == std::string_view::npos) return std::nullopt;
  size_t c2 = text.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return std::nullopt;
  auto h = parse_int(text.substr(0, c1));
  auto m = parse_int(text.substr(c1 + 1, c2 - c1 - 1));
  auto s = parse_double(text.substr(c2 + 1));
  if (!h || !m || !s || *h < 0 || *m < 0 || !(*s >= 0)) return std::nullopt;
  double total = static_cast<double>(*h) * 3600.0 + static_cast<double>(*m) * 60.0 + *s;
  return negative ? -total : total;
}

std::vector<double> parse_power_values(std::string_view text) {
  text = trim(text);
  if (text == "None") return {0.0};
  std::vector<double> values;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t start = 0;
    auto sep = [](char c) { return is_blank(c) || c == '[' || c == ']' || c == ','; };
    while (start < rest.size() && sep(rest[start])) ++start;
    size_t end = start;
    while (end < rest.size() && !sep(rest[end])) ++end;
    if (end > start) {
      auto v = parse_double(rest.substr(start, end - start));
      if (!v) return {};
      values.push_back(*v);
    }
    rest.remove_prefix(end);
  }
  return values;
}

Components parse_components_line(std::string_view text) {
  // "GPU with device(s) NVIDIA A100-SXM4-40GB, NVIDIA A100. CPU with device(s) cpu:0, dram:0."
  static constexpr std::string_view kWith = " with device(s) ";
  Components comps;
  std::string padded = " " + std::string(trim(text));
  std::string_view s = padded;
  std::vector<std::pair<size_t, size_t>> heads;  // (name start, "with" position)
  for (size_t pos = s.find(kWith); pos != std::string_view::npos; pos = s.find(kWith, pos + 1)) {
    size_t name_start = s.rfind(' ', pos - 1);
    name_start = name_start == std::string_view::npos ? 0 : name_start + 1;
    if (name_start >= pos) continue;
    heads.emplace_back(name_start, pos);
  }
  for (size_t i = 0; i < heads.size(); ++i) {
    auto [name_start, with_pos] = heads[i];
    size_t list_start = with_pos + kWith.size();
    size_t list_end = i + 1 < heads.size() ? heads[i + 1].first : s.size();
    if (list_end < list_start) continue;
    std::string_view list = trim(s.substr(list_start, list_end - list_start));
    if (!list.empty() && list.back() == '.') list.remove_suffix(1);
    std::string name = lower(s.substr(name_start, with_pos - name_start));
    ComponentLog& comp = get_component(comps, name);
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view dev = trim(list.substr(0, comma));
      if (!dev.empty()) comp.devices.emplace_back(dev);
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return comps;
}

StdLogText parse_std_log_text(std::string_view text) {
  static constexpr std::string_view kPower = "Average power usage (W) for ";
  StdLogText out;
  std::vector<double> durations;
  std::vector<std::pair<std::string, std::vector<std::vector<double>>>> powers;
  int bad_power_lines = 0;
  bool have_devices = false;
  for_each_line(text, [&](std::string_view line) {
    std::string_view msg;
    if (split_timestamp(line, &msg))
      out.recognized = true;
    else
      msg = line;
    msg = trim(msg);
    if (msg.empty()) return;
    if (contains_nocase(msg, "training was interrupted")) {
      out.early_stop = true;
      out.recognized = true;
    }
    if (msg.substr(0, 6) == "Epoch " && msg.back() == ':' &&
        parse_int(msg.substr(6, msg.size() - 7))) {
      ++out.epoch_lines;
    } else if (msg.substr(0, 10) == "Duration: ") {
      if (auto d = parse_duration_text(msg.substr(10))) durations.push_back(*d);
    } else if (msg.substr(0, kPower.size()) == kPower) {
      std::string_view rest = msg.substr(kPower.size());
      size_t colon = rest.find(": ");
      if (colon == std::string_view::npos) {
        ++bad_power_lines;
        return;
      }
      std::vector<double> values = parse_power_values(rest.substr(colon + 2));
      if (values.empty()) {
        ++bad_power_lines;
        return;
      }
      std::string comp = lower(trim(rest.substr(0, colon)));
      auto it =
          std::find_if(powers.begin(), powers.end(), [&](auto& p) { return p.first == comp; });
      if (it == powers.end()) {
        powers.emplace_back(comp, std::vector<std::vector<double>>{});
        it = powers.end() - 1;
      }
      it->second.push_back(std::move(values));
    } else if (!have_devices && msg.substr(0, kComponentsFound.size()) == kComponentsFound) {
      out.components = parse_components_line(msg.substr(kComponentsFound.size()));
      have_devices = true;
      out.recognized = true;
    } else if (msg.substr(0, 22) == "carbontracker version ") {
      out.info.version = std::string(trim(msg.substr(22)));
      out.recognized = true;
    } else if (msg.substr(0, 14) == "Run metadata: ") {
      apply_run_metadata(msg.substr(14), &out.info, &out.problems);
    }
  });
  if (bad_power_lines > 0)
    out.problems.push_back(std::to_string(bad_power_lines) + " unreadable power line(s) ignored");
  if (!durations.empty() || !powers.empty()) out.recognized = true;
  out.epoch_durations_s = durations;
  // A component with power lines but absent from the components line (an
  // edited or truncated header) still gets its figures.
  for (auto& [name, values] : powers) get_component(out.components, name);
  for (auto& [name, comp] : out.components) {
    if (!durations.empty()) comp.epoch_durations_s = durations;
    const std::string& key = name;  // clang 14 cannot capture structured bindings
    auto it = std::find_if(powers.begin(), powers.end(), [&](auto& p) { return p.first == key; });
    if (it == powers.end()) continue;
    comp.avg_power_usages_w = it->second;
    if (durations.empty()) continue;
    const auto& pw = *comp.avg_power_usages_w;
    if (pw.size() != durations.size())
      out.problems.push_back("found " + std::to_string(pw.size()) + " power lines for " + name +
                             " and " + std::to_string(durations.size()) +
                             " durations; energies cover the epochs that have both");
    std::vector<std::vector<double>> energy;
    for (size_t i = 0; i < std::min(pw.size(), durations.size()); ++i) {
      std::vector<double> row;
      for (double p : pw[i]) row.push_back(p * durations[i]);
      energy.push_back(std::move(row));
    }
    comp.avg_energy_usages_j = std::move(energy);
  }
  return out;
}

OutputLogText parse_output_log_text(std::string_view text) {
  OutputLogText out;
  enum class Kind { kNone, kPred, kActual };
  Kind kind = Kind::kNone;
  ConsumptionLog block;
  bool count_in_text = false, have_energy = false, have_co2 = false, in_equivalents = false;

  auto finish = [&] {
    if (kind == Kind::kNone) return;
    if (have_energy && have_co2) {
      if (kind == Kind::kPred && !out.pred) {
        out.pred = block;
      } else if (kind == Kind::kActual && !out.actual) {
        out.actual = block;
        out.actual_count_in_text = count_in_text;
      }
    } else {
      out.problems.push_back(std::string(kind == Kind::kPred ? "predicted" : "actual") +
                             " consumption block incomplete; ignored");
    }
    kind = Kind::kNone;
  };
  // Returns true if `s` opens a consumption block.
  auto try_heading = [&](std::string_view s) {
    bool pred = starts_with_nocase(s, "Predicted consumption for ");
    bool actual = starts_with_nocase(s, "Actual consumption");
    if (!pred && !actual) return false;
    std::string_view rest = s.substr(pred ? 26 : 18);
    std::optional<long long> count;
    if (actual) {
      rest = trim(rest);
      if (rest == ":") {
        // "Actual consumption:" has no count.
      } else if (starts_with_nocase(rest, "for ")) {
        rest = trim(rest.substr(4));
        size_t sp = rest.find(' ');
        count = parse_int(rest.substr(0, sp));
        if (!count) return false;
      } else {
        return false;
      }
    } else {
      size_t sp = rest.find(' ');
      count = parse_int(rest.substr(0, sp));
      if (!count) return false;
    }
    finish();
    kind = pred ? Kind::kPred : Kind::kActual;
    block = ConsumptionLog{};
    block.epochs =
        count ? static_cast<int>(std::clamp<long long>(*count, -1000000000, 1000000000)) : 0;
    count_in_text = count.has_value();
    have_energy = have_co2 = in_equivalents = false;
    return true;
  };
  // The number before `unit` in "Energy:\t0.000362 kWh".
  auto value_before = [](std::string_view s, std::string_view unit) -> std::optional<double> {
    s = trim(s);
    size_t sp = s.find_first_of(" \t");
    std::string_view number = s.substr(0, sp);
    std::string_view tail = sp == std::string_view::npos ? std::string_view() : trim(s.substr(sp));
    if (!tail.empty() && tail != unit) return std::nullopt;
    return parse_double(number);
  };

  bool have_devices = false;
  for_each_line(text, [&](std::string_view line) {
    std::string_view msg;
    bool record_start = split_timestamp(line, &msg);
    if (record_start) {
      out.recognized = true;
      finish();
      msg = strip_ct_prefix(msg);
      if (!have_devices && msg.substr(0, kComponentsFound.size()) == kComponentsFound) {
        out.components = parse_components_line(msg.substr(kComponentsFound.size()));
        have_devices = true;
        return;
      }
    } else {
      msg = strip_ct_prefix(line);
    }
    if (msg.empty()) return;
    if (try_heading(msg)) {
      out.recognized = true;
      return;
    }
    if (kind == Kind::kNone) return;
    if (starts_with_nocase(msg, "Time:")) {
      block.duration_s = parse_duration_text(msg.substr(5));
    } else if (starts_with_nocase(msg, "Energy:")) {
      if (auto v = value_before(msg.substr(7), "kWh")) {
        block.energy_kwh = *v;
        have_energy = true;
      }
    } else if (starts_with_nocase(msg, "CO2eq:")) {
      if (auto v = value_before(msg.substr(6), "g")) {
        block.co2eq_g = *v;
        have_co2 = true;
      }
    } else if (starts_with_nocase(msg, "This is equivalent to:")) {
      in_equivalents = true;
      block.equivalents.emplace();
    } else if (in_equivalents) {
      size_t sp = msg.find(' ');
      if (sp == std::string_view::npos) return;
      auto v = parse_double(msg.substr(0, sp));
      std::string_view unit = trim(msg.substr(sp + 1));
      if (!v || unit.empty()) return;
      block.equivalents->emplace_back(std::string(unit), *v);
    }
  });
  finish();
  return out;
}

}  // namespace carbontracker::parser
