// libFuzzer target for the log readers: every input goes through the
// standard-log, output-log and JSONL readers and the JSON conversion of
// their results. Built and run by tests/fuzz (see tests/fuzz/run-fuzz.sh).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "carbontracker/parser.h"
#include "logs/log_text.h"

namespace cp = carbontracker::parser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto dump = [](const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };

  cp::StdLogText s = cp::parse_std_log_text(text);
  dump(cp::to_json(s.components));

  cp::OutputLogText o = cp::parse_output_log_text(text);
  cp::LogResult r;
  r.components = o.components;
  r.actual = o.actual;
  r.pred = o.pred;
  r.info = s.info;
  dump(cp::to_json(r));
  cp::aggregate_sentence(cp::aggregate({r}));

  std::vector<std::string> problems;
  if (auto run = cp::parse_jsonl_text(text, &problems)) {
    cp::LogResult j;
    j.components = run->components;
    j.actual = run->actual;
    j.pred = run->pred;
    j.info = run->info;
    j.epoch_uncertainties = run->epoch_uncertainties;
    dump(cp::to_json(j));
    // The intervals summed and stated (schema 3).
    cp::Aggregate a = cp::aggregate({j, j});
    dump(cp::to_json(a));
    cp::uncertainty_sentence(a);
  }

  cp::parse_power_values(text.substr(0, 256));
  cp::parse_duration_text(text.substr(0, 64));
  cp::parse_components_line(text.substr(0, 1024));
  return 0;
}
