// The machine-readable run log `{prefix_}{pid}.{id}_{stamp}_carbontracker.jsonl`
// written beside the text logs: one JSON object per line, one line per
// event. Schema: doc/jsonl-format.md. The parser (log_text.h,
// parse_jsonl_text) prefers it to the text logs because its figures are not
// rounded.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "carbontracker/environment.h"
#include "carbontracker/results.h"
#include "model/run_metadata.h"

namespace carbontracker {

// Appends one line per call and hands it to the kernel before returning
// (write(2), no user-space buffer), so a crash or kill -9 loses at most the
// line being written. Safe to call from several threads.
class JsonlWriter {
 public:
  // Creates or truncates `path`. Throws Error(kIo, "...<path>: <strerror>...")
  // naming the fix when it cannot be created.
  explicit JsonlWriter(std::string path);
  ~JsonlWriter();
  JsonlWriter(const JsonlWriter&) = delete;
  JsonlWriter& operator=(const JsonlWriter&) = delete;

  // Every method writes one line; a failed write (full disk, I/O error)
  // throws Error(kIo) with the path and the reason.
  void run_start(const RunMetadata& meta, const std::vector<DeviceInfo>& devices, double pue,
                 double unix_s);
  // Per-device energy (J, without PUE) and CO2 (g, without PUE) in the
  // order of `devices`, which should be the order given to run_start.
  void epoch(const EpochRecord& epoch, const std::vector<DeviceInfo>& devices);
  void intensity(const IntensityRecord& record);
  void prediction(const Consumption& consumption);
  // One sampling tick (schema 2): each device's mean power (W, in the order
  // of `devices`) over the `interval_s` seconds before `unix_s`, and the
  // carbon intensity then in force. Figures are rounded to milliunits to
  // keep the file small (doc/jsonl-format.md, "sample").
  void sample(double unix_s, double interval_s, const std::vector<double>& power_w,
              double intensity_g_per_kwh);
  // Final totals without and with PUE, per component, and the actual
  // consumption block if there is one.
  void totals(const RunResult& result, double unix_s);

  // From hold() until release(), lines are kept in memory and release()
  // writes them in one write(2) (system calls are dear on some hosts); it
  // throws like every write. The destructor writes what is still kept.
  void hold();
  void release();

  const std::string& path() const { return path_; }

 private:
  void write_locked(const std::string& text);
  void write_line(const nlohmann::ordered_json& j);
  nlohmann::ordered_json consumption_json(const Consumption& c) const;

  std::string path_;
  int fd_ = -1;
  bool interpretable_ = true;  // from the run_start options; adds "equivalents"
  std::mutex mutex_;
  bool holding_ = false;
  std::string held_;
};

}  // namespace carbontracker
