// The extension module `carbontracker._carbontracker`: the C++ core as seen
// by the pure-Python package (carbontracker/tracker.py, parser.py,
// __main__.py), which owns argument handling and documentation.
//
// Implementation details:
//  - The GIL is released while the core works (construction, epoch
//    boundaries, stop, results, the CLI). The console stream and the
//    stop_and_confirm callback take it back when they need Python.
//  - Errors from the core become the exception classes of
//    carbontracker/exceptions.py (by ErrorCode). A Python exception raised
//    inside a callback (input() interrupted by Ctrl-C) travels through the
//    core as CallbackError, which is not an std::exception, so the core's
//    error handling lets it pass untouched, and is raised again as itself.
//  - A tracker whose monitoring has ended (actual consumption reported,
//    stop(), or an ignored error) is destroyed at once: its threads are
//    joined and its files closed; its final result is kept for `results`.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <signal.h>

#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "carbontracker/error.h"
#include "carbontracker/parser.h"
#include "carbontracker/tracker.h"
#include "cli/cli.h"
#include "common/counted_thread.h"
#include "console.h"
#include "logs/log_text.h"
#include "output/json.h"
#include "report/render.h"
#include "report/report_model.h"

namespace py = pybind11;

namespace carbontracker::python {

namespace {

// A Python exception raised inside a callback the core called.
struct CallbackError {
  py::error_already_set error;
};

py::object to_python(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return py::none();
    case nlohmann::json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return py::int_(j.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return py::int_(j.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float:
      return py::float_(j.get<double>());
    case nlohmann::json::value_t::string:
      return py::str(j.get_ref<const std::string&>());
    case nlohmann::json::value_t::binary:
      return py::none();
    case nlohmann::json::value_t::array: {
      py::list out;
      for (const auto& v : j) out.append(to_python(v));
      return out;
    }
    case nlohmann::json::value_t::object: {
      py::dict out;
      for (const auto& [k, v] : j.items()) out[py::str(k)] = to_python(v);
      return out;
    }
  }
  return py::none();
}

const char* error_class_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "InvalidArgumentError";
    case ErrorCode::kComponent:
      return "ComponentError";
    case ErrorCode::kIo:
      return "OutputError";
    case ErrorCode::kUserQuit:
      return "UserQuit";
    case ErrorCode::kInput:
      return "InputError";
    case ErrorCode::kInternal:
      return "CarbonTrackerError";
  }
  return "CarbonTrackerError";
}

void raise_error(const Error& e) {
  py::module_ exceptions = py::module_::import("carbontracker.exceptions");
  py::object cls = exceptions.attr(error_class_name(e.code()));
  py::object instance = cls(py::str(e.what()));
  PyErr_SetObject(cls.ptr(), instance.ptr());
}

// Threads the core starts while this is alive block the asynchronous
// signals, so Ctrl-C always reaches the thread that runs Python.
class BlockAsyncSignals {
 public:
  BlockAsyncSignals() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGWINCH})
      sigaddset(&set, s);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~BlockAsyncSignals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  BlockAsyncSignals(const BlockAsyncSignals&) = delete;
  BlockAsyncSignals& operator=(const BlockAsyncSignals&) = delete;

 private:
  sigset_t old_;
};

class PyTracker {
 public:
  PyTracker(TrackerOptions options, bool confirm_through_input) {
    options.console = &console_;
    if (confirm_through_input) options.confirm = [this] { return read_answer(); };
    try {
      py::gil_scoped_release release;
      BlockAsyncSignals block;
      tracker_ = std::make_unique<Tracker>(std::move(options));
      close_locked(false);  // an ignored error: nothing to monitor
    } catch (...) {
      console_.flush_to_python();
      throw;
    }
    console_.flush_to_python();
  }

  ~PyTracker() {
    {
      py::gil_scoped_release release;
      std::lock_guard<std::mutex> lock(mu_);
      tracker_.reset();
    }
    console_.flush_to_python();
  }

  void epoch_start() {
    call([](Tracker& t) { t.epoch_start(); });
  }
  void epoch_end() {
    call([](Tracker& t) { t.epoch_end(); });
  }
  void stop() {
    call([](Tracker& t) { t.stop(); });
  }
  void set_api_keys(const std::map<std::string, std::string>& keys) {
    call([&keys](Tracker& t) { t.set_api_keys(keys); });
  }

  // Stops if still monitoring, then destroys the core tracker (threads
  // joined, files closed). Idempotent.
  void close() {
    call([](Tracker& t) { t.stop(); }, /*force_close=*/true);
  }

  py::object results() {
    nlohmann::json record;
    {
      py::gil_scoped_release release;
      std::lock_guard<std::mutex> lock(mu_);
      record = tracker_ ? run_to_json(tracker_->result()) : final_;
    }
    return to_python(record);
  }

  bool monitoring() {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mu_);
    return tracker_ && tracker_->monitoring();
  }

 private:
  // Runs body on the core tracker without the GIL, then destroys the tracker
  // if monitoring has ended (or force_close), and writes the console text to
  // sys.stdout, whether body returned or threw.
  template <typename F>
  void call(F&& body, bool force_close = false) {
    try {
      py::gil_scoped_release release;
      std::lock_guard<std::mutex> lock(mu_);
      if (tracker_) {
        try {
          body(*tracker_);
        } catch (...) {
          close_locked(force_close);
          throw;
        }
        close_locked(force_close);
      }
    } catch (...) {
      console_.flush_to_python();
      throw;
    }
    console_.flush_to_python();
  }

  // With mu_ held: keeps the final result and destroys the tracker when
  // monitoring has ended or `always`. (A Python exception from the confirm
  // callback leaves it monitoring: then it stays usable.)
  void close_locked(bool always) {
    if (!tracker_ || (!always && tracker_->monitoring())) return;
    final_ = run_to_json(tracker_->result());
    tracker_.reset();
  }

  // stop_and_confirm's answer, read with Python's input() so notebooks and
  // redirected sys.stdin work. EOF is "no answer".
  std::optional<std::string> read_answer() {
    py::gil_scoped_acquire gil;
    console_.flush_to_python();
    try {
      py::object answer = py::module_::import("builtins").attr("input")();
      return answer.cast<std::string>();
    } catch (py::error_already_set& e) {
      if (e.matches(PyExc_EOFError)) return std::nullopt;
      throw CallbackError{std::move(e)};
    } catch (const py::cast_error&) {  // input() replaced by something odd
      return std::string();
    }
  }

  // Declared first: the core writes to it until it is destroyed.
  PythonConsole console_;
  std::mutex mu_;  // guards tracker_ and final_; taken without the GIL
  std::unique_ptr<Tracker> tracker_;
  nlohmann::json final_;
};

TrackerOptions make_options(const py::dict& d) {
  TrackerOptions o;
  auto get = [&d](const char* key) -> py::object {
    if (!d.contains(key)) throw py::key_error(std::string("missing option ") + key);
    return d[key];
  };
  auto opt_double = [&](const char* key) -> std::optional<double> {
    py::object v = get(key);
    if (v.is_none()) return std::nullopt;
    return v.cast<double>();
  };
  auto opt_string = [&](const char* key) -> std::optional<std::string> {
    py::object v = get(key);
    if (v.is_none()) return std::nullopt;
    return v.cast<std::string>();
  };
  o.epochs = get("epochs").cast<int>();
  o.epochs_before_pred = get("epochs_before_pred").cast<int>();
  o.monitor_epochs = get("monitor_epochs").cast<int>();
  o.update_interval = get("update_interval").cast<double>();
  o.interpretable = get("interpretable").cast<bool>();
  o.stop_and_confirm = get("stop_and_confirm").cast<bool>();
  o.ignore_errors = get("ignore_errors").cast<bool>();
  o.components = get("components").cast<std::string>();
  o.devices_by_pid = get("devices_by_pid").cast<bool>();
  o.log_dir = get("log_dir").cast<std::string>();
  o.log_file_prefix = get("log_file_prefix").cast<std::string>();
  o.verbose = get("verbose").cast<int>();
  o.decimal_precision = get("decimal_precision").cast<int>();
  o.api_keys = get("api_keys").cast<std::map<std::string, std::string>>();
  o.sim_cpu = opt_string("sim_cpu");
  o.sim_cpu_tdp = opt_double("sim_cpu_tdp");
  o.sim_cpu_util = opt_double("sim_cpu_util");
  o.sim_gpu = opt_string("sim_gpu");
  o.sim_gpu_watts = opt_double("sim_gpu_watts");
  o.sim_gpu_util = opt_double("sim_gpu_util");
  o.pue = get("pue").cast<double>();
  o.region = get("region").cast<std::string>();
  o.offline = get("offline").cast<bool>();
  o.distributed = get("distributed").cast<std::string>();
  o.json_path = get("json_path").cast<std::string>();
  o.metrics_port = get("metrics_port").cast<int>();
  o.metrics_address = get("metrics_address").cast<std::string>();
  o.metrics_textfile = get("metrics_textfile").cast<std::string>();
  return o;
}

int run_cli_released(const std::vector<std::string>& args) {
  py::module_ sys = py::module_::import("sys");
  for (const char* name : {"stdout", "stderr"}) {
    py::object stream = sys.attr(name);
    if (!stream.is_none()) stream.attr("flush")();
  }
  int status;
  {
    py::gil_scoped_release release;
    status = run_cli(args);
    std::cout.flush();
    std::cerr.flush();
  }
  return status;
}

// Runs a parser call without the GIL and returns (value, warnings).
template <typename F>
py::tuple parse_call(F&& body) {
  nlohmann::json value;
  std::vector<std::string> warnings;
  {
    py::gil_scoped_release release;
    value = body(&warnings);
  }
  py::list w;
  for (const std::string& s : warnings) w.append(py::str(s));
  return py::make_tuple(to_python(value), w);
}

}  // namespace

}  // namespace carbontracker::python

using namespace carbontracker;          // NOLINT(build/namespaces)
using namespace carbontracker::python;  // NOLINT(build/namespaces)

PYBIND11_MODULE(_carbontracker, m) {
  m.doc() = "The C++ core of carbontracker. Use carbontracker.tracker and carbontracker.parser.";
  m.attr("__version__") = version();

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (CallbackError& e) {
      e.error.restore();
    } catch (const Error& e) {
      raise_error(e);
    }
  });

  py::class_<PyTracker>(m, "Tracker")
      .def(py::init([](const py::dict& options, bool confirm_through_input) {
             return std::make_unique<PyTracker>(make_options(options), confirm_through_input);
           }),
           py::arg("options"), py::arg("confirm_through_input") = true)
      .def("epoch_start", &PyTracker::epoch_start)
      .def("epoch_end", &PyTracker::epoch_end)
      .def("stop", &PyTracker::stop)
      .def("set_api_keys", &PyTracker::set_api_keys, py::arg("keys"))
      .def("close", &PyTracker::close)
      .def("results", &PyTracker::results)
      .def_property_readonly("monitoring", &PyTracker::monitoring);

  m.def("run_cli", &run_cli_released, py::arg("args"),
        "Runs the carbontracker command line (args[0] is the program name); returns the exit "
        "status.");
  m.def("_threads_running", &running_library_threads,
        "Threads started by carbontracker in this process and not joined yet.");

  m.def(
      "parse_logs",
      [](const std::string& log_dir, const std::string& std_log, const std::string& out_log) {
        return parse_call([&](std::vector<std::string>* w) {
          return parser::to_json(parser::parse_logs(log_dir, std_log, out_log, w));
        });
      },
      py::arg("log_dir"), py::arg("std_log_file") = "", py::arg("output_log_file") = "");
  m.def(
      "parse_all_logs",
      [](const std::string& log_dir, bool recursive) {
        return parse_call([&](std::vector<std::string>* w) {
          parser::ParseOptions po;
          po.recursive = recursive;
          return parser::to_json(parser::parse_all_logs(log_dir, w, po));
        });
      },
      py::arg("log_dir"), py::arg("recursive") = false);
  m.def(
      "aggregate_consumption",
      [](const std::string& log_dir, bool recursive) {
        return parse_call([&](std::vector<std::string>* w) {
          parser::ParseOptions po;
          po.recursive = recursive;
          parser::Aggregate a = parser::aggregate_consumption(log_dir, w, po);
          nlohmann::json j = parser::to_json(a);
          j["sentence"] = parser::aggregate_sentence(a);
          return j;
        });
      },
      py::arg("log_dir"), py::arg("recursive") = false);

  // Text in, figures out: the Python parser reads the files through open()
  // (so that file-system fakes work) and hands the text to these.
  m.def(
      "read_std_log",
      [](const std::string& text) {
        parser::StdLogText s = parser::parse_std_log_text(text);
        nlohmann::json j = {{"components", parser::to_json(s.components)},
                            {"epoch_durations (s)", s.epoch_durations_s},
                            {"early_stop", s.early_stop},
                            {"epoch_lines", s.epoch_lines},
                            {"recognized", s.recognized},
                            {"problems", s.problems}};
        return to_python(j);
      },
      py::arg("text"),
      "The standard log's components (devices, powers, durations, energies), durations, "
      "early stop and epoch count.");
  m.def(
      "read_output_log",
      [](const std::string& text) {
        parser::OutputLogText o = parser::parse_output_log_text(text);
        nlohmann::json j = {{"actual", o.actual ? parser::to_json(*o.actual) : nlohmann::json()},
                            {"pred", o.pred ? parser::to_json(*o.pred) : nlohmann::json()},
                            {"actual_count_in_text", o.actual_count_in_text},
                            {"components", parser::to_json(o.components)},
                            {"recognized", o.recognized},
                            {"problems", o.problems}};
        return to_python(j);
      },
      py::arg("text"), "The output log's actual and predicted consumption blocks.");
  m.def(
      "read_run",
      [](const py::dict& files) {
        parser::RunTexts run;
        auto take = [&](const char* key, parser::RunFileText* f) {
          if (!files.contains(key)) return;
          py::tuple t = files[key].cast<py::tuple>();  // (path, text or None, problem)
          f->path = t[0].cast<std::string>();
          if (!t[1].is_none()) f->text = t[1].cast<std::string>();
          f->problem = t[2].cast<std::string>();
        };
        take("std", &run.std_log);
        take("output", &run.output_log);
        take("jsonl", &run.jsonl);
        return parse_call([&](std::vector<std::string>* w) {
          auto r = parser::read_run_texts(run, {}, w);
          return r ? parser::to_json(*r) : nlohmann::json();
        });
      },
      py::arg("files"),
      "One run from {'std'|'output'|'jsonl': (path, text or None, problem)}; returns "
      "(parse_all_logs entry or None, warnings).");
  m.def(
      "parse_duration",
      [](const std::string& text) -> py::object {
        auto d = parser::parse_duration_text(text);
        return d ? py::object(py::float_(*d)) : py::object(py::none());
      },
      py::arg("text"), "'H:MM:SS' or 'H:MM:SS.ss' in seconds, or None.");
  m.def(
      "generate_report",
      [](const std::string& path, const std::string& output) {
        std::vector<std::string> warnings;
        {
          py::gil_scoped_release release;
          if (!report::format_for(output))
            throw Error(ErrorCode::kInvalidArgument,
                        "cannot tell the report format from " + output +
                            ": give a file name ending in .pdf, .html, .svg or .png");
          report::Report r = report::build_report(path);
          warnings = r.warnings;
          report::write_report(r, output);
        }
        py::list w;
        for (const std::string& s : warnings) w.append(py::str(s));
        return w;
      },
      py::arg("path"), py::arg("output"),
      "Writes the report of a log file or directory to output (.pdf, .html, .svg, .png); "
      "returns the warnings about skipped files.");
  m.def(
      "aggregate_sentence",
      [](double energy_kwh, double co2eq_g,
         const std::vector<std::pair<std::string, double>>& equivalents) {
        parser::Aggregate a;
        a.energy_kwh = energy_kwh;
        a.co2eq_g = co2eq_g;
        a.equivalents = equivalents;
        return parser::aggregate_sentence(a);
      },
      py::arg("energy_kwh"), py::arg("co2eq_g"), py::arg("equivalents"),
      "The original's sentence for a paper.");
}
