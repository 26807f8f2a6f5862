#include "carbontracker/tracker.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "common/clock.h"
#include "common/counted_thread.h"
#include "tracker/tracker_test_util.h"

namespace carbontracker {
namespace {

using namespace carbontracker::tracker_test;

TEST(Tracker, EnergyPerEpochIsPowerTimesDurationSummedOverDevices) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);
  o.monitor_epochs = -1;
  InternalTracker t(o);
  for (int i = 0; i < 3; ++i) {
    t.epoch_start();
    pass_s(0.15);
    t.epoch_end();
  }
  RunResult r = t.result();
  ASSERT_EQ(r.devices.size(), 2u);
  EXPECT_EQ(r.devices[0].name, "NVIDIA A100");
  EXPECT_EQ(r.devices[0].component, ComponentKind::kGpu);
  EXPECT_EQ(r.devices[0].provenance, Provenance::kSimulated);
  ASSERT_EQ(r.epochs.size(), 3u);
  for (const EpochRecord& e : r.epochs) {
    EXPECT_NEAR(e.duration_s, 0.15, 1e-9);
    // GPU 400 W x 0.75 = 300 W, CPU 125 W x 0.5 = 62.5 W: summed, not averaged.
    EXPECT_NEAR(e.energy_j[0], 300 * e.duration_s, 1e-6);
    EXPECT_NEAR(e.energy_j[1], 62.5 * e.duration_s, 1e-6);
    EXPECT_NEAR(e.total_co2_g(), e.total_energy_j() / 3.6e6 * kWorld, 1e-12);
  }
  // Prediction after epoch 1: 4 epochs x epoch 1's energy, with PUE.
  ASSERT_TRUE(r.prediction);
  EXPECT_EQ(r.prediction->epochs, 4);
  EXPECT_NEAR(r.prediction->energy_kwh, 4 * r.epochs[0].total_energy_j() * 1.58 / 3.6e6, 1e-15);
  EXPECT_NEAR(r.prediction->co2_g, r.prediction->energy_kwh * kWorld, 1e-12);
  EXPECT_NEAR(r.prediction->duration_s, 4 * r.epochs[0].duration_s, 1e-9);
  t.stop();
  r = t.result();
  ASSERT_TRUE(r.actual);
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.actual->epochs, 3);
  EXPECT_NEAR(r.actual->energy_kwh, r.energy_j(true) / 3.6e6, 1e-15);
  EXPECT_NEAR(r.actual->co2_g, r.actual->energy_kwh * kWorld, 1e-12);
}

TEST(Tracker, StopMeasuresTheEpochInProgressAsPartial) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);
  o.monitor_epochs = -1;
  InternalTracker t(o);
  t.epoch_start();
  pass_s(0.05);
  t.epoch_end();
  t.epoch_start();
  pass_s(0.1);
  t.stop();
  RunResult r = t.result();
  ASSERT_EQ(r.epochs.size(), 2u);
  EXPECT_FALSE(r.epochs[0].partial);
  EXPECT_TRUE(r.epochs[1].partial);
  EXPECT_NEAR(r.epochs[1].duration_s, 0.1, 1e-9);
  EXPECT_NEAR(r.epochs[1].total_energy_j(), 362.5 * r.epochs[1].duration_s, 1e-6);
  ASSERT_TRUE(r.actual);
  EXPECT_EQ(r.actual->epochs, 1);  // completed epochs
  EXPECT_NEAR(r.actual->duration_s, r.epochs[0].duration_s + r.epochs[1].duration_s, 1e-9);
  EXPECT_NE(console.str().find("Actual consumption for 1 epoch(s):"), std::string::npos);
  // Nothing more after stop().
  t.epoch_start();
  t.epoch_end();
  t.stop();
  EXPECT_EQ(t.result().epochs.size(), 2u);
}

TEST(Tracker, DefaultsReportAfterTheFirstEpochAndStop) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);  // epochs_before_pred=1, monitor_epochs=1
  InternalTracker t(o);
  t.epoch_start();
  t.epoch_end();
  EXPECT_FALSE(t.monitoring());
  t.stop();  // no-op, as in the original 2.1.2
  std::string out = console.str();
  EXPECT_EQ(out.find("interrupted"), std::string::npos);
  EXPECT_NE(out.find("Actual consumption for 1 epoch(s):"), std::string::npos);
}

TEST(Tracker, ConsoleTextHasTheOriginalFormat) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);
  o.monitor_epochs = 2;
  InternalTracker t(o);
  for (int i = 0; i < 2; ++i) {
    t.epoch_start();
    pass_s(0.02);
    t.epoch_end();
  }
  std::string out = console.str();
  std::regex expected(
      "Using simulated GPU: NVIDIA A100 with power consumption: 300.00W \\(at 75% utilization\\)\n"
      "Using simulated CPU: Intel Xeon Gold 6130 with TDP: 62.50W \\(at 50% utilization\\)\n"
      "CarbonTracker: The following components were found: GPU with device\\(s\\) NVIDIA A100\\. "
      "CPU with device\\(s\\) Intel Xeon Gold 6130\\.\n"
      "CarbonTracker: GPU simulated, CPU simulated; carbon intensity: Ember (\\d{4} )?world "
      "average "
      "\\(offline table\\), location unknown, offline\\.\n"
      "CarbonTracker: Live carbon intensity not fetched \\(offline mode\\) at detected location: "
      "Unknown\\. Defaulted to average carbon intensity for world of 472\\.94 gCO2/kWh\\.\n"
      "CarbonTracker: \nPredicted consumption for 4 epoch\\(s\\):\n\tTime:\t0:00:00\n"
      "\tEnergy:\t0\\.000013 kWh\n\tCO2eq:\t0\\.0\\d{5} g\n\tThis is equivalent to:\n"
      "\t0\\.0000\\d\\d km travelled by car\n"
      "CarbonTracker: Uncertainty \\(95 %\\): energy \\+36/-33 %, CO2eq \\+135/-100 % "
      "\\(intensity: "
      "world average\\)\n"
      "CarbonTracker: Average carbon intensity during training was 472\\.94 gCO2/kWh at detected "
      "location: UNDETECTED\\.\n"
      "CarbonTracker: \nActual consumption for 2 epoch\\(s\\):\n\tTime:\t0:00:00\n"
      "\tEnergy:\t0\\.000006 kWh\n\tCO2eq:\t0\\.0\\d{5} g\n\tThis is equivalent to:\n"
      "\t0\\.0000\\d\\d km travelled by car\n"
      "CarbonTracker: Uncertainty \\(95 %\\): energy \\+-30 %, CO2eq \\+131/-100 % \\(intensity: "
      "world average\\)\n"
      "CarbonTracker: Finished monitoring\\.\n");
  EXPECT_TRUE(std::regex_match(out, expected)) << out;
}

// What a run says before its first epoch ends, at each verbosity.
std::string start_text(int verbose, const TempDir& dir) {
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);
  o.sim_gpu.reset();  // the GPU probes find none: a note
  o.verbose = verbose;
  o.log_dir = (dir.path / ("logs" + std::to_string(verbose))).string();
  InternalTracker t(o);
  t.epoch_end();  // stray: a warning
  return console.str();
}

TEST(Tracker, AtVerboseOneOnlyTheOriginalsLinesOneOfOursAndWarningsPrecedeTheCommand) {
  TempDir dir;
  const std::string warning =
      "CarbonTracker: WARNING - epoch_end() was called without epoch_start(); it is ignored.\n";
  const std::string simulated =
      "Using simulated CPU: Intel Xeon Gold 6130 with TDP: 62.50W (at 50% utilization)\n";
  const std::string components =
      "CarbonTracker: The following components were found: CPU with device(s) Intel Xeon Gold "
      "6130.\n";
  std::string v1 = start_text(1, dir);
  std::regex ours(
      "CarbonTracker: CPU simulated; carbon intensity: Ember (\\d{4} )?world average \\(offline "
      "table\\), location unknown, offline\\.\n");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(v1, m, ours)) << v1;
  EXPECT_EQ(v1, simulated + components + m.str() + warning);

  std::string v2 = start_text(2, dir);
  for (const char* note : {"CarbonTracker: No GPU found: ", "CarbonTracker: Location unknown: ",
                           "CarbonTracker: Offline: no IP geolocation"}) {
    EXPECT_EQ(v1.find(note), std::string::npos) << note;
    EXPECT_NE(v2.find(note), std::string::npos) << note << "\n" << v2;
  }
  EXPECT_NE(v2.find(m.str()), std::string::npos);
  EXPECT_NE(v2.find(warning), std::string::npos);

  // Verbose 0: the original's print()s and warnings only; every note in the
  // standard log.
  EXPECT_EQ(start_text(0, dir), simulated + warning);
  std::string standard;
  for (const fs::path& f : files_in(dir.path / "logs0"))
    if (f.string().find("_carbontracker.log") != std::string::npos) standard = read_file(f);
  EXPECT_NE(standard.find(" - No GPU found: "), std::string::npos) << standard;
  EXPECT_NE(standard.find(" - Location unknown: using the world average."), std::string::npos);
}

TEST(Tracker, VerboseZeroKeepsOutputOffTheConsoleButInTheFile) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);
  o.verbose = 0;
  o.interpretable = false;
  o.log_dir = (dir.path / "logs").string();
  o.log_file_prefix = "run";
  {
    InternalTracker t(o);
    t.epoch_start();
    pass_s(0.05);
    t.epoch_end();
  }
  EXPECT_EQ(console.str().find("CarbonTracker:"), std::string::npos);
  auto files = files_in(dir.path / "logs");
  ASSERT_EQ(files.size(), 3u);  // standard, output, JSONL; no err file without an error
  std::regex name(
      "run_" + std::to_string(getpid()) +
      "\\.\\d{1,6}_\\d{4}-\\d\\d-\\d\\dT\\d{6}Z_carbontracker(\\.jsonl|(_output)?\\.log)");
  for (const auto& f : files) EXPECT_TRUE(std::regex_match(f.filename().string(), name)) << f;
  EXPECT_EQ(files[0].extension(), ".jsonl");
  std::string output = read_file(files[2]);
  EXPECT_NE(output.find(" - CarbonTracker: \nActual consumption for 1 epoch(s):\n\tTime:\t"),
            std::string::npos);
  EXPECT_EQ(output.find("This is equivalent to"), std::string::npos);
  std::string standard = read_file(files[1]);
  std::regex lines(
      "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d - carbontracker version [0-9.]+\n"
      "[^\n]* - Only predicted and actual consumptions are multiplied by a PUE coefficient of "
      "1\\.58 \\(Daniel Bizo, 2023, Uptime Institute Global Data Center Survey\\)\\.\n"
      "(.*\n)*"
      "[^\n]* - Epoch 1:\n[^\n]* - Duration: 0:00:00\\.05\n"
      "[^\n]* - Average power usage \\(W\\) for gpu: 300\\.0\n"
      "[^\n]* - Average power usage \\(W\\) for cpu: 62\\.5\n"
      "(.*\n)*[^\n]* - Monitoring thread ended\\.\n");
  EXPECT_TRUE(std::regex_match(standard, lines)) << standard;
}

TEST(Tracker, StopAndConfirm) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);
  o.monitor_epochs = -1;
  o.stop_and_confirm = true;
  std::vector<std::string> answers = {"maybe", "Y"};
  o.confirm = [&]() -> std::optional<std::string> {
    if (answers.empty()) return std::nullopt;
    std::string a = answers.front();
    answers.erase(answers.begin());
    return a;
  };
  {
    InternalTracker t(o);
    t.epoch_start();
    t.epoch_end();
    EXPECT_TRUE(t.monitoring());
  }
  std::string out = console.str();
  EXPECT_NE(out.find("CarbonTracker: Continue training (y/n)?\n"
                     "CarbonTracker: Input not recognized. Try again (y/n):\n"
                     "CarbonTracker: Continuing...\n"),
            std::string::npos);

  answers = {"n"};
  InternalTracker t2(o);
  t2.epoch_start();
  try {
    t2.epoch_end();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUserQuit);
  }
  EXPECT_FALSE(t2.monitoring());

  answers = {};  // end of input
  InternalTracker t3(o);
  t3.epoch_start();
  EXPECT_THROW(t3.epoch_end(), Error);
  o.ignore_errors = true;
  InternalTracker t4(o);
  t4.epoch_start();
  t4.epoch_end();  // ignored: monitoring stops, training goes on
  EXPECT_FALSE(t4.monitoring());
}

TEST(Tracker, EpochCallsOutOfOrderAreToleratedAndSaid) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);
  o.monitor_epochs = -1;
  InternalTracker t(o);
  t.epoch_end();  // without start: ignored
  t.epoch_start();
  t.epoch_start();  // restarts
  t.epoch_end();
  EXPECT_EQ(t.result().epochs.size(), 1u);
  EXPECT_EQ(t.result().messages.size(), 2u);
}

TEST(Tracker, AStrayEpochEndMakesNoEpochAndNoPrediction) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);  // prediction after the first epoch
  InternalTracker t(o);
  t.epoch_end();
  t.epoch_end();
  EXPECT_TRUE(t.result().epochs.empty());
  EXPECT_FALSE(t.result().prediction);
  EXPECT_EQ(t.result().messages,
            std::vector<std::string>(2,
                                     "epoch_end() was called without epoch_start(); it is "
                                     "ignored."));
  EXPECT_EQ(console.str().find("Predicted consumption"), std::string::npos) << console.str();
  t.epoch_start();
  pass_s(10);
  t.epoch_end();
  ASSERT_EQ(t.result().epochs.size(), 1u);
  EXPECT_EQ(t.result().epochs[0].index, 1);
  ASSERT_TRUE(t.result().prediction);
  EXPECT_GT(t.result().prediction->energy_kwh, 0);
}

TEST(Tracker, UnwritableLogDirIsAClearError) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);
  std::ofstream(dir.path / "file") << "x";
  o.log_dir = (dir.path / "file" / "logs").string();
  try {
    InternalTracker t(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find("writable log_dir"), std::string::npos);
  }
}

TEST(Tracker, JsonRecordIsWrittenWhenMonitoringEnds) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);
  o.json_path = (dir.path / "run.json").string();
  {
    InternalTracker t(o);
    t.epoch_start();
    pass_s(0.05);
    t.epoch_end();
  }
  std::string text = read_file(dir.path / "run.json");
  EXPECT_NE(text.find("\"provenance\": \"simulated\""), std::string::npos);
  EXPECT_NE(text.find("\"actual\": {"), std::string::npos);
}

TEST(Tracker, HundredTrackersLeaveNoThreadsBehind) {
  TempDir dir;
  std::ostringstream console;
  auto threads = [] {
    return std::distance(fs::directory_iterator("/proc/self/task"), fs::directory_iterator{});
  };
  {
    // One tracker first: runtimes (e.g. ThreadSanitizer's) may start a thread
    // of their own at the first pthread_create.
    InternalOptions o = sim_options(dir, console);
    InternalTracker t(o);
    t.stop();
  }
  auto before = threads();
  for (int i = 0; i < 100; ++i) {
    InternalOptions o = sim_options(dir, console);
    InternalTracker t(o);
    t.epoch_start();
    t.stop();
  }
  EXPECT_EQ(threads(), before);
}

TEST(Tracker, DeferredSamplingThreadStartsOnlyWhenItsFirstTickIsDue) {
  TempDir dir;
  std::ostringstream console;
  InternalOptions o = sim_options(dir, console);
  o.defer_sampling_thread = true;
  o.update_interval = 3600;
  {
    InternalTracker t(o);
    EXPECT_EQ(running_library_threads(), 0);
    double due_s = t.start_sampling_if_due();
    EXPECT_GT(due_s, 0);
    EXPECT_LE(due_s, 3600);
    EXPECT_EQ(running_library_threads(), 0);
    // Epoch boundaries read the devices without the thread.
    t.epoch_start();
    pass_s(0.1);
    t.epoch_end();
    t.stop();
    EXPECT_EQ(t.start_sampling_if_due(), -1);
    EXPECT_EQ(running_library_threads(), 0);
    ASSERT_EQ(t.result().epochs.size(), 1u);
    EXPECT_GT(t.result().epochs[0].total_energy_j(), 0);
  }
  o.update_interval = 0.01;
  InternalTracker t(o);
  // Wait for the due time the tracker names, then the thread starts.
  double due_s;
  // (The thread's schedule is on the steady clock, not the tracker's.)
  while ((due_s = t.start_sampling_if_due()) >= 0)
    std::this_thread::sleep_for(std::chrono::duration<double>(due_s));
  EXPECT_EQ(running_library_threads(), 1);
  EXPECT_EQ(t.start_sampling_if_due(), -1);
  t.stop();
  EXPECT_EQ(running_library_threads(), 0);
}

}  // namespace
}  // namespace carbontracker
