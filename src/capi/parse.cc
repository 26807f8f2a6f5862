// The log parser's and the report's entry points of the C interface
// (include/carbontracker/carbontracker.h). JSON going out is dumped with
// invalid UTF-8 replaced (status.h).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capi/core.h"
#include "capi/status.h"
#include "carbontracker/parser.h"
#include "logs/log_uncertainty.h"
#include "model/uncertainty_sum.h"

using namespace carbontracker;        // NOLINT(build/namespaces)
using namespace carbontracker::capi;  // NOLINT(build/namespaces)

// The definitions take their C linkage from the header's declarations.

namespace {

std::string str(const char* s) { return s ? std::string(s) : std::string(); }

template <typename F>
int parse_call(const char* function, char** out, F&& body) {
  if (out) *out = nullptr;
  return guarded([&] {
    require(out, function, "json");
    std::vector<std::string> warnings;
    json value = body(&warnings);
    return give_json(json{{"value", std::move(value)}, {"warnings", warnings}}, out);
  });
}

}  // namespace

int ct_parse_logs(const char* log_dir, const char* std_log_file, const char* output_log_file,
                  char** json_out) {
  return parse_call("ct_parse_logs", json_out, [&](std::vector<std::string>* w) {
    return parser::to_json(
        parser::parse_logs(str(log_dir), str(std_log_file), str(output_log_file), w));
  });
}

int ct_parse_all_logs(const char* log_dir, int recursive, char** json_out) {
  return parse_call("ct_parse_all_logs", json_out, [&](std::vector<std::string>* w) {
    parser::ParseOptions po;
    po.recursive = recursive != 0;
    return parser::to_json(parser::parse_all_logs(str(log_dir), w, po));
  });
}

int ct_aggregate_consumption(const char* log_dir, int recursive, char** json_out) {
  return parse_call("ct_aggregate_consumption", json_out, [&](std::vector<std::string>* w) {
    parser::ParseOptions po;
    po.recursive = recursive != 0;
    parser::Aggregate a = parser::aggregate_consumption(str(log_dir), w, po);
    json j = parser::to_json(a);
    j["sentence"] = parser::aggregate_sentence(a);
    j["uncertainty_sentence"] = parser::uncertainty_sentence(a);
    return j;
  });
}

int ct_read_std_log(const char* text, size_t len, char** json_out) {
  if (json_out) *json_out = nullptr;
  return guarded([&] {
    require(json_out, "ct_read_std_log", "json");
    if (!text && len) require(text, "ct_read_std_log", "text");
    return give_json(core::read_std_log(std::string_view(text ? text : "", len)), json_out);
  });
}

int ct_read_output_log(const char* text, size_t len, char** json_out) {
  if (json_out) *json_out = nullptr;
  return guarded([&] {
    require(json_out, "ct_read_output_log", "json");
    if (!text && len) require(text, "ct_read_output_log", "text");
    return give_json(core::read_output_log(std::string_view(text ? text : "", len)), json_out);
  });
}

int ct_read_run(const char* files_json, char** json_out) {
  if (json_out) *json_out = nullptr;
  core::RunFile std_log, output_log, jsonl;
  int rc = guarded([&] {
    require(json_out, "ct_read_run", "json");
    json files = parse_json_arg(files_json, "ct_read_run", "files_json");
    if (!files.is_object()) invalid("ct_read_run: files_json must be a JSON object");
    for (const auto& [key, v] : files.items()) {
      core::RunFile* f = key == "std"      ? &std_log
                         : key == "output" ? &output_log
                         : key == "jsonl"  ? &jsonl
                                           : nullptr;
      if (!f)
        invalid("ct_read_run: unknown file kind \"" + valid_utf8(key) +
                "\" (std, output or jsonl)");
      if (!v.is_array() || v.size() != 3 || !v[0].is_string() ||
          !(v[1].is_string() || v[1].is_null()) || !v[2].is_string())
        invalid("ct_read_run: \"" + key + "\" must be [path, text or null, problem]");
      f->path = v[0].get<std::string>();
      if (!v[1].is_null()) f->text = v[1].get<std::string>();
      f->problem = v[2].get<std::string>();
    }
    return CT_OK;
  });
  if (rc != CT_OK) return rc;
  return parse_call("ct_read_run", json_out, [&](std::vector<std::string>* w) {
    return core::read_run(std_log, output_log, jsonl, w);
  });
}

int ct_parse_duration(const char* text, double* seconds, int* valid) {
  if (valid) *valid = 0;
  return guarded([&] {
    require(text, "ct_parse_duration", "text");
    require(seconds, "ct_parse_duration", "seconds");
    require(valid, "ct_parse_duration", "valid");
    std::optional<double> d = core::parse_duration(text);
    if (d) {
      *seconds = *d;
      *valid = 1;
    }
    return CT_OK;
  });
}

int ct_aggregate_sentence(double energy_kwh, double co2eq_g, const char* equivalents_json,
                          char** sentence) {
  if (sentence) *sentence = nullptr;
  return guarded([&] {
    require(sentence, "ct_aggregate_sentence", "sentence");
    parser::Aggregate a;
    a.energy_kwh = energy_kwh;
    a.co2eq_g = co2eq_g;
    if (equivalents_json) {
      const char* what = "ct_aggregate_sentence: equivalents_json";
      nlohmann::ordered_json e;
      try {
        e = nlohmann::ordered_json::parse(equivalents_json);
      } catch (const json::parse_error& err) {
        invalid(std::string(what) + " is not valid JSON (" + err.what() + ")");
      }
      auto add = [&](const nlohmann::ordered_json& unit, const nlohmann::ordered_json& value) {
        std::optional<double> d = number_of(value);
        if (!unit.is_string() || !d)
          invalid(std::string(what) + ": expected [[unit, number], ...] or {unit: number, ...}");
        a.equivalents.emplace_back(unit.get<std::string>(), *d);
      };
      if (e.is_object()) {
        for (const auto& [k, v] : e.items()) add(nlohmann::ordered_json(k), v);
      } else if (e.is_array()) {
        for (const auto& pair : e) {
          if (!pair.is_array() || pair.size() != 2)
            invalid(std::string(what) + ": expected [[unit, number], ...] or {unit: number, ...}");
          add(pair[0], pair[1]);
        }
      } else if (!e.is_null()) {
        invalid(std::string(what) + ": expected [[unit, number], ...] or {unit: number, ...}");
      }
    }
    *sentence = copy_out(valid_utf8(parser::aggregate_sentence(a)));
    return CT_OK;
  });
}

int ct_aggregate_uncertainty(const char* aggregate_json, char** json_out) {
  if (json_out) *json_out = nullptr;
  return guarded([&] {
    require(aggregate_json, "ct_aggregate_uncertainty", "aggregate_json");
    require(json_out, "ct_aggregate_uncertainty", "json");
    json in = json::parse(aggregate_json, nullptr, false);
    if (!in.is_object()) invalid("ct_aggregate_uncertainty: aggregate_json is not a JSON object");
    parser::Aggregate a;
    a.energy_kwh = number_of(in.value("energy (kWh)", json())).value_or(0);
    a.co2eq_g = number_of(in.value("co2eq (g)", json())).value_or(0);
    a.runs = static_cast<int>(number_of(in.value("runs", json())).value_or(0));
    if (auto u = in.find("uncertainties"); u != in.end() && u->is_array()) {
      for (const json& block : *u) {
        std::optional<Uncertainty> interval = parser::read_uncertainty(block);
        if (!interval) continue;
        ++a.runs_with_uncertainty;
        if (!a.uncertainty) a.uncertainty.emplace();
        add_uncertainty(a.uncertainty->energy_kwh, interval->energy_kwh);
        add_uncertainty(a.uncertainty->co2_g, interval->co2_g);
      }
    }
    json out = {
        {"uncertainty", a.uncertainty ? parser::uncertainty_to_json(*a.uncertainty) : json()},
        {"runs_with_uncertainty", a.runs_with_uncertainty},
        {"uncertainty_sentence", parser::uncertainty_sentence(a)},
        {"note", parser::missing_uncertainty_note(a)}};
    return give_json(out, json_out);
  });
}

int ct_generate_report(const char* path, const char* output, char** warnings_json) {
  if (warnings_json) *warnings_json = nullptr;
  return guarded([&] {
    require(path, "ct_generate_report", "path");
    require(output, "ct_generate_report", "output");
    if (!core::report_format_known(output))
      invalid(std::string("cannot tell the report format from ") + output +
              ": give a file name ending in .pdf, .html, .svg or .png");
    std::vector<std::string> warnings = core::write_report(path, output);
    if (warnings_json) give_json(json(warnings), warnings_json);
    return CT_OK;
  });
}
