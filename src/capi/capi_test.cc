// The C interface, tested through libcarbontracker.so itself.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "capi_test_util.h"
#include "carbontracker/carbontracker.h"
#include "carbontracker/tracker.h"
#include "fakes/fake_powercap_tree.h"

namespace {

using carbontracker::testing::TempDir;
using nlohmann::json;
using ::testing::HasSubstr;

using carbontracker::capi_test::last_message;
using carbontracker::capi_test::parse;
using carbontracker::capi_test::take;

const char* kSimOptions =
    R"({"epochs": 3, "monitor_epochs": 3, "components": "cpu", "sim_cpu": "Test CPU",
        "sim_cpu_tdp": 100.0, "offline": true, "update_interval": 0.05, "console": "buffer"})";

std::string drain(ct_tracker* t) {
  char* text = nullptr;
  size_t len = 0;
  EXPECT_EQ(ct_tracker_take_output(t, &text, &len), CT_OK);
  std::string out(text ? text : "", len);
  ct_free(text);
  return out;
}

bool ok(int rc) { return rc == CT_OK || rc == CT_OUTPUT; }

TEST(CApi, VersionIsTheCoreVersion) { EXPECT_STREQ(ct_version(), carbontracker::version()); }

TEST(CApi, SuccessClearsTheLastError) {
  ct_tracker* t = nullptr;
  EXPECT_EQ(ct_tracker_create("[]", nullptr, nullptr, &t), CT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(ct_last_error_code(), CT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(last_message(), "ct_tracker_create: options_json must be a JSON object");
  int n = -1;
  EXPECT_EQ(ct_running_library_threads(&n), CT_OK);
  EXPECT_EQ(ct_last_error_code(), CT_OK);
  EXPECT_EQ(last_message(), "");
  ct_free(nullptr);
  ct_tracker_free(nullptr);
}

TEST(CApi, NullArgumentsAreInvalidArguments) {
  struct Case {
    int rc;
    const char* message;
  };
  char* s = nullptr;
  size_t len = 0;
  int i = 0;
  double d = 0;
  ct_tracker* t = nullptr;
  const char* argv[] = {"carbontracker", nullptr};
  std::vector<Case> cases = {
      {ct_tracker_create(nullptr, nullptr, nullptr, &t), "ct_tracker_create: options_json is NULL"},
      {ct_tracker_create("{}", nullptr, nullptr, nullptr), "ct_tracker_create: tracker is NULL"},
      {ct_tracker_epoch_start(nullptr), "ct_tracker_epoch_start: tracker is NULL"},
      {ct_tracker_epoch_end(nullptr), "ct_tracker_epoch_end: tracker is NULL"},
      {ct_tracker_stop(nullptr), "ct_tracker_stop: tracker is NULL"},
      {ct_tracker_close(nullptr), "ct_tracker_close: tracker is NULL"},
      {ct_tracker_set_api_keys(nullptr, "{}"), "ct_tracker_set_api_keys: tracker is NULL"},
      {ct_tracker_monitoring(nullptr, &i), "ct_tracker_monitoring: tracker is NULL"},
      {ct_tracker_results(nullptr, &s), "ct_tracker_results: tracker is NULL"},
      {ct_tracker_take_output(nullptr, &s, &len), "ct_tracker_take_output: tracker is NULL"},
      {ct_parse_logs("x", "", "", nullptr), "ct_parse_logs: json is NULL"},
      {ct_parse_all_logs("x", 0, nullptr), "ct_parse_all_logs: json is NULL"},
      {ct_aggregate_consumption("x", 0, nullptr), "ct_aggregate_consumption: json is NULL"},
      {ct_read_std_log(nullptr, 3, &s), "ct_read_std_log: text is NULL"},
      {ct_read_output_log("x", 1, nullptr), "ct_read_output_log: json is NULL"},
      {ct_read_run(nullptr, &s), "ct_read_run: files_json is NULL"},
      {ct_parse_duration(nullptr, &d, &i), "ct_parse_duration: text is NULL"},
      {ct_parse_duration("1:00:00", nullptr, &i), "ct_parse_duration: seconds is NULL"},
      {ct_aggregate_sentence(1, 2, nullptr, nullptr), "ct_aggregate_sentence: sentence is NULL"},
      {ct_generate_report(nullptr, "x.html", &s), "ct_generate_report: path is NULL"},
      {ct_run_cli(1, nullptr, &i), "ct_run_cli: argv is NULL"},
      {ct_run_cli(2, argv, &i), "ct_run_cli: argv[1] is NULL"},
      {ct_run_cli(0, argv, &i),
       "ct_run_cli: argc must be at least 1 (argv[0] is the program name)"},
      {ct_running_library_threads(nullptr), "ct_running_library_threads: count is NULL"},
  };
  // The message is the last call's: check each call on its own.
  for (size_t k = 0; k < cases.size(); ++k) EXPECT_EQ(cases[k].rc, CT_ERROR_INVALID_ARGUMENT) << k;
  EXPECT_EQ(ct_tracker_epoch_end(nullptr), CT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(ct_last_error_code(), CT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(last_message(), "ct_tracker_epoch_end: tracker is NULL");
  EXPECT_EQ(ct_parse_duration("1:00:00", nullptr, &i), CT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(last_message(), "ct_parse_duration: seconds is NULL");
  EXPECT_EQ(ct_run_cli(0, argv, &i), CT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(last_message(), cases[22].message);
  EXPECT_EQ(t, nullptr);
}

TEST(CApi, InvalidOptionsSayWhatIsWrong) {
  struct Case {
    const char* options;
    int rc;
    const char* message;
  };
  const Case cases[] = {
      {"{\"epochs\": 3", CT_ERROR_INVALID_ARGUMENT,
       "ct_tracker_create: options_json is not valid JSON"},
      {"[1]", CT_ERROR_INVALID_ARGUMENT, "ct_tracker_create: options_json must be a JSON object"},
      {R"({"epochs": 3, "epoch": 2})", CT_ERROR_INVALID_ARGUMENT,
       "ct_tracker_create: unknown option \"epoch\" (doc/c-api.md lists the options)"},
      {R"({"epochs": "3"})", CT_ERROR_INVALID_ARGUMENT,
       "ct_tracker_create: option \"epochs\" expects an integer, got \"3\""},
      {R"({"epochs": 2.5})", CT_ERROR_INVALID_ARGUMENT,
       "ct_tracker_create: option \"epochs\" expects an integer, got 2.5"},
      {R"({"epochs": 3000000000})", CT_ERROR_INVALID_ARGUMENT,
       "ct_tracker_create: option \"epochs\" expects a 32-bit integer, got 3000000000"},
      {R"({"epochs": 3, "offline": 1})", CT_ERROR_INVALID_ARGUMENT,
       "ct_tracker_create: option \"offline\" expects true or false, got 1"},
      {R"({"epochs": 3, "pue": "x"})", CT_ERROR_INVALID_ARGUMENT,
       "ct_tracker_create: option \"pue\" expects a number, got \"x\""},
      {R"({"epochs": 3, "api_keys": {"a": 1}})", CT_ERROR_INVALID_ARGUMENT,
       "ct_tracker_create: option \"api_keys\": the value of \"a\" is not a string"},
      {R"({"epochs": 3, "console": "file"})", CT_ERROR_INVALID_ARGUMENT,
       "ct_tracker_create: option \"console\" expects \"stdout\" or \"buffer\", got \"file\""},
      // The core's own validation, with the original's message.
      {R"({"epochs": 0, "offline": true})", CT_ERROR_INVALID_ARGUMENT, "epochs"},
      {R"({"epochs": 3, "update_interval": "NaN", "offline": true})", CT_ERROR_INVALID_ARGUMENT,
       "update_interval"},
      {R"({"epochs": 3, "components": "gpu", "offline": true, "console": "buffer"})", -1, ""},
  };
  for (const Case& c : cases) {
    ct_tracker* t = reinterpret_cast<ct_tracker*>(&t);
    int rc = ct_tracker_create(c.options, nullptr, nullptr, &t);
    if (c.rc == -1) {  // no GPU here (or a GPU: then it is created)
      if (rc != CT_OK && rc != CT_OUTPUT) {
        EXPECT_EQ(rc, CT_ERROR_COMPONENT) << c.options;
        EXPECT_THAT(last_message(), HasSubstr("GPU")) << c.options;
      }
      ct_tracker_free(t);
      continue;
    }
    EXPECT_EQ(rc, c.rc) << c.options;
    EXPECT_EQ(ct_last_error_code(), c.rc) << c.options;
    EXPECT_THAT(last_message(), HasSubstr(c.message)) << c.options;
    EXPECT_EQ(t, nullptr) << c.options;
  }
}

TEST(CApi, SimulatedCpuRunOfThreeEpochs) {
  TempDir dir;
  json options = json::parse(kSimOptions);
  options["log_dir"] = dir.path();
  options["json_path"] = dir / "run.json";
  ct_tracker* t = nullptr;
  int rc = ct_tracker_create(options.dump().c_str(), nullptr, nullptr, &t);
  ASSERT_TRUE(ok(rc)) << last_message();
  ASSERT_NE(t, nullptr);
  int threads = -1;
  ASSERT_EQ(ct_running_library_threads(&threads), CT_OK);
  EXPECT_EQ(threads, 1);  // the sampling thread
  std::string console = drain(t);
  for (int e = 0; e < 3; ++e) {
    ASSERT_TRUE(ok(ct_tracker_epoch_start(t))) << last_message();
    ASSERT_TRUE(ok(ct_tracker_epoch_end(t))) << last_message();
  }
  // The third epoch ended monitoring: the threads are joined already.
  ASSERT_EQ(ct_running_library_threads(&threads), CT_OK);
  EXPECT_EQ(threads, 0);
  int monitoring = -1;
  EXPECT_TRUE(ok(ct_tracker_monitoring(t, &monitoring)));
  EXPECT_EQ(monitoring, 0);
  console += drain(t);
  EXPECT_THAT(
      console,
      HasSubstr(
          "CarbonTracker: The following components were found: CPU with device(s) Test CPU."));
  EXPECT_THAT(console, HasSubstr("Predicted consumption for 3 epoch(s):"));
  EXPECT_THAT(console, HasSubstr("Actual consumption for 3 epoch(s):"));
  EXPECT_EQ(drain(t), "");

  char* text = nullptr;
  ASSERT_EQ(ct_tracker_results(t, &text), CT_OK);
  json r = parse(text);
  ct_free(text);
  ASSERT_EQ(r["epochs"].size(), 3u);
  double total_j = 0;
  for (int e = 0; e < 3; ++e) {
    const json& ep = r["epochs"][e];
    EXPECT_EQ(ep["index"], e + 1);
    EXPECT_FALSE(ep["partial"].get<bool>());
    // 100 W x 0.5 over the epoch.
    EXPECT_NEAR(ep["energy_j"].get<double>(), 50.0 * ep["duration_s"].get<double>(),
                1e-9 + 1e-6 * ep["energy_j"].get<double>());
    total_j += ep["energy_j"].get<double>();
  }
  EXPECT_NEAR(r["total"]["energy_j"].get<double>(), total_j, 1e-9 + 1e-9 * total_j);
  EXPECT_EQ(r["actual"]["epochs"], 3);
  EXPECT_TRUE(r["finished"].get<bool>());
  EXPECT_EQ(r["devices"][0]["name"], "Test CPU");
  // The record written at the end is the same.
  EXPECT_TRUE(std::filesystem::exists(dir / "run.json"));

  // Monitoring has ended: the calls do nothing, stop and close too.
  EXPECT_EQ(ct_tracker_epoch_start(t), CT_OK);
  EXPECT_EQ(ct_tracker_stop(t), CT_OK);
  EXPECT_EQ(ct_tracker_close(t), CT_OK);
  ASSERT_EQ(ct_tracker_results(t, &text), CT_OK);
  EXPECT_EQ(parse(text)["epochs"].size(), 3u);
  ct_free(text);
  ct_tracker_free(t);
}

TEST(CApi, StopReportsAPartialEpochAndCloseJoinsEverything) {
  ct_tracker* t = nullptr;
  ASSERT_TRUE(ok(ct_tracker_create(kSimOptions, nullptr, nullptr, &t))) << last_message();
  ASSERT_TRUE(ok(ct_tracker_epoch_start(t)));
  ASSERT_TRUE(ok(ct_tracker_epoch_end(t)));
  ASSERT_TRUE(ok(ct_tracker_epoch_start(t)));
  EXPECT_TRUE(ok(ct_tracker_set_api_keys(t, R"({"electricitymaps": "KEY"})")));
  EXPECT_EQ(ct_tracker_set_api_keys(t, "[]"), CT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(last_message(),
            "ct_tracker_set_api_keys: keys_json: expected a JSON object of strings");
  EXPECT_TRUE(ok(ct_tracker_close(t)));
  int threads = -1;
  ASSERT_EQ(ct_running_library_threads(&threads), CT_OK);
  EXPECT_EQ(threads, 0);
  EXPECT_THAT(drain(t), HasSubstr("Actual consumption for 1 epoch(s):"));
  char* text = nullptr;
  ASSERT_EQ(ct_tracker_results(t, &text), CT_OK);
  json r = parse(text);
  ct_free(text);
  ASSERT_EQ(r["epochs"].size(), 2u);
  EXPECT_TRUE(r["epochs"][1]["partial"].get<bool>());
  EXPECT_TRUE(r["interrupted"].get<bool>());
  ct_tracker_free(t);
}

TEST(CApi, FreeWhileMonitoringJoinsTheThreads) {
  ct_tracker* t = nullptr;
  ASSERT_TRUE(ok(ct_tracker_create(kSimOptions, nullptr, nullptr, &t)));
  ASSERT_TRUE(ok(ct_tracker_epoch_start(t)));
  ct_tracker_free(t);
  int threads = -1;
  ASSERT_EQ(ct_running_library_threads(&threads), CT_OK);
  EXPECT_EQ(threads, 0);
}

TEST(CApi, StdoutConsoleIsTheDefault) {
  json options = json::parse(kSimOptions);
  options.erase("console");
  ct_tracker* t = nullptr;
  ::testing::internal::CaptureStdout();
  int rc = ct_tracker_create(options.dump().c_str(), nullptr, nullptr, &t);
  int stop = ct_tracker_stop(t);
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, CT_OK) << last_message();
  EXPECT_EQ(stop, CT_OK);
  EXPECT_THAT(out, HasSubstr("CarbonTracker: The following components were found: CPU"));
  EXPECT_THAT(out, HasSubstr("Actual consumption for 0 epoch(s):"));
  EXPECT_EQ(drain(t), "");
  ct_tracker_free(t);
}

// The confirm callback's script: answers in turn; "EOF" is no answer,
// "ABORT" aborts, "REENTER" calls the tracker from inside.
struct Script {
  explicit Script(std::vector<std::string> a) : answers(std::move(a)) {}
  std::vector<std::string> answers;
  size_t next = 0;
  ct_tracker* tracker = nullptr;
  std::string seen;  // console text taken from inside the callback
  int reentry = -1;
  std::string reentry_message;
};

int scripted(void* user, char* answer, size_t size) {
  auto* s = static_cast<Script*>(user);
  s->seen += drain(s->tracker);
  std::string a = s->answers.at(s->next++);
  if (a == "EOF") return CT_CONFIRM_NO_ANSWER;
  if (a == "ABORT") return CT_CONFIRM_ABORT;
  if (a == "REENTER") {
    s->reentry = ct_tracker_epoch_start(s->tracker);
    s->reentry_message = last_message();
    a = "y";
  }
  std::snprintf(answer, size, "%s", a.c_str());
  return CT_CONFIRM_ANSWER;
}

// A tracker that asks after its first epoch; returns the status of that
// first epoch_end.
int confirm_run(Script& s, const char* extra = "") {
  json options = json::parse(kSimOptions);
  options["stop_and_confirm"] = true;
  if (*extra) options.update(json::parse(extra));
  EXPECT_TRUE(ok(ct_tracker_create(options.dump().c_str(), scripted, &s, &s.tracker)));
  EXPECT_TRUE(ok(ct_tracker_epoch_start(s.tracker)));
  return ct_tracker_epoch_end(s.tracker);
}

TEST(CApi, ConfirmAnswersThroughTheCallback) {
  Script s{{"maybe", "REENTER"}};
  EXPECT_TRUE(ok(confirm_run(s))) << last_message();
  EXPECT_EQ(s.next, 2u);
  // The prompt was taken before the callback was asked.
  EXPECT_THAT(s.seen, HasSubstr("Predicted consumption for 3 epoch(s):"));
  EXPECT_THAT(s.seen, HasSubstr("CarbonTracker: Continue training (y/n)?\n"));
  EXPECT_THAT(s.seen, HasSubstr("Input not recognized. Try again (y/n):"));
  EXPECT_EQ(s.reentry, CT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(s.reentry_message,
            "ct_tracker_epoch_start: called from inside the tracker's own confirm callback");
  EXPECT_THAT(drain(s.tracker), HasSubstr("CarbonTracker: Continuing..."));
  int monitoring = 0;
  EXPECT_TRUE(ok(ct_tracker_monitoring(s.tracker, &monitoring)));
  EXPECT_EQ(monitoring, 1);
  ct_tracker_free(s.tracker);
}

TEST(CApi, ConfirmNoIsUserQuit) {
  Script s{{"n"}};
  EXPECT_EQ(confirm_run(s), CT_ERROR_USER_QUIT);
  EXPECT_EQ(last_message(), "Session ended by user.");
  int monitoring = 1;
  EXPECT_TRUE(ok(ct_tracker_monitoring(s.tracker, &monitoring)));
  EXPECT_EQ(monitoring, 0);
  EXPECT_THAT(drain(s.tracker), HasSubstr("CarbonTracker: Quitting..."));
  ct_tracker_free(s.tracker);
}

TEST(CApi, ConfirmWithoutAnswerIsAnInputError) {
  Script s{{"EOF"}};
  EXPECT_EQ(confirm_run(s), CT_ERROR_INPUT);
  EXPECT_THAT(last_message(), HasSubstr("no answer could be read"));
  ct_tracker_free(s.tracker);

  Script ignored{{"EOF"}};
  EXPECT_TRUE(ok(confirm_run(ignored, R"({"ignore_errors": true})")));
  int monitoring = 1;
  EXPECT_TRUE(ok(ct_tracker_monitoring(ignored.tracker, &monitoring)));
  EXPECT_EQ(monitoring, 0);
  EXPECT_THAT(drain(ignored.tracker), HasSubstr("Continued training without monitoring..."));
  ct_tracker_free(ignored.tracker);
}

TEST(CApi, AbortingCallbackLeavesTheTrackerMonitoring) {
  for (const char* extra : {"", R"({"ignore_errors": true})"}) {
    Script s{{"ABORT"}};
    EXPECT_EQ(confirm_run(s, extra), CT_ERROR_CALLBACK_ABORTED) << extra;
    EXPECT_EQ(last_message(), "the confirm callback aborted the call");
    int monitoring = 0;
    EXPECT_TRUE(ok(ct_tracker_monitoring(s.tracker, &monitoring)));
    EXPECT_EQ(monitoring, 1) << extra;
    // In "buffer" mode CT_OUTPUT says the stop's report waits.
    EXPECT_EQ(ct_tracker_stop(s.tracker), CT_OUTPUT);
    EXPECT_THAT(drain(s.tracker), HasSubstr("Actual consumption for 1 epoch(s):"));
    char* text = nullptr;
    ASSERT_EQ(ct_tracker_results(s.tracker, &text), CT_OK);
    EXPECT_EQ(parse(text)["actual"]["epochs"], 1);
    ct_free(text);
    ct_tracker_free(s.tracker);
  }
}

}  // namespace
