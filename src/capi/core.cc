#include "capi/core.h"

#include "cli/cli.h"
#include "common/counted_thread.h"
#include "logs/log_text.h"
#include "output/json.h"
#include "report/render.h"
#include "report/report_model.h"

namespace carbontracker::capi::core {

using nlohmann::json;

json run_record(const RunResult& result) { return run_to_json(result); }

json read_std_log(std::string_view text) {
  parser::StdLogText s = parser::parse_std_log_text(text);
  return {{"components", parser::to_json(s.components)},
          {"epoch_durations (s)", s.epoch_durations_s},
          {"early_stop", s.early_stop},
          {"epoch_lines", s.epoch_lines},
          {"recognized", s.recognized},
          {"problems", s.problems}};
}

json read_output_log(std::string_view text) {
  parser::OutputLogText o = parser::parse_output_log_text(text);
  return {{"actual", o.actual ? parser::to_json(*o.actual) : json()},
          {"pred", o.pred ? parser::to_json(*o.pred) : json()},
          {"actual_count_in_text", o.actual_count_in_text},
          {"components", parser::to_json(o.components)},
          {"recognized", o.recognized},
          {"problems", o.problems}};
}

json read_run(const RunFile& std_log, const RunFile& output_log, const RunFile& jsonl,
              std::vector<std::string>* warnings) {
  auto text_of = [](const RunFile& f) { return parser::RunFileText{f.path, f.text, f.problem}; };
  parser::RunTexts run{text_of(std_log), text_of(output_log), text_of(jsonl)};
  std::optional<parser::LogResult> r = parser::read_run_texts(run, {}, warnings);
  return r ? parser::to_json(*r) : json();
}

std::optional<double> parse_duration(std::string_view text) {
  return parser::parse_duration_text(text);
}

bool report_format_known(const std::string& output) {
  return report::format_for(output).has_value();
}

std::vector<std::string> write_report(const std::string& path, const std::string& output) {
  report::Report r = report::build_report(path);
  report::write_report(r, output);
  return r.warnings;
}

int run_cli(const std::vector<std::string>& args) { return carbontracker::run_cli(args); }

int running_library_threads() { return carbontracker::running_library_threads(); }

}  // namespace carbontracker::capi::core
