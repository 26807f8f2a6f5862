// Implementation details: the scan lists the root and reads each entry's
// `name`; every probe then picks its entries by name and reads only their
// files. One sensor class serves every probe: a list of files, each read
// whole per tick (open, read, close: the fakes replace files by rename, and
// the kernel regenerates a sysfs attribute on every open anyway), parsed as
// microwatts (power) or microjoules (counter).
#include "sensors/hwmon.h"

#include <dirent.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <utility>

#include "common/number.h"
#include "common/text.h"
#include "sensors/sysfs_value_sensor.h"

namespace carbontracker {
namespace {

constexpr double kMicro = 1e-6;

std::string error_text(int err) { return err < 0 ? "no number in it" : std::strerror(err); }

// hwmonN sorts by N (hwmon10 after hwmon9); other names after, by name.
bool entry_less(const HwmonScan::Entry& a, const HwmonScan::Entry& b) {
  auto number = [](const std::string& id) -> long {
    if (id.rfind("hwmon", 0) != 0 || id.size() == 5 || id.size() > 14) return -1;
    long n = 0;
    for (size_t i = 5; i < id.size(); ++i) {
      if (id[i] < '0' || id[i] > '9') return -1;
      n = n * 10 + (id[i] - '0');
    }
    return n;
  };
  long na = number(a.id), nb = number(b.id);
  if ((na < 0) != (nb < 0)) return na >= 0;
  if (na != nb) return na < nb;
  return a.id < b.id;
}

bool is_known(const std::string& name) {
  return name == "power_meter" || name == "amdgpu" || name == "xe" || name == "i915";
}

// "0000:03:00.0": domain:bus:device.function, hexadecimal.
bool is_pci_address(const std::string& s) {
  if (s.size() != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11})
    if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

// For a link such as ../../devices/platform/coretemp.0/hwmon/hwmon1, the
// device the hwmon directory belongs to ("coretemp.0"); empty when path is
// not a link (fake trees) or the target has another shape.
std::string parent_device(const std::string& path) {
  char buf[512];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string target(buf, static_cast<size_t>(n));
  size_t hw = target.rfind("/hwmon/");
  if (hw == std::string::npos || hw == 0) return "";
  size_t slash = target.rfind('/', hw - 1);
  return target.substr(slash == std::string::npos ? 0 : slash + 1,
                       hw - (slash == std::string::npos ? 0 : slash + 1));
}

// The scan shared by the probes of one start-up; made by the first of them,
// which also says what it skipped.
const HwmonScan& scan(const ProbeContext& ctx, const FileReader& files, ProbeResult& result) {
  const std::string root = ctx.env ? ctx.env->hwmon_root : Environment().hwmon_root;
  if (ctx.hwmon_scan && ctx.hwmon_scan->root == root) return *ctx.hwmon_scan;
  auto s = std::make_shared<HwmonScan>();
  s->root = root;
  if (DIR* d = opendir(root.c_str())) {
    while (struct dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      HwmonScan::Entry entry;
      entry.id = e->d_name;
      entry.dir = root + (root.empty() || root.back() != '/' ? "/" : "") + entry.id;
      entry.err = e->d_type == DT_LNK || e->d_type == DT_UNKNOWN ? -1 : 0;  // -1: maybe a link
      s->entries.push_back(std::move(entry));
    }
    closedir(d);
  } else {
    s->list_err = errno;
  }
  std::sort(s->entries.begin(), s->entries.end(), entry_less);
  std::vector<std::string> skipped;
  for (HwmonScan::Entry& e : s->entries) {
    // The class directory's entries link to the device's hwmon directory:
    // one readlink tells a device no probe reads (coretemp, nvme, a thermal
    // zone ...) without opening its `name`.
    const bool maybe_link = e.err == -1;
    e.err = 0;
    if (maybe_link) {
      std::string parent = parent_device(e.dir);
      if (!parent.empty() && parent.rfind("ACPI000D", 0) != 0 && !is_pci_address(parent)) {
        e.err = ENOENT;
        e.name.clear();
        skipped.push_back(fmt::format("{} (device {})", e.id, parent));
        continue;
      }
    }
    std::string name;
    e.err = read_text(files, e.dir + "/name", &name);
    e.name = trim(name);
    if (e.err != 0)
      skipped.push_back(fmt::format("{} (name: {})", e.id, std::strerror(e.err)));
    else if (!is_known(e.name))
      skipped.push_back(fmt::format("{} ({})", e.id, e.name));
  }
  if (!skipped.empty()) {
    std::string line = fmt::format("hwmon: not power sensors carbontracker reads, skipped:");
    for (size_t i = 0; i < skipped.size(); ++i) line += (i ? ", " : " ") + skipped[i];
    result.verbose_notes.push_back(line + ".");
  }
  ctx.hwmon_scan = s;
  return *s;
}

// Where an attribute of a power_meter lives: device/<attr> (older kernels)
// or <attr> in the hwmon directory. Returns the path that reads, with the
// value read; else the error of the last try.
int find_attr(const FileReader& files, const std::string& dir, const char* attr, std::string* path,
              std::string* text) {
  int err = 0;
  for (const std::string& candidate : {dir + "/device/" + attr, dir + "/" + attr}) {
    err = read_text(files, candidate, text);
    if (err == 0) {
      *path = candidate;
      return 0;
    }
  }
  return err;
}

// The PCI address (or other device name) the hwmon entry's device link points to.
std::string device_address(const std::string& dir) {
  char buf[512];
  ssize_t n = readlink((dir + "/device").c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string target(buf, static_cast<size_t>(n));
  while (!target.empty() && target.back() == '/') target.pop_back();
  size_t slash = target.rfind('/');
  return slash == std::string::npos ? target : target.substr(slash + 1);
}

class HwmonSensor : public SysfsValueSensor<HwmonSensor> {
 public:
  using SysfsValueSensor::SysfsValueSensor;

  void set_value(size_t i, uint64_t value, Reading& r) {
    if (devices_[i].kind == ReadingKind::kPower)
      r.power_w = static_cast<double>(value) * kMicro;
    else
      r.counter = value;
  }
  std::string lost_message(size_t i, int err) {
    return fmt::format("{}: {}", paths_[i], std::strerror(err));
  }
  std::string failure_message(size_t i, int err) {
    return fmt::format("{} ({}): {}", devices_[i].info.name, paths_[i], error_text(err));
  }
};

// Collects devices and their files, then makes the probe's result.
struct Builder {
  std::vector<SensorDevice> devices;
  std::vector<std::string> paths;
  bool seen = false;  // an entry of the probe's kind exists (readable or not)

  void add(SensorDevice d, std::string path) {
    devices.push_back(std::move(d));
    paths.push_back(std::move(path));
  }
  void finish(ProbeResult& result, std::shared_ptr<const FileReader> files,
              const std::string& none) {
    if (devices.empty()) {
      // Nothing of the kind is no news (most machines); say why only when
      // something was there and could not be used.
      if (seen) result.unavailable_reason = none;
      return;
    }
    result.sensor =
        std::make_unique<HwmonSensor>(std::move(devices), std::move(paths), std::move(files));
  }
};

// A power_meter entry: its power1_average file and averaging interval.
struct Meter {
  const HwmonScan::Entry* entry = nullptr;
  std::string power_path;
  double interval_s = 0;
  std::string oem;  // power1_oem_info, trimmed; empty if absent
};

enum class GraceRail { kNone, kModule, kGrace, kCpu, kSysIo };

// "Module Power Socket 1" -> kModule, socket 1.
GraceRail parse_grace_rail(const std::string& oem, unsigned* socket) {
  static const std::pair<const char*, GraceRail> kRails[] = {{"Module", GraceRail::kModule},
                                                             {"Grace", GraceRail::kGrace},
                                                             {"CPU", GraceRail::kCpu},
                                                             {"SysIO", GraceRail::kSysIo}};
  for (const auto& [word, rail] : kRails) {
    std::string prefix = std::string(word) + " Power Socket ";
    if (oem.rfind(prefix, 0) != 0) continue;
    std::string_view rest = std::string_view(oem).substr(prefix.size());
    std::optional<unsigned> n = parse_integer<unsigned>(rest);
    if (!n || rest.size() > 6) return GraceRail::kNone;
    *socket = *n;
    return rail;
  }
  return GraceRail::kNone;
}

// The readable power meters, in scan order; the others are noted.
std::vector<Meter> power_meters(const HwmonScan& s, const FileReader& files, ProbeResult& result,
                                bool* any_unreadable = nullptr) {
  std::vector<Meter> meters;
  for (const HwmonScan::Entry& e : s.entries) {
    if (e.err != 0 || e.name != "power_meter") continue;
    Meter m;
    m.entry = &e;
    std::string text;
    int err = find_attr(files, e.dir, "power1_average", &m.power_path, &text);
    uint64_t uw = 0;
    if (err == 0 && read_u64(files, m.power_path.c_str(), &uw) != 0) err = -1;
    if (err != 0) {
      result.verbose_notes.push_back(fmt::format(
          "hwmon: {} (power_meter) skipped: power1_average: {}", e.id, error_text(err)));
      if (any_unreadable) *any_unreadable = true;
      continue;
    }
    std::string path;
    if (find_attr(files, e.dir, "power1_oem_info", &path, &text) == 0) m.oem = trim(text);
    if (find_attr(files, e.dir, "power1_average_interval", &path, &text) == 0) {
      if (std::optional<uint64_t> ms = parse_integer<uint64_t>(text, {.blanks = true}))
        m.interval_s = static_cast<double>(*ms) / 1000.0;
    }
    meters.push_back(std::move(m));
  }
  return meters;
}

SensorDevice meter_device(const Meter& m, std::string name, ComponentKind component,
                          Provenance provenance, const std::string& what) {
  SensorDevice d;
  d.info.name = std::move(name);
  d.info.component = component;
  d.info.provenance = provenance;
  d.info.source = fmt::format("{}: hwmon {} (ACPI power_meter) {}, averaged over {} ms", what,
                              m.entry->id, m.power_path, m.interval_s * 1000.0);
  d.kind = ReadingKind::kPower;
  d.power_average_s = m.interval_s;
  d.max_interval_s = std::clamp(m.interval_s, 0.1, 1.0);
  d.max_power_w = 10000.0;
  return d;
}

}  // namespace

ProbeResult probe_hwmon_grace(const ProbeContext& ctx) {
  return probe_hwmon_grace(ctx, SystemFileReader::instance());
}
ProbeResult probe_hwmon_node(const ProbeContext& ctx) {
  return probe_hwmon_node(ctx, SystemFileReader::instance());
}
ProbeResult probe_hwmon_amdgpu(const ProbeContext& ctx) {
  return probe_hwmon_amdgpu(ctx, SystemFileReader::instance());
}
ProbeResult probe_hwmon_intel_gpu(const ProbeContext& ctx) {
  return probe_hwmon_intel_gpu(ctx, SystemFileReader::instance());
}

ProbeResult probe_hwmon_grace(const ProbeContext& ctx, std::shared_ptr<const FileReader> files) {
  ProbeResult result;
  const HwmonScan& s = scan(ctx, *files, result);
  // Socket -> rail -> meter.
  std::map<unsigned, std::map<GraceRail, Meter>> sockets;
  for (Meter& m : power_meters(s, *files, result)) {
    unsigned socket = 0;
    GraceRail rail = parse_grace_rail(m.oem, &socket);
    if (rail != GraceRail::kNone) sockets[socket][rail] = std::move(m);
  }
  Builder b;
  b.seen = !sockets.empty();
  for (auto& [socket, rails] : sockets) {
    auto grace = rails.find(GraceRail::kGrace);
    if (grace != rails.end()) {
      b.add(meter_device(grace->second, fmt::format("grace:{}", socket), ComponentKind::kCpu,
                         Provenance::kMeasured,
                         fmt::format("Grace Power Socket {} (CPU and SoC I/O)", socket)),
            grace->second.power_path);
      if (rails.count(GraceRail::kCpu) || rails.count(GraceRail::kSysIo))
        result.notes.push_back(fmt::format(
            "Grace socket {}: the CPU and SysIO rails are parts of the Grace rail, which is "
            "counted; they are not added.",
            socket));
      continue;
    }
    bool any = false;
    for (auto [rail, label, prefix] : {std::tuple{GraceRail::kCpu, "CPU", "cpu"},
                                       std::tuple{GraceRail::kSysIo, "SysIO", "sysio"}}) {
      auto it = rails.find(rail);
      if (it == rails.end()) continue;
      any = true;
      b.add(meter_device(it->second, fmt::format("{}:{}", prefix, socket), ComponentKind::kCpu,
                         Provenance::kMeasured,
                         fmt::format("{} Power Socket {} (no Grace rail: CPU + SysIO counted)",
                                     label, socket)),
            it->second.power_path);
    }
    if (!any)
      result.notes.push_back(fmt::format(
          "Grace socket {}: no Grace, CPU or SysIO rail; only the module figure is reported.",
          socket));
  }
  b.finish(
      result, std::move(files),
      fmt::format("no Grace CPU or Grace socket rail among the power meters under {}", s.root));
  return result;
}

ProbeResult probe_hwmon_node(const ProbeContext& ctx, std::shared_ptr<const FileReader> files) {
  ProbeResult result;
  const HwmonScan& s = scan(ctx, *files, result);
  Builder b;
  unsigned k = 0;
  // A meter that cannot be read might have been the node's: then say why.
  for (const Meter& m : power_meters(s, *files, result, &b.seen)) {
    unsigned socket = 0;
    GraceRail rail = parse_grace_rail(m.oem, &socket);
    if (rail == GraceRail::kModule) {
      b.add(meter_device(m, fmt::format("module:{}", socket), ComponentKind::kNode,
                         Provenance::kPlatformMeter,
                         fmt::format("Module Power Socket {} (the whole module: Grace CPU, memory, "
                                     "and on Grace Hopper the GPU and its HBM; beside the CPU and "
                                     "GPU figures, not added to them)",
                                     socket)),
            m.power_path);
    } else if (rail == GraceRail::kNone) {
      b.add(meter_device(
                m, fmt::format("meter:{}", k++), ComponentKind::kNode, Provenance::kPlatformMeter,
                m.oem.empty() ? std::string("whole server (platform power meter)")
                              : fmt::format("whole server (platform power meter \"{}\")", m.oem)),
            m.power_path);
    }
  }
  b.finish(result, std::move(files),
           fmt::format("no readable platform power meter under {}", s.root));
  return result;
}

ProbeResult probe_hwmon_amdgpu(const ProbeContext& ctx, std::shared_ptr<const FileReader> files) {
  ProbeResult result;
  const HwmonScan& s = scan(ctx, *files, result);
  const bool rocm = std::find(ctx.found.begin(), ctx.found.end(), "rocm-smi") != ctx.found.end();
  Builder b;
  unsigned k = 0;
  for (const HwmonScan::Entry& e : s.entries) {
    if (e.err != 0 || e.name != "amdgpu") continue;
    b.seen = true;
    std::string address = device_address(e.dir);
    if (rocm) {
      result.notes.push_back(
          fmt::format("hwmon: {} (amdgpu, {}) not read: ROCm SMI measures the AMD GPUs", e.id,
                      address.empty() ? "no device link" : address));
      continue;
    }
    std::string path;
    uint64_t uw = 0;
    int err = 0;
    for (const char* attr : {"power1_average", "power1_input"}) {
      path = e.dir + "/" + attr;
      err = read_u64(*files, path.c_str(), &uw);
      if (err == 0) break;
    }
    if (err != 0) {
      result.verbose_notes.push_back(fmt::format(
          "hwmon: {} (amdgpu) skipped: power1_average/power1_input: {}", e.id, error_text(err)));
      continue;
    }
    SensorDevice d;
    d.info.name = fmt::format("amdgpu:{}", k++);
    d.info.component = ComponentKind::kGpu;
    d.info.provenance = Provenance::kMeasured;
    d.info.source = fmt::format("amdgpu hwmon power {} (PCI {}), sampled at 10 Hz", path,
                                address.empty() ? "unknown" : address);
    d.info.note = address.empty() ? "" : "PCI " + address;
    d.kind = ReadingKind::kPower;
    d.max_interval_s = 0.1;
    b.add(std::move(d), path);
  }
  b.finish(result, std::move(files),
           fmt::format("no readable amdgpu power sensor under {}", s.root));
  return result;
}

ProbeResult probe_hwmon_intel_gpu(const ProbeContext& ctx,
                                  std::shared_ptr<const FileReader> files) {
  ProbeResult result;
  const HwmonScan& s = scan(ctx, *files, result);
  Builder b;
  std::map<std::string, unsigned> counts;
  for (const HwmonScan::Entry& e : s.entries) {
    if (e.err != 0 || (e.name != "xe" && e.name != "i915")) continue;
    b.seen = true;
    std::string path = e.dir + "/energy1_input";
    uint64_t uj = 0;
    int err = read_u64(*files, path.c_str(), &uj);
    if (err != 0) {
      result.verbose_notes.push_back(
          fmt::format("hwmon: {} ({}) skipped: energy1_input: {}", e.id, e.name, error_text(err)));
      continue;
    }
    std::string address = device_address(e.dir);
    SensorDevice d;
    d.info.name = fmt::format("{}:{}", e.name, counts[e.name]++);
    d.info.component = ComponentKind::kGpu;
    d.info.provenance = Provenance::kMeasured;
    d.info.source = fmt::format("Intel GPU energy counter {} (PCI {})", path,
                                address.empty() ? "unknown" : address);
    d.info.note = address.empty() ? "" : "PCI " + address;
    d.kind = ReadingKind::kEnergyCounter;
    d.counter_unit_j = kMicro;
    d.counter_range = kIntelGpuEnergyRangeUj;
    d.max_power_w = 1000.0;
    d.counter_update_s = 0.01;
    b.add(std::move(d), path);
  }
  b.finish(result, std::move(files),
           fmt::format("no readable Intel GPU energy counter under {}", s.root));
  return result;
}

}  // namespace carbontracker
