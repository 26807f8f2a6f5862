#include "sensors/simulated.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>

#include "carbontracker/error.h"
#include "common/text.h"

namespace carbontracker {

namespace {

constexpr double kDefaultUtil = 0.5;

class SimulatedSensor : public Sensor {
 public:
  SimulatedSensor(SensorDevice device, double power_w) : power_w_(power_w) {
    devices_.push_back(std::move(device));
  }
  const std::vector<SensorDevice>& devices() const override { return devices_; }
  void read(std::vector<Reading>& out) override {
    out[0].status = ReadStatus::kOk;
    out[0].power_w = power_w_;
  }

 private:
  std::vector<SensorDevice> devices_;
  double power_w_;
};

}  // namespace

std::unique_ptr<Sensor> make_simulated_sensor(ComponentKind component, const std::string& name,
                                              double watts, std::optional<double> util) {
  bool gpu = component == ComponentKind::kGpu;
  const char* label = gpu ? "GPU" : "CPU";
  if (trim(name).empty())
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} name must be a non-empty string.", label));
  if (!std::isfinite(watts) || watts < 0)
    throw Error(ErrorCode::kInvalidArgument, gpu ? "GPU watts must be a non-negative number."
                                                 : "CPU TDP must be a non-negative number.");
  double u = util.value_or(kDefaultUtil);
  if (!(u >= 0.0 && u <= 1.0))
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} utilization must be between 0.0 and 1.0.", label));
  SensorDevice dev;
  dev.info.name = name;
  dev.info.component = component;
  dev.info.provenance = Provenance::kSimulated;
  dev.info.source = fmt::format("simulated: {} W x {} utilisation", watts, u);
  dev.kind = ReadingKind::kPower;
  return std::make_unique<SimulatedSensor>(std::move(dev), watts * u);
}

std::string simulated_banner(ComponentKind component, const std::string& name, double watts,
                             std::optional<double> util) {
  double u = util.value_or(kDefaultUtil);
  if (component == ComponentKind::kGpu)
    return fmt::format(
        "Using simulated GPU: {} with power consumption: {:.2f}W (at {:.0f}% utilization)", name,
        watts * u, u * 100);
  return fmt::format("Using simulated CPU: {} with TDP: {:.2f}W (at {:.0f}% utilization)", name,
                     watts * u, u * 100);
}

}  // namespace carbontracker
