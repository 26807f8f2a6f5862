#include "sensors/cpu_estimate.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/number.h"
#include "common/text.h"

namespace carbontracker {
namespace {

// Cloud Carbon Footprint's per-vCPU coefficients (W, from SPECpower results),
// as listed in the project's MEASUREMENT.md.
constexpr double kHaswellMinW = 1.0, kHaswellMaxW = 4.74;
constexpr double kSkylakeMinW = 0.65, kSkylakeMaxW = 4.26;
constexpr double kCascadeLakeMinW = 0.64, kCascadeLakeMaxW = 3.97;
constexpr double kEpyc2MinW = 0.47, kEpyc2MaxW = 1.69;
constexpr double kEpyc3MinW = 0.45, kEpyc3MaxW = 2.02;

struct StatTimes {
  uint64_t busy = 0;
  uint64_t total = 0;
};

// The aggregate "cpu " line at the start of /proc/stat: user nice system idle
// iowait irq softirq steal [guest guest_nice]. Guest time is already counted
// in user and nice, so only the first eight fields make the total.
std::optional<StatTimes> parse_stat_cpu_line(std::string_view text) {
  if (text.substr(0, 4) != "cpu ") return std::nullopt;
  uint64_t fields[8] = {};
  size_t count = 0;
  size_t i = 4;
  while (i < text.size() && text[i] != '\n' && count < 8) {
    while (i < text.size() && text[i] == ' ') ++i;
    if (i >= text.size() || text[i] == '\n') break;
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    uint64_t v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      v = v * 10 + static_cast<uint64_t>(text[i] - '0');
      ++i;
    }
    fields[count++] = v;
  }
  if (count < 4) return std::nullopt;
  StatTimes t;
  for (size_t k = 0; k < count; ++k) t.total += fields[k];
  const uint64_t idle = fields[3] + fields[4];
  t.busy = t.total >= idle ? t.total - idle : 0;
  return t;
}

// Number of "cpuN" lines (one per online vCPU).
int count_vcpus(std::string_view stat) {
  int n = 0;
  size_t pos = 0;
  while (pos < stat.size()) {
    size_t end = stat.find('\n', pos);
    if (end == std::string_view::npos) end = stat.size();
    std::string_view line = stat.substr(pos, end - pos);
    if (line.size() > 3 && line.substr(0, 3) == "cpu" && line[3] >= '0' && line[3] <= '9') ++n;
    pos = end + 1;
  }
  return n;
}

// "key<tabs>: value" of the first processor block.
std::string_view cpuinfo_field(std::string_view cpuinfo, std::string_view key) {
  size_t pos = 0;
  bool seen_any = false;
  while (pos < cpuinfo.size()) {
    size_t end = cpuinfo.find('\n', pos);
    if (end == std::string_view::npos) end = cpuinfo.size();
    std::string_view line = cpuinfo.substr(pos, end - pos);
    pos = end + 1;
    if (trim(line).empty()) {
      if (seen_any) break;
      continue;
    }
    seen_any = true;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (trim(line.substr(0, colon)) == key) return trim(line.substr(colon + 1));
  }
  return {};
}

int count_processors(std::string_view cpuinfo) {
  int n = 0;
  size_t pos = 0;
  while (pos < cpuinfo.size()) {
    size_t end = cpuinfo.find('\n', pos);
    if (end == std::string_view::npos) end = cpuinfo.size();
    std::string_view line = cpuinfo.substr(pos, end - pos);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && trim(line.substr(0, colon)) == "processor") ++n;
    pos = end + 1;
  }
  return n;
}

// The generation digit of an EPYC 7000-series name ("EPYC 7742" -> '2',
// "EPYC 7R13" -> '3'), or 0.
char epyc_7000_generation(std::string_view name) {
  size_t at = name.find("EPYC 7");
  if (at == std::string_view::npos || at + 9 > name.size()) return 0;
  std::string_view num = name.substr(at + 5, 4);  // "7xxG"
  for (char c : num.substr(1, 2))
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return 0;
  if (at + 9 < name.size()) {
    char after = name[at + 9];
    if ((after >= '0' && after <= '9') || (after >= 'A' && after <= 'Z')) return 0;
  }
  return num[3];
}

// Reads a whole (procfs) file into out through the seam; returns errno or 0.
// Starts small (a 4 MiB buffer costs an mmap, a munmap and its zeroing on
// every read) and reads again with a larger one while the file fills it.
int read_whole(const FileReader& files, const std::string& path, std::string* out) {
  constexpr size_t kMaxBytes = 4u << 20;
  for (size_t cap = 64u << 10;; cap *= 4) {
    std::unique_ptr<char[]> buf(new char[cap]);
    size_t len = 0;
    int err = files.read(path.c_str(), buf.get(), cap, &len);
    if (err != 0) return err;
    if (len < cap || cap >= kMaxBytes) {
      out->assign(buf.get(), len);
      return 0;
    }
  }
}

// Reads the start of a file, enough for the lines the probe needs, in one
// read where the file is larger than cap (one open, read and close); the
// caller reads the whole file when the start does not hold them.
int read_start(const FileReader& files, const std::string& path, size_t cap, std::string* out) {
  std::unique_ptr<char[]> buf(new char[cap]);
  size_t len = 0;
  int err = files.read(path.c_str(), buf.get(), cap, &len);
  if (err == 0) out->assign(buf.get(), len);
  return err;
}

// Whether text, the start of a file cut at cap bytes, holds the complete
// lines of every key ("key<tabs>: value"), or of the first processor block.
bool holds_complete_fields(std::string_view text, std::initializer_list<std::string_view> keys) {
  size_t last_newline = text.rfind('\n');
  if (last_newline == std::string_view::npos) return false;
  text = text.substr(0, last_newline + 1);
  for (std::string_view key : keys)
    if (cpuinfo_field(text, key).empty()) return false;
  return true;
}

class CpuEstimateSensor : public Sensor {
 public:
  CpuEstimateSensor(std::vector<SensorDevice> devices, std::string stat_path, int stat_fd,
                    int vcpus, CpuPowerModel model, bool stat_readable, double ram_power_w,
                    const Clock* clock, std::shared_ptr<const FileReader> files)
      : devices_(std::move(devices)),
        stat_path_(std::move(stat_path)),
        stat_fd_(stat_fd),
        vcpus_(vcpus),
        model_(std::move(model)),
        stat_readable_(stat_readable),
        ram_power_w_(ram_power_w),
        clock_(clock),
        files_(std::move(files)) {}
  ~CpuEstimateSensor() override {
    if (stat_fd_ >= 0) ::close(stat_fd_);
  }
  CpuEstimateSensor(const CpuEstimateSensor&) = delete;
  CpuEstimateSensor& operator=(const CpuEstimateSensor&) = delete;

  const std::vector<SensorDevice>& devices() const override { return devices_; }

  void read(std::vector<Reading>& out) override {
    if (out.size() != devices_.size()) out.resize(devices_.size());
    const double now_s = clock_->steady_s();
    std::optional<StatTimes> times;
    if (stat_readable_) times = read_stat();

    if (!started_) {
      started_ = true;
      if (times) {
        if (times->total > 0)
          utilisation_ = static_cast<double>(times->busy) / static_cast<double>(times->total);
        last_ = *times;
      }
    } else {
      if (times && last_ && times->total > last_->total) {
        const uint64_t d_total = times->total - last_->total;
        const uint64_t d_busy = times->busy >= last_->busy ? times->busy - last_->busy : 0;
        utilisation_ = std::min(1.0, static_cast<double>(d_busy) / static_cast<double>(d_total));
        last_ = *times;
      } else if (times && !last_) {
        last_ = *times;
      }
      // No tick elapsed (or the file failed this once): the last utilisation
      // stands for this interval.
      const double dt_s = std::max(0.0, now_s - last_s_);
      const double power_w = vcpus_ * (model_.min_w + utilisation_ * (model_.max_w - model_.min_w));
      energy_uj_ += power_w * dt_s * 1e6;
    }
    last_s_ = now_s;

    Reading& cpu = out[0];
    cpu.status = ReadStatus::kOk;
    cpu.counter = static_cast<uint64_t>(energy_uj_);
    if (devices_.size() > 1) {
      out[1].status = ReadStatus::kOk;
      out[1].power_w = ram_power_w_;
    }
  }

 private:
  std::optional<StatTimes> read_stat() {
    // The aggregate line comes first and is short; no need for the rest. The
    // file stays open: one pread per tick.
    char buf[512];
    size_t len = 0;
    if (files_->reread(stat_path_.c_str(), &stat_fd_, buf, sizeof buf, &len) != 0)
      return std::nullopt;
    return parse_stat_cpu_line(std::string_view(buf, len));
  }

  std::vector<SensorDevice> devices_;
  std::string stat_path_;
  int stat_fd_;  // kept open between reads (FileReader::reread), or -1
  int vcpus_;
  CpuPowerModel model_;
  bool stat_readable_;
  double ram_power_w_;
  const Clock* clock_;
  std::shared_ptr<const FileReader> files_;

  bool started_ = false;
  double last_s_ = 0;
  std::optional<StatTimes> last_;
  double utilisation_ = kAssumedUtilisation;
  double energy_uj_ = 0;
};

}  // namespace

CpuPowerModel cpu_power_model(std::string_view cpuinfo) {
  const std::string_view vendor = cpuinfo_field(cpuinfo, "vendor_id");
  const std::optional<long> family = parse_integer<long>(cpuinfo_field(cpuinfo, "cpu family"));
  const std::optional<long> model = parse_integer<long>(cpuinfo_field(cpuinfo, "model"));
  const std::optional<long> stepping = parse_integer<long>(cpuinfo_field(cpuinfo, "stepping"));
  const std::string_view name = cpuinfo_field(cpuinfo, "model name");

  if (vendor == "GenuineIntel" && family == 6 && model) {
    switch (*model) {
      case 60:
      case 63:
      case 69:
      case 70:
        return {"Intel Haswell", kHaswellMinW, kHaswellMaxW};
      case 78:
      case 94:
        return {"Intel Skylake", kSkylakeMinW, kSkylakeMaxW};
      case 85:
        if (stepping && *stepping >= 5)
          return {"Intel Cascade Lake", kCascadeLakeMinW, kCascadeLakeMaxW};
        return {"Intel Skylake", kSkylakeMinW, kSkylakeMaxW};
      default:
        break;
    }
  }
  if (vendor == "AuthenticAMD") {
    const char generation = epyc_7000_generation(name);
    if ((family == 0x17 && model == 0x31) || generation == '2')
      return {"AMD EPYC 2nd Gen", kEpyc2MinW, kEpyc2MaxW};
    if ((family == 0x19 && model == 0x01) || generation == '3')
      return {"AMD EPYC 3rd Gen", kEpyc3MinW, kEpyc3MaxW};
  }
  return {"average of all families", kCpuAverageMinWattsPerVcpu, kCpuAverageMaxWattsPerVcpu};
}

ProbeResult probe_cpu_estimate(const ProbeContext& ctx) {
  return probe_cpu_estimate(ctx, SystemFileReader::instance());
}

ProbeResult probe_cpu_estimate(const ProbeContext& ctx, std::shared_ptr<const FileReader> files) {
  ProbeResult result;
  const std::string proc = ctx.env ? ctx.env->proc_root : Environment().proc_root;
  const std::string stat_path = proc + "/stat";
  const std::string cpuinfo_path = proc + "/cpuinfo";
  const std::string meminfo_path = proc + "/meminfo";
  const Clock* clock = ctx.clock ? ctx.clock : &SystemClock::instance();

  // The model needs the first processor block's identity lines, which come
  // before its long flags line: its start, in one read, suffices.
  std::string cpuinfo;
  constexpr size_t kCpuinfoStart = 1024;
  int cpuinfo_err = read_start(*files, cpuinfo_path, kCpuinfoStart, &cpuinfo);
  bool cpuinfo_whole = cpuinfo_err == 0 && cpuinfo.size() < kCpuinfoStart;
  if (cpuinfo_err == 0 && !cpuinfo_whole &&
      !holds_complete_fields(cpuinfo,
                             {"vendor_id", "cpu family", "model", "stepping", "model name"})) {
    cpuinfo_err = read_whole(*files, cpuinfo_path, &cpuinfo);
    cpuinfo_whole = cpuinfo_err == 0;
  }
  if (cpuinfo_err != 0)
    result.notes.push_back(fmt::format("CPU estimate: cannot read {}: {}; using the average model",
                                       cpuinfo_path, std::strerror(cpuinfo_err)));
  const CpuPowerModel model = cpu_power_model(cpuinfo);

  // Read whole at once by the kernel: kept open for the sensor's reads.
  std::string stat;
  int stat_fd = -1;
  int stat_err = 0;
  for (size_t cap = 64u << 10;; cap *= 4) {
    std::unique_ptr<char[]> buf(new char[cap]);
    size_t len = 0;
    stat_err = files->reread(stat_path.c_str(), &stat_fd, buf.get(), cap, &len);
    if (stat_err != 0 || len < cap || cap >= (4u << 20)) {
      if (stat_err == 0) stat.assign(buf.get(), len);
      break;
    }
  }
  bool stat_readable = stat_err == 0 && parse_stat_cpu_line(stat).has_value();
  if (!stat_readable && stat_fd >= 0) {
    ::close(stat_fd);
    stat_fd = -1;
  }
  int vcpus = stat_readable ? count_vcpus(stat) : 0;
  if (vcpus <= 0 && cpuinfo_err == 0 && !cpuinfo_whole) read_whole(*files, cpuinfo_path, &cpuinfo);
  if (vcpus <= 0) vcpus = count_processors(cpuinfo);
  if (vcpus <= 0) vcpus = 1;

  std::string utilisation_text;
  if (stat_readable) {
    utilisation_text = "utilisation from " + stat_path;
  } else {
    const std::string why = stat_err != 0 ? std::strerror(stat_err) : "no aggregate cpu line";
    utilisation_text = fmt::format("utilisation assumed {} ({} unreadable: {})",
                                   kAssumedUtilisation, stat_path, why);
    result.warnings.push_back(fmt::format(
        "Could not read CPU utilisation from {} ({}): the CPU power estimate assumes {} % "
        "utilisation.",
        stat_path, why, kAssumedUtilisation * 100));
  }

  std::vector<SensorDevice> devices;
  SensorDevice cpu;
  cpu.info.name = "cpu:0 (estimated)";
  cpu.info.component = ComponentKind::kCpu;
  cpu.info.provenance = Provenance::kEstimated;
  cpu.info.source = fmt::format(
      "estimated: per-vCPU linear model (SPECpower via Cloud Carbon Footprint, {}: {}-{} W per "
      "vCPU), {} vCPU{}, {}",
      model.family, model.min_w, model.max_w, vcpus, vcpus == 1 ? "" : "s", utilisation_text);
  cpu.kind = ReadingKind::kEnergyCounter;
  cpu.counter_unit_j = 1e-6;
  cpu.counter_range = 0;
  cpu.max_power_w = std::max(1.0, vcpus * model.max_w);
  devices.push_back(std::move(cpu));

  double ram_power_w = 0;
  // MemTotal is the first line: the start of the file, in one read, holds it.
  std::string meminfo;
  constexpr size_t kMeminfoStart = 256;
  int meminfo_err = read_start(*files, meminfo_path, kMeminfoStart, &meminfo);
  if (meminfo_err == 0 && meminfo.size() == kMeminfoStart &&
      !holds_complete_fields(meminfo, {"MemTotal"}))
    meminfo_err = read_whole(*files, meminfo_path, &meminfo);
  std::optional<long> mem_kb;
  if (meminfo_err == 0) {
    size_t at = meminfo.find("MemTotal:");
    if (at != std::string::npos) {
      std::string_view rest = std::string_view(meminfo).substr(at + 9);
      rest = rest.substr(0, rest.find('\n'));
      rest = trim(rest);
      if (rest.size() > 3 && rest.substr(rest.size() - 3) == " kB") rest.remove_suffix(3);
      mem_kb = parse_integer<long>(trim(rest));
    }
  }
  if (mem_kb && *mem_kb > 0) {
    const double gb = static_cast<double>(*mem_kb) / (1024.0 * 1024.0);
    ram_power_w = gb * kRamWattsPerGb;
    SensorDevice ram;
    ram.info.name = "dram:0 (estimated)";
    ram.info.component = ComponentKind::kCpu;
    ram.info.provenance = Provenance::kEstimated;
    ram.info.source =
        fmt::format("estimated: {} W/GB (Cloud Carbon Footprint) x {:.1f} GB", kRamWattsPerGb, gb);
    ram.kind = ReadingKind::kPower;
    ram.max_power_w = std::max(1.0, ram_power_w);
    devices.push_back(std::move(ram));
  } else {
    result.notes.push_back(
        fmt::format("RAM estimate: no MemTotal in {}{}; RAM is not counted", meminfo_path,
                    meminfo_err != 0 ? fmt::format(" ({})", std::strerror(meminfo_err)) : ""));
  }

  result.sensor =
      std::make_unique<CpuEstimateSensor>(std::move(devices), stat_path, stat_fd, vcpus, model,
                                          stat_readable, ram_power_w, clock, std::move(files));
  return result;
}

}  // namespace carbontracker
