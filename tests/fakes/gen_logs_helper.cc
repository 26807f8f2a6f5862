// Writes N realistic runs' log files in our format into a directory, for the
// parser benchmark (notes/parser.md) and the fuzz seed corpus.
//
//   gen_logs_helper DIR N [--jsonl] [--epochs E] [--nodes K] [--seed S] [--one-job]
//
// Each run gets a standard log (with the Run metadata line) and an output
// log with a prediction and an actual block; --jsonl adds the JSONL file.
// Runs are spread over K hosts of Slurm job 1000 + (i % 7). With --one-job
// the N runs are the N nodes of one distributed job instead (job 5000, step
// 0, host nodeNNNN, with the metadata a measuring rank writes: job, step,
// node, nodes, rank, world_size, launcher). Deterministic for a given seed.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/format.h"
#include "logs/jsonl_writer.h"
#include "tracker/run_metadata.h"

namespace ct = carbontracker;

namespace {

constexpr double kPue = 1.58;
constexpr double kIntensity = 151.6503;

struct Args {
  std::string dir;
  int runs = 0;
  bool jsonl = false;
  bool one_job = false;
  int epochs = 10;
  int nodes = 8;
  unsigned seed = 1;
};

std::string block(const std::string& title, double seconds, double kwh, double g) {
  return fmt::format(
      "\n{}\n\tTime:\t{}\n\tEnergy:\t{} kWh\n\tCO2eq:\t{} g\n\tThis is equivalent to:\n\t{} km "
      "travelled by car",
      title, ct::format_duration(seconds), ct::format_fixed(kwh, 6), ct::format_fixed(g, 6),
      ct::format_fixed(g / 107.5, 6));
}

void write_run(const Args& a, int i, std::mt19937& rng) {
  std::uniform_real_distribution<double> watts_gpu(150, 400), watts_cpu(40, 120), secs(30, 600);
  double t0 = 1764192953.0 + 3600.0 * i;
  int pid = 10000 + i % 50000;
  int id = 100000 + static_cast<int>(rng() % 900000);
  std::string stem = fmt::format("{}.{}_{}", pid, id, ct::format_file_stamp_utc(t0));
  std::string host = fmt::format("node{:02d}", i % a.nodes);
  std::string job = std::to_string(1000 + i % 7);

  ct::RunMetadata meta;
  meta.version = "0.1.0";
  meta.hostname = host;
  meta.cluster = {{"SLURM_JOB_ID", job},
                  {"SLURM_PROCID", std::to_string(i % a.nodes)},
                  {"SLURM_NODEID", std::to_string(i % a.nodes)}};
  if (a.one_job) {
    host = fmt::format("node{:04d}", i);
    meta.hostname = host;
    meta.cluster = {{"SLURM_JOB_ID", "5000"},
                    {"SLURM_PROCID", std::to_string(8 * i)},
                    {"SLURM_NODEID", std::to_string(i)},
                    {"distributed", "auto"},
                    {"launcher", "slurm"},
                    {"job", "5000"},
                    {"step", "0"},
                    {"node", std::to_string(i)},
                    {"nodes", std::to_string(a.runs)},
                    {"rank", std::to_string(8 * i)},
                    {"world_size", std::to_string(8 * a.runs)},
                    {"local_rank", "0"}};
  }
  meta.options = {{"epochs", a.epochs}, {"log_dir", a.dir}};
  std::vector<ct::DeviceInfo> devs = {{"NVIDIA A100-SXM4-40GB", ct::ComponentKind::kGpu,
                                       ct::Provenance::kMeasured, "NVML total energy counter", ""},
                                      {"cpu:0", ct::ComponentKind::kCpu, ct::Provenance::kMeasured,
                                       "RAPL energy counter /sys/class/powercap/intel-rapl:0", ""}};

  auto ts = [](double t) { return ct::format_log_time(t) + " - "; };
  std::string std_log, out_log;
  std_log += ts(t0) + "carbontracker version 0.1.0\n";
  std_log += ts(t0) +
             "Only predicted and actual consumptions are multiplied by a PUE coefficient of 1.58 "
             "(Daniel Bizo, 2023, Uptime Institute Global Data Center Survey).\n";
  std_log += ts(t0) + "Run metadata: " + ct::run_metadata_json(meta) + "\n";
  std::string comps =
      "The following components were found: GPU with device(s) NVIDIA A100-SXM4-40GB. CPU with "
      "device(s) cpu:0.";
  std_log += ts(t0) + comps + "\n" + ts(t0) + "Monitoring thread started.\n";
  out_log += ts(t0) + "CarbonTracker: " + comps + "\n";

  std::unique_ptr<ct::JsonlWriter> jw;
  if (a.jsonl) {
    jw = std::make_unique<ct::JsonlWriter>(a.dir + "/" + stem + "_carbontracker.jsonl");
    jw->run_start(meta, devs, kPue, t0);
    jw->intensity({kIntensity, t0, "carbon-intensities.csv (2023)", "DK", false});
  }
  ct::RunResult result;
  result.devices = devs;
  result.pue = kPue;
  result.planned_epochs = a.epochs;
  double t = t0, total_j = 0, total_s = 0;
  for (int e = 1; e <= a.epochs; ++e) {
    ct::EpochRecord rec;
    rec.index = e;
    rec.start_unix_s = t;
    rec.duration_s = secs(rng);
    double gpu_w = watts_gpu(rng), cpu_w = watts_cpu(rng);
    rec.energy_j = {gpu_w * rec.duration_s, cpu_w * rec.duration_s};
    rec.co2_g = {rec.energy_j[0] / 3.6e6 * kIntensity, rec.energy_j[1] / 3.6e6 * kIntensity};
    rec.missing = {false, false};
    t += rec.duration_s;
    total_j += rec.energy_j[0] + rec.energy_j[1];
    total_s += rec.duration_s;
    std_log += ts(t) + fmt::format("Epoch {}:\n", e);
    std_log += ts(t) + "Duration: " + ct::format_duration(rec.duration_s, true) + "\n";
    std_log += ts(t) + "Average power usage (W) for gpu: " + ct::python_float_repr(gpu_w) + "\n";
    std_log += ts(t) + "Average power usage (W) for cpu: " + ct::python_float_repr(cpu_w) + "\n";
    if (jw) jw->epoch(rec, devs);
    result.epochs.push_back(rec);
    if (e == 1) {
      std::string msg =
          "Live carbon intensity could not be fetched at detected location: Copenhagen, Capital "
          "Region, DK. Defaulted to average carbon intensity for DK in 2023 of 151.65 gCO2/kWh.";
      std_log += ts(t) + msg + "\n";
      out_log += ts(t) + "CarbonTracker: " + msg + "\n";
      ct::Consumption pred{a.epochs,    total_s * a.epochs, total_j * kPue / 3.6e6 * a.epochs,
                           0,           kIntensity,         "",
                           std::nullopt};
      pred.co2_g = pred.energy_kwh * kIntensity;
      out_log += ts(t) + "CarbonTracker: " +
                 block(fmt::format("Predicted consumption for {} epoch(s):", a.epochs),
                       pred.duration_s, pred.energy_kwh, pred.co2_g) +
                 "\n";
      if (jw) jw->prediction(pred);
      result.prediction = pred;
    }
  }
  ct::Consumption actual{a.epochs, total_s,     total_j * kPue / 3.6e6, 0, kIntensity,
                         "",       std::nullopt};
  actual.co2_g = actual.energy_kwh * kIntensity;
  result.actual = actual;
  result.finished = true;
  std::string avg =
      "Average carbon intensity during training was 151.65 gCO2/kWh at detected location: "
      "Copenhagen, Capital Region, DK.";
  std_log += ts(t) +
             "Carbon intensities (gCO2/kWh) fetched every 900 s at detected location Copenhagen, "
             "Capital Region, DK: [151.6503]\n";
  std_log += ts(t) + avg + "\n" + ts(t) + "Monitoring thread ended.\n";
  out_log += ts(t) + "CarbonTracker: " + avg + "\n";
  out_log += ts(t) + "CarbonTracker: " +
             block(fmt::format("Actual consumption for {} epoch(s):", a.epochs), actual.duration_s,
                   actual.energy_kwh, actual.co2_g) +
             "\n";
  out_log += ts(t) + "CarbonTracker: Finished monitoring.\n";
  if (jw) jw->totals(result, t);
  std::ofstream(a.dir + "/" + stem + "_carbontracker.log", std::ios::binary) << std_log;
  std::ofstream(a.dir + "/" + stem + "_carbontracker_output.log", std::ios::binary) << out_log;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (s == "--jsonl")
      a.jsonl = true;
    else if (s == "--one-job")
      a.one_job = true;
    else if (s == "--epochs")
      a.epochs = next();
    else if (s == "--nodes")
      a.nodes = next();
    else if (s == "--seed")
      a.seed = static_cast<unsigned>(next());
    else
      pos.push_back(s);
  }
  if (pos.size() != 2 || a.epochs < 1 || a.nodes < 1) {
    std::fprintf(stderr,
                 "usage: gen_logs_helper DIR N [--jsonl] [--epochs E] [--nodes K] [--seed S] "
                 "[--one-job]\n");
    return 2;
  }
  a.dir = pos[0];
  a.runs = std::atoi(pos[1].c_str());
  std::filesystem::create_directories(a.dir);
  std::mt19937 rng(a.seed);
  try {
    for (int i = 0; i < a.runs; ++i) write_run(a, i, rng);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gen_logs_helper: %s\n", e.what());
    return 1;
  }
  return 0;
}
