// Implementation details: files are classified by name only (so a directory
// of thousands of unrelated files costs one readdir each, no open), grouped
// by (directory, stem), and each run reads its JSONL file if it has one,
// else its two text files.
#include "carbontracker/parser.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "carbontracker/error.h"
#include "logs/log_text.h"
#include "model/uncertainty_sum.h"

namespace carbontracker::parser {
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxLogBytes = 256u << 20;

enum class FileKind { kOther, kStd, kOutput, kJsonl };

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The kind of a file and its stem: "<stem>_carbontracker.log",
// "<stem>_carbontracker_output.log", "<stem>_carbontracker.jsonl". The
// original's err file is not read.
FileKind classify(std::string_view name, std::string* stem) {
  static constexpr std::pair<std::string_view, FileKind> kSuffixes[] = {
      {"carbontracker_output.log", FileKind::kOutput},
      {"carbontracker.log", FileKind::kStd},
      {"carbontracker.jsonl", FileKind::kJsonl}};
  for (auto [suffix, kind] : kSuffixes) {
    if (!ends_with(name, suffix)) continue;
    std::string_view s = name.substr(0, name.size() - suffix.size());
    if (!s.empty() && s.back() == '_') s.remove_suffix(1);
    *stem = std::string(s);
    return kind;
  }
  return FileKind::kOther;
}

struct RunFiles {
  std::string std_path, output_path, jsonl_path;
};

// False (and `problem` set) for text that cannot be a log: empty or binary.
bool usable_text(const std::string& text, std::string* problem) {
  if (text.empty()) {
    *problem = "empty file";
    return false;
  }
  if (text.find('\0') != std::string::npos) {
    *problem = "binary data, not a carbontracker log";
    return false;
  }
  return true;
}

// Reads a whole file into `text` (reused between files to spare the
// allocator); on failure returns false and sets `problem`.
bool read_file(const std::string& path, std::string& text, std::string* problem) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // never block on a FIFO
  if (fd < 0) {
    *problem = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    *problem = "not a regular file";
    return false;
  }
  if (static_cast<unsigned long long>(st.st_size) > kMaxLogBytes) {
    ::close(fd);
    *problem = "larger than 256 MiB, not a carbontracker log";
    return false;
  }
  text.clear();
  text.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  // Up to the size fstat gave: a file still being appended to is read as it
  // was then (and one read(2) per file is saved).
  while (got < text.size()) {
    ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *problem = std::string("cannot read: ") + std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
    if (got > kMaxLogBytes) break;
  }
  ::close(fd);
  text.resize(got);
  return usable_text(text, problem);
}

void warn(std::vector<std::string>* warnings, const std::string& path, const std::string& what) {
  if (warnings) warnings->push_back(path + ": " + what);
}

// Every run file below log_dir, keyed by (directory, stem) so pairs sort by
// name like the original's sorted lists.
std::map<std::pair<std::string, std::string>, RunFiles> discover(
    const std::string& log_dir, bool recursive, std::vector<std::string>* warnings) {
  std::map<std::pair<std::string, std::string>, RunFiles> runs;
  std::error_code ec;
  if (!fs::is_directory(log_dir, ec)) {
    throw Error(ErrorCode::kIo, "cannot read the log directory " + log_dir + ": " +
                                    (ec ? ec.message() : std::string("not a directory")) +
                                    " (give the log_dir the tracker wrote to)");
  }
  auto visit = [&](const fs::directory_entry& entry) {
    std::string stem;
    std::string name = entry.path().filename().string();
    FileKind kind = classify(name, &stem);
    if (kind == FileKind::kOther) return;
    std::error_code ec2;
    if (!entry.is_regular_file(ec2)) return;
    RunFiles& r = runs[{entry.path().parent_path().string(), stem}];
    std::string path = entry.path().string();
    (kind == FileKind::kStd      ? r.std_path
     : kind == FileKind::kOutput ? r.output_path
                                 : r.jsonl_path) = path;
  };
  if (recursive) {
    fs::recursive_directory_iterator it(log_dir, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) visit(*it);
  } else {
    fs::directory_iterator it(log_dir, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) visit(*it);
  }
  if (ec) warn(warnings, log_dir, "directory listing stopped early: " + ec.message());
  return runs;
}

// Collects what is wrong with each file of a run, so every file gets at
// most one warning line.
class Notes {
 public:
  void add(const std::string& path, const std::string& what) {
    for (auto& [p, text] : notes_) {
      if (p == path) {
        text += "; " + what;
        return;
      }
    }
    notes_.emplace_back(path, what);
  }
  void add_all(const std::string& path, const std::vector<std::string>& problems) {
    for (const std::string& p : problems) add(path, p);
  }
  void flush(std::vector<std::string>* warnings) {
    for (auto& [path, text] : notes_) warn(warnings, path, text);
  }

 private:
  std::vector<std::pair<std::string, std::string>> notes_;
};

// Reads one run; nullopt when nothing of it is usable (notes say why).
// `read(path, text, &problem)` fills `text` with a file's content.
template <typename Reader>
std::optional<LogResult> read_run_files(const RunFiles& files, const ParseOptions& options,
                                        std::string& text, Notes& notes, Reader&& read) {
  LogResult r;
  r.standard_filename = files.std_path;
  r.output_filename = files.output_path;
  std::string problem;

  if (!files.jsonl_path.empty()) {
    if (read(files.jsonl_path, text, &problem)) {
      std::vector<std::string> problems;
      if (auto run = parse_jsonl_text(text, &problems, options.per_epoch)) {
        notes.add_all(files.jsonl_path, problems);
        r.jsonl_filename = files.jsonl_path;
        r.components = std::move(run->components);
        r.early_stop = run->early_stop;
        r.actual = std::move(run->actual);
        r.pred = std::move(run->pred);
        r.info = std::move(run->info);
        r.epoch_uncertainties = std::move(run->epoch_uncertainties);
        return r;
      }
      problem = problems.empty() ? "unreadable" : problems.back();
    }
    notes.add(files.jsonl_path, problem + "; using the text logs instead");
  }

  // Only the totals asked for: the output log gives them, its standard log
  // is not read.
  const bool skip_std =
      !options.standard_logs && !files.std_path.empty() && !files.output_path.empty();
  std::optional<StdLogText> std_log;
  if (!files.std_path.empty() && !skip_std) {
    if (read(files.std_path, text, &problem)) {
      StdLogText s = parse_std_log_text(text);
      if (s.recognized) {
        notes.add_all(files.std_path, s.problems);
        std_log = std::move(s);
      } else {
        notes.add(files.std_path, "no carbontracker lines; skipped");
      }
    } else {
      notes.add(files.std_path, problem + "; skipped");
    }
  }
  std::optional<OutputLogText> out_log;
  if (!files.output_path.empty()) {
    if (read(files.output_path, text, &problem)) {
      OutputLogText o = parse_output_log_text(text);
      if (o.recognized) {
        notes.add_all(files.output_path, o.problems);
        out_log = std::move(o);
      } else {
        notes.add(files.output_path, "no carbontracker lines; skipped");
      }
    } else {
      notes.add(files.output_path, problem + "; skipped");
    }
  }

  if (!out_log) {
    if (std_log || skip_std) {
      notes.add(files.std_path, files.output_path.empty()
                                    ? "no matching output log (<stem>_carbontracker_output.log); "
                                      "run not counted"
                                    : "its output log is unusable; run not counted");
    }
    return std::nullopt;
  }
  if (skip_std) {
    r.components = std::move(out_log->components);
  } else if (!std_log) {
    if (files.std_path.empty())
      notes.add(files.output_path,
                "no matching standard log; consumption counted, per-epoch figures unknown");
    r.standard_filename.clear();
    r.components = std::move(out_log->components);
  } else {
    r.components = std::move(std_log->components);
    r.early_stop = std_log->early_stop;
    r.info = std::move(std_log->info);
    if (!options.per_epoch) {
      for (auto& [name, c] : r.components) {
        c.avg_power_usages_w.reset();
        c.avg_energy_usages_j.reset();
        c.epoch_durations_s.reset();
      }
    }
  }
  r.actual = std::move(out_log->actual);
  r.pred = std::move(out_log->pred);
  if (r.actual && !out_log->actual_count_in_text)
    r.actual->epochs = std_log ? std_log->epoch_lines : 0;
  if (!r.actual && !r.pred)
    notes.add(files.output_path, "no consumption report (run killed or still running?)");
  return r;
}

std::optional<LogResult> read_run(const RunFiles& files, const ParseOptions& options,
                                  std::string& text, std::vector<std::string>* warnings) {
  Notes notes;
  std::optional<LogResult> r = read_run_files(files, options, text, notes, read_file);
  notes.flush(warnings);
  return r;
}

std::string join(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

}  // namespace

Components parse_logs(const std::string& log_dir, const std::string& std_log_file,
                      const std::string& output_log_file, std::vector<std::string>* warnings) {
  std::string std_path;
  if (!std_log_file.empty() && !output_log_file.empty()) {
    std_path = join(log_dir, std_log_file);
  } else {
    // The most recently modified standard log, as the original.
    std::error_code ec;
    fs::file_time_type newest{};
    for (fs::directory_iterator it(log_dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      std::string stem;
      if (classify(it->path().filename().string(), &stem) != FileKind::kStd) continue;
      std::error_code ec2;
      auto t = it->last_write_time(ec2);
      if (!ec2 && (std_path.empty() || t > newest)) {
        newest = t;
        std_path = it->path().string();
      }
    }
    if (std_path.empty()) {
      warn(warnings, log_dir, "no standard log (*_carbontracker.log) found");
      return {};
    }
  }
  std::string problem, text;
  if (!read_file(std_path, text, &problem)) {
    warn(warnings, std_path, problem);
    return {};
  }
  StdLogText s = parse_std_log_text(text);
  for (const std::string& p : s.problems) warn(warnings, std_path, p);
  return std::move(s.components);
}

std::optional<LogResult> read_run_texts(const RunTexts& run, const ParseOptions& options,
                                        std::vector<std::string>* warnings) {
  RunFiles files{run.std_log.path, run.output_log.path, run.jsonl.path};
  auto read_given = [&](const std::string& path, std::string& text, std::string* problem) {
    for (const RunFileText* f : {&run.std_log, &run.output_log, &run.jsonl}) {
      if (f->path != path) continue;
      if (!f->text) {
        *problem = f->problem.empty() ? std::string("cannot read") : f->problem;
        return false;
      }
      text = *f->text;
      return usable_text(text, problem);
    }
    *problem = "cannot read";
    return false;
  };
  Notes notes;
  std::string text;
  std::optional<LogResult> r = read_run_files(files, options, text, notes, read_given);
  notes.flush(warnings);
  return r;
}

std::vector<LogResult> parse_all_logs(const std::string& log_dir,
                                      std::vector<std::string>* warnings,
                                      const ParseOptions& options) {
  std::vector<LogResult> results;
  std::string buffer;
  for (auto& [key, files] : discover(log_dir, options.recursive, warnings)) {
    if (auto r = read_run(files, options, buffer, warnings)) results.push_back(std::move(*r));
  }
  return results;
}

const ConsumptionLog* chosen_consumption(const LogResult& run) {
  if (run.actual) return &*run.actual;
  if (run.pred) return &*run.pred;
  return nullptr;
}

void accumulate(Aggregate& total, const LogResult& run) {
  const ConsumptionLog* c = chosen_consumption(run);
  if (!c) return;
  ++total.runs;
  if (std::isfinite(c->energy_kwh)) total.energy_kwh += c->energy_kwh;
  if (std::isfinite(c->co2eq_g)) total.co2eq_g += c->co2eq_g;
  if (c->uncertainty) {
    ++total.runs_with_uncertainty;
    if (!total.uncertainty) total.uncertainty.emplace();
    add_uncertainty(total.uncertainty->energy_kwh, c->uncertainty->energy_kwh);
    add_uncertainty(total.uncertainty->co2_g, c->uncertainty->co2_g);
  }
  if (!c->equivalents) return;
  for (const auto& eq : *c->equivalents) {
    if (!std::isfinite(eq.second)) continue;
    auto it = std::find_if(total.equivalents.begin(), total.equivalents.end(),
                           [&](auto& e) { return e.first == eq.first; });
    if (it == total.equivalents.end())
      total.equivalents.push_back(eq);
    else
      it->second += eq.second;
  }
}

Aggregate aggregate(const std::vector<LogResult>& runs) {
  Aggregate total;
  for (const LogResult& run : runs) accumulate(total, run);
  return total;
}

Aggregate aggregate_consumption(const std::string& log_dir, std::vector<std::string>* warnings,
                                const ParseOptions& options) {
  return aggregate(parse_all_logs(log_dir, warnings, options));
}

std::string aggregate_sentence(const Aggregate& total) {
  std::string s = fmt::format(
      "The training of models in this work is estimated to use {:.16f} kWh of electricity "
      "contributing to {:.16f} kg of CO2eq. ",
      total.energy_kwh, total.co2eq_g / 1000.0);
  if (!total.equivalents.empty()) {
    s += "This is equivalent to ";
    for (size_t i = 0; i < total.equivalents.size(); ++i) {
      if (i > 0) s += " or ";
      s += fmt::format("{:.16f} {}", total.equivalents[i].second, total.equivalents[i].first);
    }
    s += ". ";
  }
  s += "Measured by carbontracker (https://github.com/lfwa/carbontracker).";
  return s;
}

void print_aggregate(const std::string& log_dir, std::ostream* out, std::ostream* err,
                     const ParseOptions& options) {
  std::vector<std::string> warnings;
  Aggregate total = aggregate_consumption(log_dir, &warnings, options);
  std::ostream& e = err ? *err : std::cerr;
  for (const std::string& w : warnings) e << "carbontracker: warning: " << w << "\n";
  std::string intervals = uncertainty_sentence(total);
  (out ? *out : std::cout) << aggregate_sentence(total) << (intervals.empty() ? "" : " ")
                           << intervals << "\n";
}

}  // namespace carbontracker::parser
