// Small scanning helpers shared by the log readers (log_text.cc for the
// text logs, log_jsonl.cc for the JSONL file). Internal to src/logs.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "carbontracker/parser.h"
#include "common/text.h"

namespace carbontracker::parser::scan {

// Calls f(line) for every line, without the line break.
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    f(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

// The component named `name`, added at the end when absent.
ComponentLog& get_component(Components& comps, std::string_view name);

// Logs are untrusted: a value nested deeper than this is refused on reading,
// so that nothing later (dump() recurses) can overflow the stack.
constexpr int kMaxJsonDepth = 64;

// The JSON value of `text`, or a discarded value when it is malformed, holds
// a number out of range (1e999 reads as infinity) or is nested more than
// kMaxJsonDepth deep. Never throws.
nlohmann::json parse_log_json(std::string_view text);

}  // namespace carbontracker::parser::scan
