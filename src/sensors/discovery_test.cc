// Device discovery: which table entries are probed and kept, what is said,
// and when finding nothing is an error.
#include "sensors/discovery.h"

#include <gtest/gtest.h>

#include <sstream>
#include <utility>

#include "carbontracker/error.h"
#include "carbontracker/tracker.h"
#include "tracker/tracker_test_util.h"

namespace carbontracker {
namespace {

using namespace carbontracker::tracker_test;

class FakeSensor : public Sensor {
 public:
  explicit FakeSensor(std::string name) {
    SensorDevice d;
    d.info.name = std::move(name);
    devices_.push_back(d);
  }
  const std::vector<SensorDevice>& devices() const override { return devices_; }
  void read(std::vector<Reading>& out) override { out.assign(devices_.size(), Reading{}); }

 private:
  std::vector<SensorDevice> devices_;
};

// The probes of the fake tables; probed counts every call.
int probed = 0;

ProbeResult found(const char* name, const ProbeContext&) {
  ++probed;
  ProbeResult r;
  r.sensor = std::make_unique<FakeSensor>(name);
  return r;
}
ProbeResult rapl(const ProbeContext& c) {
  ProbeResult r = found("rapl cpu", c);
  r.warnings.push_back("rapl: one package unreadable");
  r.verbose_notes.push_back("rapl: seen 2 packages");
  return r;
}
ProbeResult estimate(const ProbeContext& c) { return found("estimated cpu", c); }
ProbeResult gpu_a(const ProbeContext& c) { return found("gpu a", c); }
ProbeResult gpu_b(const ProbeContext& c) { return found("gpu b", c); }
ProbeResult none(const char* why) {
  ++probed;
  ProbeResult r;
  r.unavailable_reason = why;
  r.notes.push_back(std::string("probe said: ") + why);
  return r;
}
ProbeResult no_nvml(const ProbeContext&) { return none("libnvidia-ml.so.1 not found"); }
ProbeResult no_rocm(const ProbeContext&) { return none("librocm_smi64.so not found"); }
ProbeResult no_meter(const ProbeContext&) { return none("power1_average unreadable"); }

using Said = std::vector<std::pair<DiscoveryNote, std::string>>;

struct Found {
  Said said;
  std::vector<std::string> names;
};

Found discover(DiscoveryRequest req, const std::vector<SensorEntry>& table, size_t have = 0) {
  Found run;
  auto say = [&](DiscoveryNote k, const std::string& t) { run.said.emplace_back(k, t); };
  for (const auto& s : discover_devices(std::move(req), say, have, table))
    run.names.push_back(s->devices()[0].info.name);
  return run;
}

DiscoveryRequest request(std::vector<ComponentKind> components) {
  DiscoveryRequest req;
  req.components = std::move(components);
  return req;
}

constexpr ComponentKind kCpu = ComponentKind::kCpu;
constexpr ComponentKind kGpu = ComponentKind::kGpu;
constexpr ComponentKind kNode = ComponentKind::kNode;

TEST(Discovery, TheFirstCpuSensorFoundWinsAndEveryGpuSensorIsKept) {
  std::vector<SensorEntry> table = {{"rapl", kCpu, "", rapl},
                                    {"estimate", kCpu, "", estimate},
                                    {"nvml", kGpu, "", gpu_a},
                                    {"rocm", kGpu, "", gpu_b}};
  probed = 0;
  Found run = discover(request({kGpu, kCpu}), table);
  EXPECT_EQ(run.names, (std::vector<std::string>{"gpu a", "gpu b", "rapl cpu"}));
  EXPECT_EQ(probed, 3);  // the estimate is not probed once RAPL found the CPU
  EXPECT_EQ(run.said, (Said{{DiscoveryNote::kWarning, "rapl: one package unreadable"},
                            {DiscoveryNote::kNote, "rapl: seen 2 packages"}}));
}

TEST(Discovery, AMissingGpuIsSaidWithEveryReasonUnlessItWasAskedFor) {
  std::vector<SensorEntry> table = {
      {"rapl", kCpu, "", rapl}, {"nvml", kGpu, "", no_nvml}, {"rocm", kGpu, "", no_rocm}};
  DiscoveryRequest req = request({kGpu, kCpu});
  Found run = discover(req, table);
  EXPECT_EQ(run.names, std::vector<std::string>{"rapl cpu"});
  ASSERT_EQ(run.said.size(), 5u);
  EXPECT_EQ(run.said[0], std::make_pair(DiscoveryNote::kLog,
                                        std::string("probe said: libnvidia-ml.so.1 not found")));
  EXPECT_EQ(run.said[2], std::make_pair(DiscoveryNote::kNote,
                                        std::string("No GPU found: libnvidia-ml.so.1 not found; "
                                                    "librocm_smi64.so not found.")));
  req.gpu_explicit = true;
  try {
    discover(req, table);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kComponent);
    EXPECT_STREQ(e.what(),
                 "No GPU(s) available: libnvidia-ml.so.1 not found; librocm_smi64.so not found.");
  }
}

TEST(Discovery, AbsentNodeMeterIsSilentUnlessAskedFor) {
  std::vector<SensorEntry> table = {{"rapl", kCpu, "", rapl}};
  Environment env;
  env.hwmon_root = "/nowhere/hwmon";
  DiscoveryRequest req = request({kCpu, kNode});
  req.context.env = &env;
  Found run = discover(req, table);
  EXPECT_EQ(run.said.size(), 2u);  // the RAPL probe's lines only
  req.node_explicit = true;
  try {
    discover(req, table);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "No node power meter available: no ACPI power meter or Grace module rail found "
                 "under /nowhere/hwmon.");
  }
  // A meter that is there but unreadable is said in the log.
  table.push_back({"hwmon", kNode, "", no_meter});
  req.node_explicit = false;
  run = discover(req, table);
  ASSERT_EQ(run.said.size(), 4u);
  EXPECT_EQ(run.said[3], std::make_pair(DiscoveryNote::kLog,
                                        std::string("No node power meter found: power1_average "
                                                    "unreadable.")));
}

TEST(Discovery, ProvidedComponentsAreNotProbedAndNothingAtAllIsAnError) {
  std::vector<SensorEntry> table = {{"nvml", kGpu, "", gpu_a}, {"rapl", kCpu, "", no_rocm}};
  DiscoveryRequest req = request({kGpu, kCpu});
  req.provided = {kCpu};
  probed = 0;
  Found run = discover(req, table);
  EXPECT_EQ(run.names, std::vector<std::string>{"gpu a"});
  EXPECT_EQ(probed, 1);
  req = request({kCpu});
  req.provided = {kCpu};
  EXPECT_TRUE(discover(req, table, 1).names.empty());  // the caller has the CPU's sensor
  EXPECT_THROW(discover(request({kCpu}), table), Error);
}

TEST(Tracker, ComponentsSelectWhatIsMeasured) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);
  o.components = " GPU ";
  InternalTracker t(o);
  RunResult r = t.result();
  ASSERT_EQ(r.devices.size(), 1u);
  EXPECT_EQ(r.devices[0].component, ComponentKind::kGpu);
}

TEST(Tracker, GpuRequestedWithoutAnyGpuIsAnErrorNamingTheReason) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);
  o.sim_gpu.reset();
  o.components = "gpu";
  try {
    InternalTracker t(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kComponent);
    EXPECT_EQ(std::string(e.what()).rfind("No GPU(s) available: ", 0), 0u) << e.what();
  }
  o.ignore_errors = true;
  InternalTracker t(o);  // ignore_errors: a tracker that does nothing
  EXPECT_FALSE(t.monitoring());
  t.epoch_start();
  t.epoch_end();
  t.stop();
  EXPECT_NE(console.str().find("Ignored error: No GPU(s) available"), std::string::npos);
}

}  // namespace
}  // namespace carbontracker
