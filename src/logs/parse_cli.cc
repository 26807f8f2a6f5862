#include "logs/parse_cli.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "carbontracker/error.h"
#include "common/number.h"
#include "model/uncertainty_text.h"

namespace carbontracker {
namespace parser {
namespace {

constexpr const char* kUnknown = "unknown";

// The first of `keys` present and non-empty in the run's metadata, or "".
std::string meta_of(const LogResult& r, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (auto it = r.info.cluster.find(k); it != r.info.cluster.end() && !it->second.empty())
      return it->second;
  return "";
}

// "job" is written by carbontracker under any launcher (the Slurm job id
// inside Slurm); SLURM_JOB_ID alone by older versions.
std::string job_of(const LogResult& r) {
  std::string job = meta_of(r, {"job", "SLURM_JOB_ID"});
  return job.empty() ? kUnknown : job;
}

std::string node_id_of(const LogResult& r) { return meta_of(r, {"node", "SLURM_NODEID"}); }

std::string host_of(const LogResult& r) {
  if (!r.info.hostname.empty()) return r.info.hostname;
  if (std::string node = node_id_of(r); !node.empty()) return "node " + node;
  return kUnknown;
}

// A node of a job in the per-node breakdown: the host, and the node's index
// in the job where the logs say it (nodes of one job may share a host name
// in containers).
std::string node_of(const LogResult& r) {
  std::string node = node_id_of(r);
  if (node.empty() || r.info.hostname.empty()) return host_of(r);
  return r.info.hostname + " (node " + node + ")";
}

// Per job and step: nodes missing (fewer nodes' logs than the launcher said
// the job had) and nodes with more than one log that names its node index
// (measured more than once).
void check_job_nodes(const std::string& job, const std::vector<const LogResult*>& runs,
                     std::vector<std::string>& warnings) {
  if (job == kUnknown) return;
  std::map<std::string, std::vector<const LogResult*>> steps;
  for (const LogResult* r : runs) steps[meta_of(*r, {"step", "SLURM_STEP_ID"})].push_back(r);
  for (const auto& [step, step_runs] : steps) {
    std::string where = step.empty() ? "job " + job : "job " + job + " step " + step;
    int expected = 0;
    std::map<std::string, int> logs_per_node;
    for (const LogResult* r : step_runs) {
      std::optional<int> n = parse_integer<int>(meta_of(*r, {"nodes", "SLURM_JOB_NUM_NODES"}));
      if (n) expected = std::max(expected, *n);
      // Only a log that names its node (written by a measuring rank) can be
      // a duplicate: older logs of one host may be successive runs.
      logs_per_node[node_of(*r)] += meta_of(*r, {"node"}).empty() ? 0 : 1;
    }
    int have = static_cast<int>(logs_per_node.size());
    if (expected > have)
      warnings.push_back(fmt::format(
          "{}: {} node{} of {} {} logs; the job's total lacks the others (were their logs "
          "written elsewhere, or did they fail?)",
          where, have, have == 1 ? "" : "s", expected, have == 1 ? "has" : "have"));
    for (const auto& [node, count] : logs_per_node)
      if (count > 1)
        warnings.push_back(fmt::format(
            "{}: {} appears in {} logs and is counted {} times (was the node measured by several "
            "processes, e.g. with distributed=\"off\"?)",
            where, node, count, count));
  }
}

// Sort order: by key, "unknown" last.
bool key_less(const std::string& a, const std::string& b) {
  bool ua = a == kUnknown, ub = b == kUnknown;
  if (ua != ub) return ub;
  return a < b;
}

}  // namespace

std::vector<std::string> check_jobs(const std::vector<LogResult>& runs) {
  std::map<std::string, std::vector<const LogResult*>> jobs;
  for (const LogResult& r : runs) jobs[job_of(r)].push_back(&r);
  std::vector<std::string> warnings;
  for (const auto& [job, job_runs] : jobs) check_job_nodes(job, job_runs, warnings);
  return warnings;
}

std::vector<GroupTotal> group_runs(const std::vector<LogResult>& runs, GroupBy by) {
  std::map<std::string, GroupTotal> groups;
  std::map<std::string, std::map<std::string, Aggregate>> parts;
  for (const LogResult& r : runs) {
    std::string key = by == GroupBy::kJob ? job_of(r) : host_of(r);
    std::string part = by == GroupBy::kJob ? node_of(r) : job_of(r);
    GroupTotal& g = groups[key];
    g.key = key;
    if (by == GroupBy::kJob && g.label.empty()) g.label = meta_of(r, {"SLURM_JOB_NAME"});
    accumulate(g.total, r);
    accumulate(parts[key][part], r);
  }
  std::vector<GroupTotal> out;
  for (auto& [key, g] : groups) {
    for (auto& [part, total] : parts[key]) g.parts.emplace_back(part, total);
    std::sort(g.parts.begin(), g.parts.end(),
              [](auto& a, auto& b) { return key_less(a.first, b.first); });
    out.push_back(std::move(g));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return key_less(a.key, b.key); });
  return out;
}

}  // namespace parser

namespace {

using parser::Aggregate;

// "5 kWh, 1000 g CO2eq (2 runs)", with "+/- U kWh (95 %)" (or "+U+/-U-"
// when the sides differ) after each figure when the runs have intervals.
std::string figures(const Aggregate& a) {
  std::string energy = fmt::format("{} kWh", a.energy_kwh);
  std::string co2 = fmt::format("{} g CO2eq", a.co2eq_g);
  if (a.uncertainty) {
    // The lower end is cut at 0 of the figure printed (the interval's own
    // value is 0 in logs written before it was recorded).
    auto interval = [](const FigureUncertainty& f, double figure, const char* unit) {
      std::string level = f.k == 2 ? "95 %" : fmt::format("k = {:g}", f.k);
      return fmt::format(" {} {} ({})", interval_sides(figure, f.interval()), unit, level);
    };
    energy += interval(a.uncertainty->energy_kwh, a.energy_kwh, "kWh");
    co2 += interval(a.uncertainty->co2_g, a.co2eq_g, "g");
  }
  return fmt::format("{}, {} ({} run{})", energy, co2, a.runs, a.runs == 1 ? "" : "s");
}

// The original's sentence, then ours with the intervals when there are any.
std::string sentences(const Aggregate& a) {
  std::string intervals = parser::uncertainty_sentence(a);
  return parser::aggregate_sentence(a) + (intervals.empty() ? "" : " " + intervals);
}

nlohmann::json aggregate_json(const Aggregate& a) { return parser::to_json(a); }

std::string dump(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string dump_compact(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

constexpr const char* kUsage =
    "usage: carbontracker --parse DIR [--format text|json] [--by job|host] [--recursive]";

}  // namespace

int run_parse_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string dir, format = "text", by;
  bool recursive = false, have_dir = false;
  auto usage = [&](const std::string& why) {
    err << "carbontracker --parse: " << why << "\n" << kUsage << "\n";
    return 2;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const std::string& flag, std::string* dst) {
      if (a.rfind(flag + "=", 0) == 0) {
        *dst = a.substr(flag.size() + 1);
        return true;
      }
      if (a == flag) {
        if (i + 1 >= args.size()) return false;
        *dst = args[++i];
        return true;
      }
      return false;
    };
    if (i == 0 && a == "--parse") continue;
    if (a.rfind("--parse=", 0) == 0) {
      dir = a.substr(8);
      have_dir = true;
    } else if (a == "--format" || a.rfind("--format=", 0) == 0) {
      if (!value("--format", &format)) return usage("--format needs a value");
    } else if (a == "--by" || a.rfind("--by=", 0) == 0) {
      if (!value("--by", &by)) return usage("--by needs a value");
    } else if (a == "--recursive" || a == "-r") {
      recursive = true;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      return usage("unknown option " + a);
    } else if (!have_dir) {
      dir = a;
      have_dir = true;
    } else {
      return usage("more than one directory given (" + dir + ", " + a + ")");
    }
  }
  if (!have_dir || dir.empty()) return usage("no log directory given");
  if (format != "text" && format != "json")
    return usage("--format must be text or json, not '" + format + "'");
  if (!by.empty() && by != "job" && by != "host")
    return usage("--by must be job or host, not '" + by + "'");
  if (!by.empty()) recursive = true;

  std::vector<std::string> warnings;
  std::vector<parser::LogResult> runs;
  try {
    // Text output and --by need only the totals; JSON output of the runs shows every epoch.
    // The sentence alone needs no standard log.
    runs = parser::parse_all_logs(dir, &warnings,
                                  {.recursive = recursive,
                                   .per_epoch = format == "json" && by.empty(),
                                   .standard_logs = format == "json" || !by.empty()});
  } catch (const Error& e) {
    err << "carbontracker --parse: " << e.what() << "\n";
    return 1;
  }
  for (const std::string& w : warnings) err << "carbontracker: warning: " << w << "\n";
  Aggregate total = parser::aggregate(runs);

  if (by.empty()) {
    if (format == "text") {
      out << sentences(total) << "\n";
    } else {
      // Streamed one run per line: a document of 10,000 runs never exists
      // in memory at once.
      out << "{\"logs\": [";
      for (size_t i = 0; i < runs.size(); ++i)
        out << (i == 0 ? "\n" : ",\n") << dump_compact(parser::to_json(runs[i]));
      out << "\n],\n\"aggregate\": " << dump_compact(aggregate_json(total))
          << ",\n\"sentence\": " << dump_compact(sentences(total))
          << ",\n\"uncertainty_note\": " << dump_compact(parser::missing_uncertainty_note(total))
          << ",\n\"warnings\": " << dump_compact(warnings) << "}\n";
    }
    return 0;
  }

  parser::GroupBy group_by = by == "job" ? parser::GroupBy::kJob : parser::GroupBy::kHost;
  std::vector<parser::GroupTotal> groups = parser::group_runs(runs, group_by);
  if (group_by == parser::GroupBy::kJob)
    for (const std::string& w : parser::check_jobs(runs)) {
      err << "carbontracker: warning: " << w << "\n";
      warnings.push_back(w);
    }
  const char* group_word = group_by == parser::GroupBy::kJob ? "job" : "host";
  const char* part_word = group_by == parser::GroupBy::kJob ? "host" : "job";
  if (format == "text") {
    for (const auto& g : groups) {
      out << (group_by == parser::GroupBy::kJob ? "Job " : "Host ") << g.key;
      if (!g.label.empty()) out << " (" << g.label << ")";
      out << ": " << figures(g.total) << "\n";
      for (const auto& [part, a] : g.parts)
        out << "  " << part_word << " " << part << ": " << figures(a) << "\n";
    }
    out << "Total: " << figures(total) << "\n";
    out << sentences(total) << "\n";
  } else {
    nlohmann::json jg = nlohmann::json::array();
    for (const auto& g : groups) {
      nlohmann::json parts = nlohmann::json::array();
      for (const auto& [part, a] : g.parts) {
        nlohmann::json p = aggregate_json(a);
        p[part_word] = part;
        parts.push_back(p);
      }
      nlohmann::json e = aggregate_json(g.total);
      e[group_word] = g.key;
      if (group_by == parser::GroupBy::kJob) e["job_name"] = g.label;
      e[group_by == parser::GroupBy::kJob ? "hosts" : "jobs"] = parts;
      jg.push_back(e);
    }
    nlohmann::json j = {{"by", by},
                        {"groups", jg},
                        {"total", aggregate_json(total)},
                        {"sentence", sentences(total)},
                        {"uncertainty_note", parser::missing_uncertainty_note(total)},
                        {"warnings", warnings}};
    out << dump(j) << "\n";
  }
  return 0;
}

}  // namespace carbontracker
