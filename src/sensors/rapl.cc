// Implementation details: discovery builds a list of zones (top-level entries
// of the root, then zones nested in a top-level zone's directory that the top
// level did not list), classifies them by their `name` file, removes what
// would be counted twice, and only then reads energy_uj, so that a permission
// problem is reported only for files that would actually be used.
#include "sensors/rapl.h"

#include <dirent.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "common/text.h"
#include "sensors/sysfs_value_sensor.h"

namespace carbontracker {
namespace {

enum class ZoneKind { kPackage, kDram, kPsys, kOther };

struct Zone {
  std::string id;   // e.g. "intel-rapl:0:2"
  std::string dir;  // its directory
  bool mmio = false;
  unsigned long package = 0;
  long sub = -1;  // -1 for a top-level zone
  std::string name;
  ZoneKind kind = ZoneKind::kOther;
  uint64_t energy_uj = 0;
  uint64_t range_uj = 0;
};

// Parses "intel-rapl:N", "intel-rapl:N:M", "intel-rapl-mmio:N[:M]".
bool parse_zone_id(const std::string& id, Zone* zone) {
  static constexpr std::string_view kMsr = "intel-rapl:";
  static constexpr std::string_view kMmio = "intel-rapl-mmio:";
  std::string_view rest(id);
  if (rest.substr(0, kMsr.size()) == kMsr) {
    zone->mmio = false;
    rest.remove_prefix(kMsr.size());
  } else if (rest.substr(0, kMmio.size()) == kMmio) {
    zone->mmio = true;
    rest.remove_prefix(kMmio.size());
  } else {
    return false;
  }
  auto number = [&rest](unsigned long* out) {
    size_t n = 0;
    unsigned long value = 0;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9' && n < 9) {
      value = value * 10 + static_cast<unsigned long>(rest[n] - '0');
      ++n;
    }
    if (n == 0) return false;
    rest.remove_prefix(n);
    *out = value;
    return true;
  };
  if (!number(&zone->package)) return false;
  zone->sub = -1;
  if (!rest.empty()) {
    unsigned long sub = 0;
    if (rest[0] != ':') return false;
    rest.remove_prefix(1);
    if (!number(&sub)) return false;
    zone->sub = static_cast<long>(sub);
  }
  if (!rest.empty()) return false;
  zone->id = id;
  return true;
}

ZoneKind classify(const std::string& name) {
  if (name.rfind("package", 0) == 0) return ZoneKind::kPackage;
  if (name == "dram") return ZoneKind::kDram;
  if (name == "psys") return ZoneKind::kPsys;
  return ZoneKind::kOther;
}

// Zone ids found directly in dir (not recursing); errno on failure.
int list_zone_ids(const std::string& dir, std::vector<std::string>* ids) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return errno;
  while (struct dirent* e = readdir(d)) {
    Zone probe;
    if (parse_zone_id(e->d_name, &probe)) ids->push_back(e->d_name);
  }
  closedir(d);
  return 0;
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

std::string device_name(const Zone& z) {
  switch (z.kind) {
    case ZoneKind::kPackage:
      return fmt::format("cpu:{}", z.package);
    case ZoneKind::kDram:
      return fmt::format("dram:{}", z.package);
    case ZoneKind::kPsys:
      return fmt::format("psys:{}", z.package);
    case ZoneKind::kOther:
      break;
  }
  return z.id;
}

std::string permission_warning(const std::string& root, const std::vector<std::string>& paths) {
  std::string msg = kRaplPermissionSentence;
  msg += "\n\tPlease run the following command(s): ";
  for (const std::string& p : paths) msg += "\n\t\tsudo chmod a+r " + p;
  msg += fmt::format(
      "\n\tor, for all zones at once:"
      "\n\t\tsudo chmod a+r {}/intel-rapl*/energy_uj"
      "\n\tThe files are root-only since CVE-2020-8694 and the grant lasts until the next "
      "reboot. To keep it, add a udev rule:"
      "\n\t\techo 'ACTION==\"add\", SUBSYSTEM==\"powercap\", KERNEL==\"intel-rapl*\", "
      "RUN+=\"/bin/chmod a+r /sys%p/energy_uj\"' | sudo tee "
      "/etc/udev/rules.d/99-carbontracker-rapl.rules"
      "\n\tUntil then the CPU and RAM are estimated instead (marked as estimated).",
      root);
  return msg;
}

class RaplSensor : public SysfsValueSensor<RaplSensor> {
 public:
  RaplSensor(std::vector<SensorDevice> devices, std::vector<std::string> paths,
             std::vector<std::string> zone_ids, std::shared_ptr<const FileReader> files)
      : SysfsValueSensor(std::move(devices), std::move(paths), std::move(files)),
        zone_ids_(std::move(zone_ids)) {}

  void set_value(size_t, uint64_t value, Reading& r) { r.counter = value; }
  std::string lost_message(size_t i, int err) {
    return fmt::format("RAPL zone {} ({}) vanished: {}: {}; its energy until now is kept",
                       zone_ids_[i], devices_[i].info.name, paths_[i], std::strerror(err));
  }
  std::string failure_message(size_t i, int err) {
    return err < 0 ? fmt::format("RAPL zone {} ({}): no counter value in {}", zone_ids_[i],
                                 devices_[i].info.name, paths_[i])
                   : fmt::format("RAPL zone {} ({}): {}: {}", zone_ids_[i], devices_[i].info.name,
                                 paths_[i], std::strerror(err));
  }

 private:
  std::vector<std::string> zone_ids_;
};

}  // namespace

ProbeResult probe_rapl(const ProbeContext& ctx) {
  return probe_rapl(ctx, SystemFileReader::instance());
}

ProbeResult probe_rapl(const ProbeContext& ctx, std::shared_ptr<const FileReader> files) {
  ProbeResult result;
  const std::string root = ctx.env ? ctx.env->powercap_root : Environment().powercap_root;

  std::vector<std::string> top_ids;
  if (int err = list_zone_ids(root, &top_ids); err != 0) {
    result.unavailable_reason =
        fmt::format("no RAPL: cannot list the powercap directory {}: {}", root, std::strerror(err));
    return result;
  }

  // Zone id -> zone; the top level first, then nested sub-zones it lacks.
  std::map<std::string, Zone> zones;
  for (const std::string& id : top_ids) {
    Zone z;
    parse_zone_id(id, &z);
    z.dir = join_path(root, id);
    zones.emplace(id, std::move(z));
  }
  for (const std::string& id : top_ids) {
    const Zone& parent = zones.at(id);
    if (parent.sub >= 0) continue;
    std::vector<std::string> nested;
    list_zone_ids(parent.dir, &nested);
    for (const std::string& nid : nested) {
      Zone z;
      parse_zone_id(nid, &z);
      if (z.sub < 0 || z.mmio != parent.mmio || z.package != parent.package) continue;
      if (zones.count(nid)) continue;
      z.dir = join_path(parent.dir, nid);
      zones.emplace(nid, std::move(z));
    }
  }

  std::vector<Zone> all;
  for (auto& [id, z] : zones) {
    std::string name;
    if (int err = read_text(*files, join_path(z.dir, "name"), &name); err != 0) {
      result.notes.push_back(fmt::format("RAPL zone {} skipped: cannot read {}: {}", id,
                                         join_path(z.dir, "name"), std::strerror(err)));
      continue;
    }
    z.name = trim(name);
    z.kind = classify(z.name);
    if (z.kind != ZoneKind::kOther) all.push_back(std::move(z));
  }
  std::sort(all.begin(), all.end(), [](const Zone& a, const Zone& b) {
    return std::tie(a.mmio, a.package, a.sub) < std::tie(b.mmio, b.package, b.sub);
  });

  // An mmio zone is the msr zone of the same package and name seen again.
  std::vector<Zone> candidates;
  for (const Zone& z : all) {
    if (z.mmio) {
      auto twin = std::find_if(all.begin(), all.end(), [&z](const Zone& o) {
        return !o.mmio && o.package == z.package && o.name == z.name;
      });
      if (twin != all.end()) {
        result.notes.push_back(fmt::format(
            "RAPL zone {} ({}) is the same counter as {}: counted once", z.id, z.name, twin->id));
        continue;
      }
    }
    candidates.push_back(z);
  }

  const bool has_package = std::any_of(candidates.begin(), candidates.end(),
                                       [](const Zone& z) { return z.kind == ZoneKind::kPackage; });
  const bool has_psys = std::any_of(candidates.begin(), candidates.end(),
                                    [](const Zone& z) { return z.kind == ZoneKind::kPsys; });
  std::vector<Zone> counted;
  for (Zone& z : candidates) {
    bool keep =
        has_package ? z.kind != ZoneKind::kPsys : (has_psys ? z.kind == ZoneKind::kPsys : true);
    if (!keep) {
      result.notes.push_back(fmt::format("RAPL zone {} ({}) not counted: {}", z.id, z.name,
                                         z.kind == ZoneKind::kPsys
                                             ? "psys contains the package zones, which are counted"
                                             : "it is part of the psys zone, which is counted"));
      continue;
    }
    counted.push_back(std::move(z));
  }

  std::vector<std::string> denied;
  std::vector<Zone> readable;
  for (Zone& z : counted) {
    std::string path = join_path(z.dir, "energy_uj");
    int err = read_u64(*files, path.c_str(), &z.energy_uj);
    if (err == EACCES || err == EPERM) {
      denied.push_back(path);
      continue;
    }
    if (err != 0) {
      result.notes.push_back(fmt::format("RAPL zone {} ({}) skipped: {}: {}", z.id, z.name, path,
                                         err < 0 ? "no counter value" : std::strerror(err)));
      continue;
    }
    if (read_u64(*files, join_path(z.dir, "max_energy_range_uj").c_str(), &z.range_uj) != 0)
      z.range_uj = 0;
    readable.push_back(std::move(z));
  }
  if (!denied.empty()) {
    result.unavailable_reason = fmt::format(
        "RAPL energy counters under {} are not readable (permission denied); the CPU is "
        "estimated instead",
        root);
    result.warnings.push_back(permission_warning(root, denied));
    return result;
  }

  std::vector<SensorDevice> devices;
  std::vector<std::string> paths;
  std::vector<std::string> ids;
  std::vector<const Zone*> kept;
  for (const Zone& z : readable) {
    auto mirror = std::find_if(kept.begin(), kept.end(), [&z](const Zone* k) {
      return k->kind == z.kind && z.energy_uj != 0 && z.range_uj != 0 &&
             k->energy_uj == z.energy_uj && k->range_uj == z.range_uj;
    });
    if (mirror != kept.end()) {
      result.notes.push_back(
          fmt::format("RAPL zone {} ({}) mirrors {}: same energy_uj ({}) and max_energy_range_uj "
                      "({}) at start, counted once",
                      z.id, z.name, (*mirror)->id, z.energy_uj, z.range_uj));
      continue;
    }
    kept.push_back(&z);
    SensorDevice d;
    d.info.name = device_name(z);
    d.info.component = ComponentKind::kCpu;
    d.info.provenance = Provenance::kMeasured;
    d.info.source = "RAPL energy counter " + join_path(z.dir, "energy_uj");
    d.kind = ReadingKind::kEnergyCounter;
    d.counter_unit_j = 1e-6;
    d.counter_range = z.range_uj;
    d.max_power_w = 1000.0;
    // RAPL counters are refreshed about every millisecond; 10 ms leaves room
    // for firmware that refreshes less often and costs nothing at real ranges.
    d.counter_update_s = 0.01;
    devices.push_back(std::move(d));
    paths.push_back(join_path(z.dir, "energy_uj"));
    ids.push_back(z.id);
  }

  if (devices.empty()) {
    result.unavailable_reason =
        fmt::format("no RAPL: no readable package, dram or psys zone under {}", root);
    return result;
  }
  result.sensor = std::make_unique<RaplSensor>(std::move(devices), std::move(paths), std::move(ids),
                                               std::move(files));
  return result;
}

}  // namespace carbontracker
