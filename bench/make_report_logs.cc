// Writes the JSONL log of a long made-up run, to measure report generation
// (BENCHMARKS.md, "Report generation") and the size of the per-tick sample
// lines: `make_report_logs DIR [EPOCHS] [HOURS] [INTERVAL_S]` (defaults 100
// epochs, 10 hours, 10 s ticks: 3,600 samples). One GPU, one CPU package and
// its DRAM, with powers that wander like a training run's, and an hourly
// intensity value. Prints the file's size and its sample lines' share.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "logs/jsonl_writer.h"

using namespace carbontracker;  // NOLINT(build/namespaces)

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [EPOCHS] [HOURS] [INTERVAL_S]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int epochs = argc > 2 ? std::atoi(argv[2]) : 100;
  const double hours = argc > 3 ? std::atof(argv[3]) : 10;
  const double interval = argc > 4 ? std::atof(argv[4]) : 10;
  if (epochs <= 0 || hours <= 0 || interval <= 0) {
    std::fprintf(stderr, "EPOCHS, HOURS and INTERVAL_S must be > 0\n");
    return 2;
  }
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/4242.1_2026-11-28T080000Z_carbontracker.jsonl";
  const double t0 = 1795852800;  // 2026-11-28T08:00:00Z
  const double total_s = hours * 3600, epoch_s = total_s / epochs;
  std::vector<DeviceInfo> devices = {
      {"NVIDIA H200", ComponentKind::kGpu, Provenance::kMeasured, "NVML total energy counter", ""},
      {"cpu:0", ComponentKind::kCpu, Provenance::kMeasured,
       "RAPL energy counter /sys/class/powercap/intel-rapl:0", ""},
      {"dram:0", ComponentKind::kCpu, Provenance::kMeasured,
       "RAPL energy counter /sys/class/powercap/intel-rapl:0:0", ""}};
  RunResult run;
  run.devices = devices;
  run.pue = 1.58;
  run.planned_epochs = epochs;
  RunMetadata meta;
  meta.version = "bench";
  meta.hostname = "bench";
  meta.command = "python train.py";
  meta.options = {{"epochs", epochs}, {"update_interval", interval}};

  JsonlWriter w(path);
  w.run_start(meta, devices, run.pue, t0);
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0, 1);
  auto intensity_at = [&](double t) { return 150 + 60 * std::sin(t / 3600.0); };
  double next_hour = 0;
  EpochRecord epoch;
  epoch.index = 1;
  epoch.start_unix_s = t0;
  epoch.energy_j.assign(3, 0);
  epoch.co2_g.assign(3, 0);
  epoch.missing.assign(3, false);
  size_t sample_bytes = 0, samples = 0;
  for (double t = interval; t <= total_s + 1e-9; t += interval) {
    if (t - interval >= next_hour) {
      w.intensity({std::round(intensity_at(next_hour) * 100) / 100, t0 + next_hour,
                   "Electricity Maps (live)", "DK-DK2", false});
      next_hour += 3600;
    }
    std::vector<double> p = {550 + 80 * noise(rng), 180 + 15 * noise(rng), 25 + 2 * noise(rng)};
    double g = std::round(intensity_at(std::floor((t - interval) / 3600) * 3600) * 100) / 100;
    auto before = std::filesystem::file_size(path);
    w.sample(t0 + t, interval, p, g);
    sample_bytes += std::filesystem::file_size(path) - before;
    ++samples;
    for (size_t i = 0; i < 3; ++i) {
      epoch.energy_j[i] += p[i] * interval;
      epoch.co2_g[i] += p[i] * interval / 3.6e6 * g;
    }
    if (t >= epoch_s * epoch.index - 1e-9) {
      epoch.duration_s = t0 + t - epoch.start_unix_s;
      w.epoch(epoch, devices);
      run.epochs.push_back(epoch);
      if (epoch.index == 1) {
        Consumption c{epochs,
                      epoch.duration_s * epochs,
                      epoch.total_energy_j() * epochs * run.pue / 3.6e6,
                      epoch.total_co2_g() * epochs * run.pue,
                      150,
                      "",
                      std::nullopt};
        w.prediction(c);
        run.prediction = c;
      }
      EpochRecord next;
      next.index = epoch.index + 1;
      next.start_unix_s = t0 + t;
      next.energy_j.assign(3, 0);
      next.co2_g.assign(3, 0);
      next.missing.assign(3, false);
      epoch = next;
    }
  }
  Consumption actual{static_cast<int>(run.epochs.size()),
                     run.duration_s(),
                     run.energy_j(true) / 3.6e6,
                     run.co2_g(true),
                     run.co2_g(false) / (run.energy_j(false) / 3.6e6),
                     "",
                     std::nullopt};
  run.actual = actual;
  run.finished = true;
  w.totals(run, t0 + total_s);
  auto size = std::filesystem::file_size(path);
  std::printf("%s: %ju bytes; %zu sample lines, %zu bytes (%.1f bytes each, %.0f bytes per hour)\n",
              path.c_str(), static_cast<uintmax_t>(size), samples, sample_bytes,
              static_cast<double>(sample_bytes) / static_cast<double>(samples),
              static_cast<double>(sample_bytes) / hours);
  return 0;
}
