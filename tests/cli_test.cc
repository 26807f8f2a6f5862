// End-to-end tests of the carbontracker binary: exit status, signals, option
// handling, epoch markers, a missing command.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_run.h"

namespace {

using namespace ct_cli_test;

TEST(Cli, ExitStatusIsTheCommandsAndTheReportIsPrinted) {
  TempDir dir;
  CliRun r = run_cli(dir, with_sim({"--json", "run.json", "sh", "-c", "exit 3"}));
  EXPECT_EQ(r.status, 3);
  // Any duration: a slow machine may take more than a second to run `sh`.
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("CarbonTracker: \nActual consumption:\n\tTime:\t\\d+:\\d\\d:\\d\\d\n")))
      << r.out;
  nlohmann::json j = nlohmann::json::parse(slurp(dir.path / "run.json"));
  EXPECT_EQ(j["exit_status"], 3);
  EXPECT_EQ(j["command"], nlohmann::json({"sh", "-c", "exit 3"}));
  // Logs go to ./logs by default.
  EXPECT_TRUE(fs::exists(dir.path / "logs"));
  EXPECT_EQ(run_cli(dir, with_sim({"true"})).status, 0);
}

// The console is written in blocks (one write for the start-up messages, one
// for the report), but in order: everything said before the command started
// comes before its output, the report after it.
TEST(Cli, StartUpTextComesBeforeTheCommandsOutputAndTheReportAfter) {
  TempDir dir;
  CliRun r = run_cli(dir, with_sim({"--log_dir", "", "sh", "-c", "echo COMMAND-OUTPUT"}));
  EXPECT_EQ(r.status, 0);
  size_t components = r.out.find("CarbonTracker: The following components were found:");
  size_t command = r.out.find("COMMAND-OUTPUT\n");
  size_t report = r.out.find("Actual consumption:");
  ASSERT_NE(components, std::string::npos) << r.out;
  ASSERT_NE(command, std::string::npos) << r.out;
  ASSERT_NE(report, std::string::npos) << r.out;
  EXPECT_LT(components, command) << r.out;
  EXPECT_LT(command, report) << r.out;
  EXPECT_EQ(r.out.find("COMMAND-OUTPUT", command + 1), std::string::npos) << r.out;
}

TEST(Cli, KilledCommandGives128PlusSignal) {
  TempDir dir;
  CliRun r = run_cli(dir, with_sim({"--json", "run.json", "sh", "-c", "kill -KILL $$"}));
  EXPECT_EQ(r.status, 128 + SIGKILL);
  EXPECT_NE(r.out.find("Actual consumption:"), std::string::npos);
  nlohmann::json j = nlohmann::json::parse(slurp(dir.path / "run.json"));
  EXPECT_EQ(j["signal"], SIGKILL);
}

TEST(Cli, SigtermIsForwardedAndTheReportStillWritten) {
  TempDir dir;
  // The command says it runs before it becomes `sleep 30`; the wrapper sets
  // up its signal forwarding before it starts the command, so the signal is
  // sent only once it can be forwarded, however slowly the processes start.
  pid_t pid = start_cli(
      dir, with_sim({"--json", "run.json", "sh", "-c", "touch started && exec sleep 30"}));
  wait_for_file(dir.path / "started");
  kill(pid, SIGTERM);
  CliRun r = finish(dir, pid);
  EXPECT_EQ(r.status, 128 + SIGTERM);
  EXPECT_NE(r.out.find("Actual consumption:"), std::string::npos);
  nlohmann::json j = nlohmann::json::parse(slurp(dir.path / "run.json"));
  // The command was ended by the forwarded signal; it did not run its 30 s.
  EXPECT_EQ(j["signal"], SIGTERM);
  // Simulated 200 W + 75 W over the run, from the same instants as the duration.
  double duration_s = j["total"]["duration_s"].get<double>();
  EXPECT_GT(duration_s, 0);
  EXPECT_NEAR(j["total"]["energy_j"].get<double>(), 275.0 * duration_s, 1e-6);
}

// A signal ignored when carbontracker starts (nohup) stays ignored in the
// command, as it would without the wrapper.
TEST(Cli, IgnoredSignalsStayIgnoredInTheCommand) {
  TempDir dir;
  struct sigaction ignore = {}, old = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGHUP, &ignore, &old);
  pid_t pid = start_cli(dir, with_sim({"sh", "-c", "kill -HUP $$; echo alive"}));
  sigaction(SIGHUP, &old, nullptr);
  CliRun r = finish(dir, pid);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("alive\n"), std::string::npos) << r.out;
}

TEST(Cli, OptionsAfterTheCommandBelongToTheCommand) {
  TempDir dir;
  CliRun r = run_cli(dir, with_sim({"--log_dir", "mylogs", "sh", "-c", "echo \"$@\"", "x", "--log",
                                    "L", "--out", "O", "-h", "--json", "j"}));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.substr(r.out.find("--log")).substr(0, 24), "--log L --out O -h --jso");
  EXPECT_FALSE(fs::exists(dir.path / "j"));
  EXPECT_TRUE(fs::exists(dir.path / "mylogs"));
  // After "--", even a word starting with "-" is the command.
  r = run_cli(dir, with_sim({"--", "--version"}));
  EXPECT_EQ(r.status, 127);
  EXPECT_NE(r.err.find("cannot run '--version'"), std::string::npos);
}

TEST(Cli, MissingCommandExits127WithAClearErrorAndAReport) {
  TempDir dir;
  CliRun r = run_cli(dir, with_sim({"--json", "run.json", "no-such-command-xyz", "arg"}));
  EXPECT_EQ(r.status, 127);
  EXPECT_NE(r.err.find("cannot run 'no-such-command-xyz': No such file or directory"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("Actual consumption:"), std::string::npos);
  nlohmann::json j = nlohmann::json::parse(slurp(dir.path / "run.json"));
  EXPECT_EQ(j["command_started"], false);
  // A correctness bound, not a speed one: nothing waits for a command that
  // never started (not the sampler's 10 s interval, not the epoch pipe);
  // normally this takes milliseconds.
  EXPECT_LT(j["total"]["duration_s"].get<double>(), 5.0);
}

TEST(Cli, InvalidUtf8InTheCommandIsWrittenAsReplacementCharacters) {
  TempDir dir;
  CliRun r = run_cli(dir, with_sim({"--json", "j", "--", "printf", "\xff"}));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find('\xff'), std::string::npos);  // the command's own output
  EXPECT_FALSE(fs::exists(dir.path / "j.tmp"));
  nlohmann::json j = nlohmann::json::parse(slurp(dir.path / "j"));
  EXPECT_EQ(j["command"], nlohmann::json({"printf", "\xef\xbf\xbd"}));  // U+FFFD
  // The logs, read back through --parse, say the same.
  CliRun p = run_cli(dir, {"--parse", "logs", "--format", "json"});
  EXPECT_EQ(p.status, 0) << p.err;
  nlohmann::json parsed = nlohmann::json::parse(p.out);
  EXPECT_EQ(parsed["aggregate"]["runs"], 1) << p.out;
}

TEST(Cli, InvalidUtf8InALogIsReplacedThroughParse) {
  TempDir dir;
  fs::create_directories(dir.path / "logs");
  std::ofstream(dir.path / "logs" / "1.1_2026-11-26T213553Z_carbontracker.log")
      << "2026-11-26 21:35:53 - carbontracker version 0.1.0\n"
         "2026-11-26 21:35:53 - The following components were found: CPU with device(s) "
         "cpu\xff:0.\n"
         "2026-11-26 21:35:56 - Epoch 1:\n2026-11-26 21:35:56 - Duration: 0:00:03.00\n"
         "2026-11-26 21:35:56 - Average power usage (W) for cpu: 10.0\n";
  std::ofstream(dir.path / "logs" / "1.1_2026-11-26T213553Z_carbontracker_output.log")
      << "2026-11-26 21:35:56 - CarbonTracker: \nActual consumption for 1 epoch(s):\n"
         "\tTime:\t0:00:03\n\tEnergy:\t1.0 kWh\n\tCO2eq:\t100.0 g\n";
  CliRun p = run_cli(dir, {"--parse", "logs", "--format", "json"});
  EXPECT_EQ(p.status, 0) << p.err;
  nlohmann::json parsed = nlohmann::json::parse(p.out);
  EXPECT_EQ(parsed["logs"][0]["components"]["cpu"]["devices"],
            nlohmann::json({"cpu\xef\xbf\xbd:0"}))
      << p.out;
}

TEST(Cli, UsageErrors) {
  TempDir dir;
  CliRun r = run_cli(dir, {"--bogus", "true"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown option --bogus"), std::string::npos);
  EXPECT_EQ(run_cli(dir, {"--pue"}).status, 2);
  EXPECT_EQ(run_cli(dir, {}).status, 2);
  r = run_cli(dir, {"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("usage: carbontracker"), std::string::npos);
  EXPECT_NE(r.out.find("2 for a usage\nerror (a bad option or value), 70 when the tracker itself "
                       "fails."),
            std::string::npos)
      << r.out;
  r = run_cli(dir, {"--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("carbontracker ", 0), 0u);
}

struct BadArguments {
  std::vector<std::string> args;
  std::string error;  // the whole line on stderr
  bool last = false;  // the option ends the line: no command after it
};

// Every class of usage error exits 2 with one line naming the option, as
// argparse does, before anything runs: no command, no log files.
TEST(Cli, EveryBadArgumentExits2WithOneLineNamingTheOption) {
  const std::vector<BadArguments> cases = {
      // a bad value
      {{"--pue", "-1"}, "argument --pue: expected a number >= 1, got '-1'"},
      {{"--pue", "0.5"}, "argument --pue: expected a number >= 1, got '0.5'"},
      {{"--pue=abc"}, "argument --pue: expected a number >= 1, got 'abc'"},
      {{"--pue", "nan"}, "argument --pue: expected a number >= 1, got 'nan'"},
      {{"--update-interval", "0"},
       "argument --update-interval: expected a number of seconds > 0, got '0'"},
      {{"--update_interval", "inf"},
       "argument --update_interval: expected a number of seconds > 0, got 'inf'"},
      {{"--components", "tpu"},
       "argument --components: Component name tpu is invalid. Components must be 'all', 'cpu', "
       "'gpu' or 'gpu,cpu'."},
      {{"--components", ""},
       "argument --components: Argument components is empty; use 'all', 'cpu', 'gpu' or "
       "'gpu,cpu'."},
      {{"--epochs", "0"}, "argument --epochs: expected an integer > 0, got '0'"},
      {{"--epochs", "1.5"}, "argument --epochs: expected an integer > 0, got '1.5'"},
      {{"--epochs", "99999999999"},
       "argument --epochs: expected an integer > 0, got '99999999999'"},
      {{"--decimal-precision", "31"},
       "argument --decimal-precision: expected an integer from 0 to 30, got '31'"},
      {{"--verbose", "-1"}, "argument --verbose: expected an integer >= 0, got '-1'"},
      {{"--region", "D K"},
       "argument --region: expected a country or zone code such as DK or DK-DK2, got 'D K'"},
      // A malformed value is not repeated: it may hold a key.
      {{"--api_keys", "{\"electricitymaps\": \"SECRET\""},
       "argument --api_keys: expected a JSON object such as '{\"electricitymaps\": \"KEY\"}', "
       "got 28 characters that are not one (not shown: they may hold a key)"},
      {{"--sim-cpu", " ", "--sim-cpu-tdp", "10"}, "argument --sim-cpu: expected a non-empty name"},
      {{"--sim-cpu", "X", "--sim-cpu-tdp", "-5"},
       "argument --sim-cpu-tdp: expected a number of watts >= 0, got '-5'"},
      {{"--sim-gpu", "X", "--sim-gpu-watts", "100", "--sim-gpu-util", "2"},
       "argument --sim-gpu-util: expected a number from 0 to 1, got '2'"},
      {{"--metrics-port", "0"},
       "argument --metrics-port: expected a TCP port from 1 to 65535, got '0'"},
      {{"--metrics_port=70000"},
       "argument --metrics_port: expected a TCP port from 1 to 65535, got '70000'"},
      {{"--metrics-address", "localhost"},
       "argument --metrics-address: expected an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 "
       "or ::1, got 'localhost'"},
      {{"--metrics-textfile="}, "argument --metrics-textfile: expected a file name"},
      {{"--no-progress=1"}, "argument --no-progress: ignored explicit argument '1'"},
      // options that need each other
      {{"--sim-cpu", "X"}, "argument --sim-cpu: needs --sim-cpu-tdp W as well"},
      {{"--sim-gpu-watts", "100"}, "argument --sim-gpu-watts: needs --sim-gpu NAME as well"},
      // a missing value
      {{"--log_dir"}, "argument --log_dir: expected one argument", true},
      {{"--pue", "--offline"},
       "argument --pue: expected one argument (to give a value that starts with '-', write "
       "--pue=VALUE)"},
      {{"--parse"}, "argument --parse: expected one argument", true},
      // a value given to a flag
      {{"--offline=yes"}, "argument --offline: ignored explicit argument 'yes'"},
      // an unknown option
      {{"--tpu"},
       "unknown option --tpu (options of the command go after the command name or after --)"},
  };
  for (const BadArguments& c : cases) {
    TempDir dir;
    std::vector<std::string> args = c.args;
    if (!c.last)
      for (const char* word : {"sh", "-c", "echo ran"}) args.push_back(word);
    CliRun r = run_cli(dir, args);
    std::string shown = c.args.empty() ? "" : c.args[0];
    EXPECT_EQ(r.status, 2) << shown;
    EXPECT_EQ(r.err, "carbontracker: error: " + c.error + "\n") << shown;
    EXPECT_EQ(r.out, "") << shown;
    EXPECT_FALSE(fs::exists(dir.path / "logs")) << shown;
  }
  // Values that start with '-' are taken when they are numbers or given with '='.
  TempDir dir;
  CliRun r = run_cli(dir, with_sim({"--log_dir=-logs", "--pue", "1e0", "true"}));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir.path / "-logs"));
}

TEST(Cli, TrackerFailureExits70) {
  TempDir dir;
  CliRun r = run_cli(dir, {"--components", "gpu", "true"});
  EXPECT_EQ(r.status, 70);
  EXPECT_NE(r.err.find("No GPU(s) available"), std::string::npos);
}

TEST(Cli, EpochMarkersDriveThePredictionAndTheActualReport) {
  TempDir dir;
  // After each epoch_end the command waits until the wrapper has logged that
  // epoch, so each marker is shown to be read as it comes (not at exit),
  // without assuming how long the shell or the wrapper takes. The wait gives
  // up after about a minute and says so in waited_too_long.
  std::string script =
      "for i in 1 2 3; do echo epoch_start >&$CARBONTRACKER_EPOCH_FD; sleep 0.3; "
      "echo epoch_end >&$CARBONTRACKER_EPOCH_FD; n=0; "
      "until grep -qs \"Epoch $i:\" logs/*_carbontracker.log; do "
      "n=$((n+1)); if [ $n -gt 6000 ]; then echo $i > waited_too_long; break; fi; sleep 0.01; "
      "done; done";
  CliRun r = run_cli(dir, with_sim({"--epochs", "3", "--json", "run.json", "sh", "-c", script}));
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(fs::exists(dir.path / "waited_too_long"));
  EXPECT_NE(r.out.find("Predicted consumption for 3 epoch(s):"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Actual consumption for 3 epoch(s):"), std::string::npos);
  EXPECT_EQ(r.out.find("interrupted"), std::string::npos);
  nlohmann::json j = nlohmann::json::parse(slurp(dir.path / "run.json"));
  ASSERT_EQ(j["epochs"].size(), 3u);
  for (const auto& e : j["epochs"]) {
    double d = e["duration_s"].get<double>();
    EXPECT_GT(d, 0);
    EXPECT_NEAR(e["energy_j"].get<double>(), 275.0 * d, 1e-6);
  }
}

TEST(Cli, CommandEndingMidEpochGivesAPartialEpoch) {
  TempDir dir;
  std::string script =
      "echo epoch_start >&$CARBONTRACKER_EPOCH_FD; sleep 0.2; echo epoch_end "
      ">&$CARBONTRACKER_EPOCH_FD; echo epoch_start >&$CARBONTRACKER_EPOCH_FD; sleep 0.2";
  CliRun r = run_cli(dir, with_sim({"--epochs", "5", "--json", "run.json", "sh", "-c", script}));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("Actual consumption for 1 epoch(s):"), std::string::npos) << r.out;
  nlohmann::json j = nlohmann::json::parse(slurp(dir.path / "run.json"));
  ASSERT_EQ(j["epochs"].size(), 2u);
  EXPECT_EQ(j["epochs"][1]["partial"], true);
  EXPECT_EQ(j["interrupted"], true);
}

TEST(Cli, AStrayEpochEndIsIgnoredWithOneWarning) {
  TempDir dir;
  // epoch_end before any epoch_start: no epoch was started by the command.
  std::string script =
      "echo epoch_end >&$CARBONTRACKER_EPOCH_FD; echo epoch_start >&$CARBONTRACKER_EPOCH_FD; "
      "sleep 0.2; echo epoch_end >&$CARBONTRACKER_EPOCH_FD";
  CliRun r = run_cli(dir, with_sim({"--epochs", "2", "--json", "run.json", "sh", "-c", script}));
  EXPECT_EQ(r.status, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(slurp(dir.path / "run.json"));
  ASSERT_EQ(j["epochs"].size(), 1u);
  EXPECT_EQ(j["epochs"][0]["index"], 1);
  EXPECT_GT(j["epochs"][0]["duration_s"].get<double>(), 0);
  // The prediction comes from the one real epoch, not from a 0-second one.
  ASSERT_TRUE(j["prediction"].is_object()) << j.dump();
  EXPECT_GT(j["prediction"]["energy_kwh"].get<double>(), 0);
  EXPECT_EQ(j["messages"],
            nlohmann::json({"epoch_end() was called without epoch_start(); it is ignored."}));
  EXPECT_EQ(r.err.find("wrote no epoch markers"), std::string::npos) << r.err;
}

TEST(Cli, NoMarkersMeansOneEpochForTheWholeRun) {
  TempDir dir;
  CliRun r = run_cli(dir, with_sim({"--epochs", "4", "--json", "run.json", "sleep", "0.3"}));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.err.find("wrote no epoch markers"), std::string::npos);
  nlohmann::json j = nlohmann::json::parse(slurp(dir.path / "run.json"));
  ASSERT_EQ(j["epochs"].size(), 1u);
  EXPECT_GE(j["epochs"][0]["duration_s"].get<double>(), 0.3);
}

}  // namespace
