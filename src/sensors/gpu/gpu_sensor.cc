// Implementation details: the sensor holds one entry per measured GPU and
// makes exactly one driver call per GPU and read. A mutex serialises read()
// and selected(), which the engine may call from different threads.
#include "sensors/gpu/gpu_sensor.h"

#include <unistd.h>

#include <algorithm>
#include <mutex>

#include "sensors/gpu/process_tree.h"

namespace carbontracker {
namespace {

struct MeasuredGpu {
  unsigned index = 0;  // the library's index
  std::string label;   // "GPU 0 (NVIDIA A100-SXM4-40GB)"
  bool energy = true;  // energy counter, else power
  bool lost = false;
  std::string lost_message;
  bool seen_in_process_list = false;
};

class GpuSensor : public Sensor {
 public:
  GpuSensor(const GpuVendor& vendor, std::unique_ptr<GpuDriver> driver,
            std::vector<MeasuredGpu> gpus, std::vector<SensorDevice> devices, bool by_pid,
            std::string proc_root, int tracked_pid)
      : vendor_(vendor),
        driver_(std::move(driver)),
        gpus_(std::move(gpus)),
        devices_(std::move(devices)),
        by_pid_(by_pid),
        proc_root_(std::move(proc_root)),
        tracked_pid_(tracked_pid) {}

  const std::vector<SensorDevice>& devices() const override { return devices_; }

  void read(std::vector<Reading>& out) override {
    std::lock_guard<std::mutex> lock(mutex_);
    out.resize(gpus_.size());
    for (size_t i = 0; i < gpus_.size(); ++i) {
      MeasuredGpu& gpu = gpus_[i];
      Reading& reading = out[i];
      reading = Reading{};
      if (gpu.lost) {
        reading.status = ReadStatus::kLost;
        reading.message = gpu.lost_message;
        continue;
      }
      GpuStatus status = gpu.energy ? driver_->read_energy(gpu.index, &reading.counter)
                                    : driver_->read_power(gpu.index, &reading.power_w);
      if (status == kGpuSuccess) continue;
      const char* call = gpu.energy ? vendor_.calls.energy : vendor_.calls.power;
      reading.message = gpu.label + ": " + call + " failed: " + driver_->describe(status);
      if (driver_->is_lost(status)) {
        reading.status = ReadStatus::kLost;
        gpu.lost = true;
        gpu.lost_message = reading.message;
      } else {
        reading.status = ReadStatus::kRetry;
      }
    }
  }

  // With devices_by_pid, a GPU is selected from the first time one of the
  // tracked processes appears in its process lists, and stays selected: its
  // energy is the job's from then on even between kernels.
  std::vector<bool> selected() override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<bool> keep(gpus_.size(), true);
    if (!by_pid_) return keep;
    std::set<int> ours = process_tree_pids(proc_root_, tracked_pid_);
    for (size_t i = 0; i < gpus_.size(); ++i) {
      MeasuredGpu& gpu = gpus_[i];
      if (!gpu.seen_in_process_list && !gpu.lost) gpu.seen_in_process_list = uses_gpu(gpu, ours);
      keep[i] = gpu.seen_in_process_list;
    }
    return keep;
  }

  // Whether any process at all shows in any GPU's process lists.
  bool any_process_visible() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::any_of(gpus_.begin(), gpus_.end(),
                       [&](const MeasuredGpu& gpu) { return !pids_on(gpu).empty(); });
  }

 private:
  std::set<int> pids_on(const MeasuredGpu& gpu) const {
    std::set<int> on_gpu;
    driver_->add_pids(gpu.index, &on_gpu);
    return on_gpu;
  }

  bool uses_gpu(const MeasuredGpu& gpu, const std::set<int>& ours) const {
    std::set<int> on_gpu = pids_on(gpu);
    return std::any_of(on_gpu.begin(), on_gpu.end(), [&](int pid) { return ours.count(pid); });
  }

  std::mutex mutex_;
  const GpuVendor& vendor_;
  std::unique_ptr<GpuDriver> driver_;
  std::vector<MeasuredGpu> gpus_;
  std::vector<SensorDevice> devices_;
  bool by_pid_;
  std::string proc_root_;
  int tracked_pid_;
};

// The vendor's library, or nullptr and *why_not.
std::unique_ptr<DynamicLibrary> open_library(const Environment& env, const GpuVendor& vendor,
                                             std::string* why_not) {
  const GpuVendor::Library& where = vendor.library;
  const std::string& path = env.*where.path;
  std::vector<std::string> candidates;
  if (!path.empty()) {
    candidates = {path};
  } else {
    DriverSigns signs = where.find_driver(env);
    if (signs.found.empty()) {
      *why_not = std::string("no ") + vendor.words.driver + " (" + describe_missing(signs) + ")";
      return nullptr;
    }
    candidates = where.sonames;
  }
  std::string why;
  std::unique_ptr<DynamicLibrary> lib = DynamicLibrary::open_first(candidates, &why);
  if (!lib) {
    *why_not = path.empty() ? std::string("no ") + vendor.words.library + " found (" + why + ")"
                            : std::string(where.variable) + "=" + path + " does not load" +
                                  (why == "tried " + path ? std::string(": no such file")
                                                          : " (" + why + ")");
  }
  return lib;
}

// The loaded, initialised driver and its GPUs, or nullptr and *why_not.
std::unique_ptr<GpuDriver> start_driver(const Environment& env, const GpuVendor& vendor,
                                        GpuDriverFactory make, std::vector<GpuBoard>* boards,
                                        std::string* why_not) {
  std::unique_ptr<DynamicLibrary> lib = open_library(env, vendor, why_not);
  if (!lib) return nullptr;
  std::unique_ptr<GpuDriver> driver = make(std::move(lib));
  if (std::string missing = driver->bind(); !missing.empty()) {
    *why_not = driver->library().name() + " lacks the " + vendor.words.api + " function " +
               missing + vendor.words.lacks_note + "; it was unloaded";
    return nullptr;
  }
  if (*why_not = driver->init(); !why_not->empty()) return nullptr;
  unsigned count = 0;
  if (GpuStatus s = driver->count(&count); s != kGpuSuccess) {
    *why_not = std::string(vendor.calls.count) + " failed: " + driver->describe(s);
    return nullptr;
  }
  if (count == 0) {
    *why_not = std::string(vendor.words.api) + " found no GPU";
    return nullptr;
  }
  for (unsigned i = 0; i < count; ++i) boards->push_back(driver->board(i));
  return driver;
}

// Fills *dev for GPU *gpu's counter, else its power; false (and a warning)
// when neither answers.
bool choose_reading(GpuDriver& driver, const GpuVendor& vendor, MeasuredGpu* gpu, SensorDevice* dev,
                    ProbeResult* result) {
  const GpuVendor::Calls& calls = vendor.calls;
  double unit_j = 0;
  std::string energy_error = driver.energy_unit(gpu->index, &unit_j);
  if (energy_error.empty()) {
    dev->kind = ReadingKind::kEnergyCounter;
    dev->counter_unit_j = unit_j;
    dev->counter_range = 0;
    dev->info.source = calls.energy_source;
    return true;
  }
  std::string power_error = std::string("not in this ") + vendor.words.api;
  if (driver.has_power()) {
    double power_w = 0;
    GpuStatus s = driver.read_power(gpu->index, &power_w);
    power_error = s == kGpuSuccess ? "" : driver.describe(s);
  }
  if (!power_error.empty()) {
    result->warnings.push_back(gpu->label + ": neither energy nor power can be read (" +
                               calls.energy + ": " + energy_error + "; " + calls.power + ": " +
                               power_error + "); it is not measured");
    return false;
  }
  gpu->energy = false;
  dev->kind = ReadingKind::kPower;
  dev->max_interval_s = 0.1;
  dev->info.source = calls.power_source;
  result->notes.push_back(gpu->label + " has no energy counter (" + calls.energy + ": " +
                          energy_error + "); its power is sampled at 10 Hz and integrated");
  return true;
}

}  // namespace

GpuDriver::~GpuDriver() {
  if (shut_down_) shut_down_();
}

ProbeResult probe_gpus(const ProbeContext& ctx, const GpuVendor& vendor, GpuDriverFactory make) {
  ProbeResult result;
  const Environment& env = *ctx.env;
  std::vector<GpuBoard> boards;
  std::unique_ptr<GpuDriver> driver =
      start_driver(env, vendor, make, &boards, &result.unavailable_reason);
  if (!driver) return result;
  std::vector<VisibleGpu> chosen = driver->choose(ctx, boards, &result);
  if (chosen.empty()) return result;

  std::vector<MeasuredGpu> gpus;
  std::vector<SensorDevice> devices;
  for (const VisibleGpu& v : chosen) {
    const GpuBoard& board = boards[v.index];
    if (!board.error.empty()) {
      result.warnings.push_back("GPU " + std::to_string(v.index) + ": " + board.error +
                                "; it is not measured");
      continue;
    }
    MeasuredGpu gpu;
    gpu.index = v.index;
    gpu.label = "GPU " + std::to_string(v.index) + " (" + board.name + ")";
    SensorDevice dev;
    dev.info.name = board.name;
    dev.info.component = ComponentKind::kGpu;
    dev.info.provenance = Provenance::kMeasured;
    dev.max_power_w = 1500.0;
    if (!choose_reading(*driver, vendor, &gpu, &dev, &result)) continue;
    if (!v.mig_uuid.empty()) dev.info.note = "whole board (MIG instance " + v.mig_uuid + ")";
    gpus.push_back(std::move(gpu));
    devices.push_back(std::move(dev));
  }
  if (gpus.empty()) {
    result.unavailable_reason =
        std::string("no selected ") + vendor.words.gpu + " can be read (see the warnings)";
    return result;
  }

  const bool by_pid = ctx.devices_by_pid && driver->lists_processes();
  if (by_pid) {
    // Selections are re-checked at sampling ticks: make them come every 2 s
    // at least, so a GPU the job starts using is measured from then on.
    for (SensorDevice& dev : devices)
      if (dev.max_interval_s == 0 || dev.max_interval_s > 2.0) dev.max_interval_s = 2.0;
  }
  int tracked_pid = ctx.tracked_pid != 0 ? ctx.tracked_pid : static_cast<int>(getpid());
  auto sensor = std::make_unique<GpuSensor>(vendor, std::move(driver), std::move(gpus),
                                            std::move(devices), by_pid, env.proc_root, tracked_pid);
  if (by_pid) {
    std::vector<bool> now = sensor->selected();
    if (std::none_of(now.begin(), now.end(), [](bool b) { return b; })) {
      if (sensor->any_process_visible()) {
        result.notes.push_back(
            "devices_by_pid: no GPU runs the tracked process or its children yet; the GPUs' "
            "process lists are checked again every few seconds");
      } else {
        result.notes.push_back(
            "devices_by_pid: no process is visible on any GPU; they are checked again every few "
            "seconds. A container without the host PID namespace (docker run --pid=host) sees no "
            "GPU processes at all: there, select GPUs with CUDA_VISIBLE_DEVICES instead");
      }
    }
  }
  result.sensor = std::move(sensor);
  return result;
}

}  // namespace carbontracker
