#include "output/metrics.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "carbontracker/tracker.h"
#include "common/clock.h"
#include "energy/sampler.h"
#include "fakes/fake_powercap_tree.h"
#include "output/metrics_server.h"
#include "output/metrics_test_http.h"
#include "tracker/tracker_internal.h"

namespace carbontracker {
namespace {

namespace fs = std::filesystem;

using carbontracker::testing::TempDir;  // tests/fakes/fake_powercap_tree.h

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One parsed sample line: name{labels} value.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Parses the exposition text back, checking its grammar on the way: every
// sample's family has HELP and TYPE before it, label values are properly
// escaped, values are numbers. Fails the test on any deviation.
std::vector<Sample> parse_exposition(const std::string& text) {
  std::vector<Sample> out;
  std::map<std::string, std::string> types;
  std::set<std::string> helps;
  std::istringstream in(text);
  std::string line;
  static const std::regex name_re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      std::string rest = line.substr(7);
      std::string name = rest.substr(0, rest.find(' '));
      EXPECT_TRUE(helps.insert(name).second) << "HELP twice for " << name;
      EXPECT_GT(rest.size(), name.size() + 1) << "empty HELP for " << name;
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream ls(line.substr(7));
      std::string name, type;
      ls >> name >> type;
      EXPECT_TRUE(type == "counter" || type == "gauge") << line;
      EXPECT_TRUE(types.emplace(name, type).second) << "TYPE twice for " << name;
      if (type == "counter") {
        EXPECT_TRUE(name.size() > 6 && name.ends_with("_total")) << name;
      }
      continue;
    }
    Sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    EXPECT_TRUE(std::regex_match(s.name, name_re)) << line;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        std::string key = line.substr(i, eq - i);
        EXPECT_TRUE(std::regex_match(key, name_re)) << line;
        EXPECT_EQ(line[eq + 1], '"') << line;
        std::string value;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\') {
            char n = line[++j];
            EXPECT_TRUE(n == '\\' || n == '"' || n == 'n') << "bad escape in " << line;
            value += n == 'n' ? '\n' : n;
          } else {
            value += line[j];
          }
        }
        s.labels[key] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;
    }
    EXPECT_EQ(line[i], ' ') << line;
    std::string v = line.substr(i + 1);
    size_t pos = 0;
    s.value = std::stod(v, &pos);
    EXPECT_EQ(pos, v.size()) << line;
    EXPECT_TRUE(types.count(s.name)) << "no TYPE before " << s.name;
    EXPECT_TRUE(helps.count(s.name)) << "no HELP before " << s.name;
    out.push_back(s);
  }
  EXPECT_EQ(types.size(), helps.size());
  return out;
}

std::vector<Sample> named(const std::vector<Sample>& all, const std::string& name) {
  std::vector<Sample> out;
  for (const Sample& s : all)
    if (s.name == name) out.push_back(s);
  return out;
}

MetricsState two_devices() {
  MetricsState s;
  s.version = "1.2.3";
  s.labels = {"4711", "node-1", "3"};
  DeviceInfo gpu;
  gpu.name = "NVIDIA \"A100\"\\x\nline";
  gpu.component = ComponentKind::kGpu;
  gpu.provenance = Provenance::kMeasured;
  DeviceInfo cpu;
  cpu.name = "cpu:0";
  cpu.component = ComponentKind::kCpu;
  cpu.provenance = Provenance::kEstimated;
  s.devices = {gpu, cpu};
  s.energy_j = {1000.5, 20};
  s.co2_g = {0.125, 0.0025};
  s.power_w = {250.25, std::nullopt};
  s.intensity_g_per_kwh = 472.94;
  s.pue = 1.58;
  s.epochs_completed = 2;
  s.epochs_planned = 10;
  return s;
}

TEST(Metrics, EscapesLabelValuesAsTheExpositionFormatSays) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(escape_label_value("plain ünïcode"), "plain ünïcode");
}

TEST(Metrics, TextParsesBackWithHelpTypeAndTheStatesValues) {
  MetricsState st = two_devices();
  std::vector<Sample> all = parse_exposition(render_metrics(st));

  auto info = named(all, "carbontracker_info");
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].labels["version"], "1.2.3");
  EXPECT_EQ(info[0].value, 1);

  auto energy = named(all, "carbontracker_energy_joules_total");
  ASSERT_EQ(energy.size(), 2u);
  EXPECT_EQ(energy[0].labels["device"], st.devices[0].name);  // unescaped back
  EXPECT_EQ(energy[0].labels["component"], "gpu");
  EXPECT_EQ(energy[0].labels["provenance"], "measured");
  EXPECT_EQ(energy[0].labels["job"], "4711");
  EXPECT_EQ(energy[0].labels["node"], "node-1");
  EXPECT_EQ(energy[0].labels["rank"], "3");
  EXPECT_EQ(energy[0].value, 1000.5);
  EXPECT_EQ(energy[1].labels["component"], "cpu");
  EXPECT_EQ(energy[1].labels["provenance"], "estimated");
  EXPECT_EQ(energy[1].value, 20);

  auto co2 = named(all, "carbontracker_co2eq_grams_total");
  ASSERT_EQ(co2.size(), 2u);
  EXPECT_EQ(co2[0].value, 0.125);
  EXPECT_EQ(co2[1].value, 0.0025);

  // A device without a power figure yet has no power sample.
  auto power = named(all, "carbontracker_power_watts");
  ASSERT_EQ(power.size(), 1u);
  EXPECT_EQ(power[0].value, 250.25);

  ASSERT_EQ(named(all, "carbontracker_carbon_intensity_grams_per_kwh").size(), 1u);
  EXPECT_EQ(named(all, "carbontracker_carbon_intensity_grams_per_kwh")[0].value, 472.94);
  EXPECT_EQ(named(all, "carbontracker_epochs_completed")[0].value, 2);
  EXPECT_EQ(named(all, "carbontracker_epochs_planned")[0].value, 10);
  EXPECT_EQ(named(all, "carbontracker_pue")[0].value, 1.58);
  // No prediction yet: no series.
  EXPECT_TRUE(named(all, "carbontracker_predicted_energy_joules").empty());

  st.predicted_energy_j = 36000;
  all = parse_exposition(render_metrics(st));
  ASSERT_EQ(named(all, "carbontracker_predicted_energy_joules").size(), 1u);
  EXPECT_EQ(named(all, "carbontracker_predicted_energy_joules")[0].value, 36000);
}

TEST(Metrics, UnknownJobNodeAndRankAreLeftOut) {
  MetricsState st = two_devices();
  st.labels = {};
  for (const Sample& s : parse_exposition(render_metrics(st))) {
    EXPECT_FALSE(s.labels.count("job")) << s.name;
    EXPECT_FALSE(s.labels.count("node")) << s.name;
    EXPECT_FALSE(s.labels.count("rank")) << s.name;
  }
  auto var = [](const std::string& n) { return n == "RANK" ? std::string("5") : std::string(); };
  MetricsLabels l = metrics_labels("host", var);
  EXPECT_EQ(l.job, "");
  EXPECT_EQ(l.node, "host");
  EXPECT_EQ(l.rank, "5");
}

TEST(Metrics, TextfileIsReplacedAtomicallyAndAFailureNamesThePath) {
  TempDir dir;
  fs::path f = fs::path(dir.path()) / "ct.prom";
  EXPECT_EQ(write_file_atomically(f.string(), "a 1\n"), "");
  EXPECT_EQ(read_file(f), "a 1\n");
  EXPECT_EQ(write_file_atomically(f.string(), "b 2\n"), "");
  EXPECT_EQ(read_file(f), "b 2\n");
  // Only the file itself is left in the directory: no temporary.
  EXPECT_EQ(std::distance(fs::directory_iterator(fs::path(dir.path())), fs::directory_iterator()),
            1);
  std::string bad = (fs::path(dir.path()) / "missing" / "ct.prom").string();
  std::string err = write_file_atomically(bad, "x");
  EXPECT_NE(err.find((fs::path(dir.path()) / "missing").string()), std::string::npos) << err;
  EXPECT_NE(err.find("No such file"), std::string::npos) << err;
}

TEST(LiveMetrics, TicksEpochsAndPredictionReachTheTextAndTheTextfile) {
  TempDir dir;
  MetricsState st = two_devices();
  st.energy_j.clear();
  st.co2_g.clear();
  st.power_w.clear();
  LiveMetricsOptions mo;
  mo.textfile = (fs::path(dir.path()) / "ct.prom").string();
  std::vector<std::string> said;
  LiveMetrics m(st, mo, [&](const std::string& s) { said.push_back(s); });
  EXPECT_EQ(m.port(), 0);
  auto all = parse_exposition(read_file(mo.textfile));
  EXPECT_EQ(named(all, "carbontracker_energy_joules_total")[0].value, 0);
  EXPECT_TRUE(named(all, "carbontracker_power_watts").empty());

  TickSample t;
  t.totals.energy_j = {3000, 625};
  t.totals.co2_g = {0.3, 0.06};
  t.totals.lost = {false, true};
  t.interval_s = 10;
  t.power_w = {300, 62.5};
  t.intensity_g_per_kwh = 100;
  m.on_tick(t);
  all = parse_exposition(read_file(mo.textfile));
  EXPECT_EQ(read_file(mo.textfile), m.text());
  EXPECT_EQ(named(all, "carbontracker_energy_joules_total")[0].value, 3000);
  EXPECT_EQ(named(all, "carbontracker_energy_joules_total")[1].value, 625);
  EXPECT_EQ(named(all, "carbontracker_co2eq_grams_total")[0].value, 0.3);
  // The lost device has no power figure.
  ASSERT_EQ(named(all, "carbontracker_power_watts").size(), 1u);
  EXPECT_EQ(named(all, "carbontracker_power_watts")[0].value, 300);
  EXPECT_EQ(named(all, "carbontracker_carbon_intensity_grams_per_kwh")[0].value, 100);

  // An epoch boundary read after the tick moves the counters on; one that
  // came before it never moves them back.
  Snapshot end;
  end.energy_j = {3100, 600};
  end.co2_g = {0.31, 0.05};
  m.on_epoch_end(end, 1);
  all = parse_exposition(m.text());
  EXPECT_EQ(named(all, "carbontracker_energy_joules_total")[0].value, 3100);
  EXPECT_EQ(named(all, "carbontracker_energy_joules_total")[1].value, 625);
  EXPECT_EQ(named(all, "carbontracker_co2eq_grams_total")[1].value, 0.06);
  EXPECT_EQ(named(all, "carbontracker_epochs_completed")[0].value, 1);

  Consumption c;
  c.energy_kwh = 0.5;
  c.co2_g = 50;
  m.on_prediction(c);
  all = parse_exposition(read_file(mo.textfile));
  EXPECT_EQ(named(all, "carbontracker_predicted_energy_joules")[0].value, 1.8e6);
  EXPECT_TRUE(said.empty());
}

TEST(LiveMetrics, TextfileWriteErrorIsSaidOnceAndTheFiguresGoOn) {
  TempDir dir;
  LiveMetricsOptions mo;
  mo.textfile = (fs::path(dir.path()) / "no-such-dir" / "ct.prom").string();
  std::vector<std::string> said;
  LiveMetrics m(two_devices(), mo, [&](const std::string& s) { said.push_back(s); });
  TickSample t;
  t.totals.energy_j = {1, 2};
  t.totals.co2_g = {0, 0};
  t.power_w = {5, 6};
  for (int i = 0; i < 3; ++i) m.on_tick(t);
  ASSERT_EQ(said.size(), 1u);
  EXPECT_NE(said[0].find("no-such-dir"), std::string::npos) << said[0];
  EXPECT_NE(said[0].find("measuring goes on"), std::string::npos) << said[0];
  EXPECT_EQ(named(parse_exposition(m.text()), "carbontracker_power_watts")[1].value, 6);
  // Once the directory exists, the next tick writes it.
  fs::create_directory(fs::path(dir.path()) / "no-such-dir");
  m.on_tick(t);
  EXPECT_EQ(read_file(mo.textfile), m.text());
  EXPECT_EQ(said.size(), 1u);
}

using namespace metrics_test;  // NOLINT: connect_to, request, body_of

// A free loopback port (bound and released: another program could take it in
// between, which a test run on loopback does not expect).
int free_port() {
  auto s = MetricsServer::start(
      {}, [] { return std::string(); }, nullptr);
  return s ? s->port() : 0;
}

Environment offline_env(const TempDir& dir) {
  Environment env;
  env.powercap_root = (fs::path(dir.path()) / "no-powercap").string();
  env.proc_root = (fs::path(dir.path()) / "no-proc").string();
  env.nvml_library = (fs::path(dir.path()) / "no-libnvidia-ml.so").string();
  env.rocm_smi_library = (fs::path(dir.path()) / "no-librocm_smi64.so").string();
  env.offline = true;
  env.zone_tab = (fs::path(dir.path()) / "no-zone.tab").string();
  env.localtime_path = (fs::path(dir.path()) / "no-localtime").string();
  env.cache_dir = (fs::path(dir.path()) / "cache").string();
  env.vars["SLURM_JOB_ID"] = "77";
  env.vars["SLURM_PROCID"] = "0";
  // The node lock of job 77 in this test's own directory: two tests run at
  // once (ctest -j) would otherwise share /tmp's and one would not measure.
  env.vars["XDG_RUNTIME_DIR"] = dir.path();
  return env;
}

TEST(TrackerMetrics, EndpointAndTextfileShowTheTrackersOwnFigures) {
  TempDir dir;
  FakeClock clock;
  std::ostringstream console;
  InternalOptions o;
  o.clock = &clock;
  o.epochs = 3;
  o.monitor_epochs = -1;
  o.sim_cpu = "Xeon";
  o.sim_cpu_tdp = 100;
  o.sim_gpu = "A100";
  o.sim_gpu_watts = 400;
  o.sim_gpu_util = 0.75;
  o.environment = offline_env(dir);
  o.console = &console;
  o.update_interval = 0.05;
  o.metrics_port = free_port();
  o.metrics_textfile = (fs::path(dir.path()) / "ct.prom").string();
  InternalTracker t(o);
  std::string text = body_of(request(o.metrics_port, "GET /metrics HTTP/1.1\r\n\r\n"));
  auto all = parse_exposition(text);
  ASSERT_EQ(named(all, "carbontracker_energy_joules_total").size(), 2u);
  EXPECT_EQ(named(all, "carbontracker_info")[0].labels["version"], version());
  EXPECT_EQ(named(all, "carbontracker_epochs_planned")[0].value, 3);
  EXPECT_EQ(named(all, "carbontracker_energy_joules_total")[0].labels["job"], "77");
  EXPECT_EQ(named(all, "carbontracker_energy_joules_total")[0].labels["rank"], "0");
  // Hung scrapers (connected, silent) delay neither the epochs nor the ticks.
  std::vector<int> hung;
  for (int i = 0; i < 8; ++i) hung.push_back(connect_to(o.metrics_port));
  for (int e = 0; e < 2; ++e) {
    t.epoch_start();
    clock.advance(2.5);
    auto t0 = std::chrono::steady_clock::now();
    t.epoch_end();
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2);
  }
  RunResult r = t.result();
  all = parse_exposition(body_of(request(o.metrics_port, "GET /metrics HTTP/1.1\r\n\r\n")));
  auto energy = named(all, "carbontracker_energy_joules_total");
  auto co2 = named(all, "carbontracker_co2eq_grams_total");
  ASSERT_EQ(energy.size(), 2u);
  for (size_t d = 0; d < 2; ++d) {
    EXPECT_EQ(energy[d].labels["device"], r.devices[d].name);
    EXPECT_EQ(energy[d].labels["provenance"], "simulated");
    EXPECT_DOUBLE_EQ(energy[d].value, r.epochs[0].energy_j[d] + r.epochs[1].energy_j[d]);
    EXPECT_DOUBLE_EQ(co2[d].value, r.epochs[0].co2_g[d] + r.epochs[1].co2_g[d]);
  }
  EXPECT_DOUBLE_EQ(energy[0].value, 300 * 5.0);  // 400 W x 0.75 for 5 s
  EXPECT_DOUBLE_EQ(energy[1].value, 50 * 5.0);   // 100 W x 0.5
  EXPECT_EQ(named(all, "carbontracker_epochs_completed")[0].value, 2);
  ASSERT_TRUE(r.prediction);
  EXPECT_DOUBLE_EQ(named(all, "carbontracker_predicted_energy_joules")[0].value,
                   r.prediction->energy_kwh * 3.6e6);
  // The textfile holds the same text once the ticks have caught up (the
  // clock stands still, so every tick now gives the same figures).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::string served = body_of(request(o.metrics_port, "GET /metrics HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(read_file(o.metrics_textfile), served);
  all = parse_exposition(served);
  EXPECT_EQ(named(all, "carbontracker_power_watts").size(), 2u);  // ticks came
  EXPECT_DOUBLE_EQ(named(all, "carbontracker_energy_joules_total")[0].value, energy[0].value);
  for (int fd : hung) close(fd);
  t.stop();
}

TEST(TrackerMetrics, APortInUseIsSaidOnceAndTheRunIsMeasured) {
  TempDir dir;
  FakeClock clock;
  std::ostringstream console;
  auto taken = MetricsServer::start(
      {}, [] { return std::string(); }, nullptr);
  ASSERT_TRUE(taken);
  InternalOptions o;
  o.clock = &clock;
  o.epochs = 1;
  o.sim_cpu = "Xeon";
  o.sim_cpu_tdp = 100;
  o.environment = offline_env(dir);
  o.console = &console;
  o.metrics_port = taken->port();
  InternalTracker t(o);
  t.epoch_start();
  clock.advance(4);
  t.epoch_end();
  RunResult r = t.result();
  ASSERT_TRUE(r.actual);
  EXPECT_DOUBLE_EQ(r.energy_j(false), 200);
  int mentions = 0;
  for (const std::string& m : r.messages)
    mentions += m.find(std::to_string(taken->port())) != std::string::npos;
  EXPECT_EQ(mentions, 1);
  std::string out = console.str();
  EXPECT_NE(out.find("Address already in use"), std::string::npos) << out;
  EXPECT_EQ(out.find("Address already in use"), out.rfind("Address already in use"));
}

TEST(TrackerOptions, BadMetricsPortOrAddressIsRejectedNamingTheOption) {
  InternalOptions o;
  o.epochs = 1;
  o.metrics_port = 70000;
  try {
    InternalTracker t(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("metrics_port"), std::string::npos);
  }
  o.metrics_port = 9000;
  o.metrics_address = "localhost";
  try {
    InternalTracker t(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("metrics_address"), std::string::npos);
  }
}

}  // namespace
}  // namespace carbontracker
