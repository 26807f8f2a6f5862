// The C interface (include/carbontracker/carbontracker.h) over the C++ core.
//
// Implementation details:
//  - Every entry point runs its body through guarded(), which turns every
//    exception into a status code and the calling thread's last error; no
//    exception leaves this file.
//  - A tracker whose monitoring has ended (actual consumption reported,
//    stop, an ignored error, "n" at the prompt) is destroyed at once: its
//    threads are joined and its files closed; its final result is kept for
//    ct_tracker_results.
//  - The confirm callback's CT_CONFIRM_ABORT travels through the core as
//    CallbackAborted, which is not an std::exception, so the core's error
//    handling (ignore_errors included) lets it pass: the tracker stays as it
//    was, still monitoring.
//  - JSON going out is dumped with invalid UTF-8 replaced; only a record
//    holding a number that is not finite takes the slower writer below.
#include <signal.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <streambuf>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "carbontracker/error.h"
#include "carbontracker/parser.h"
#include "carbontracker/tracker.h"
#include "cli/cli.h"
#include "common/counted_thread.h"
#include "logs/log_text.h"
#include "logs/log_uncertainty.h"
#include "model/uncertainty_sum.h"
#include "output/json.h"
#include "report/render.h"
#include "report/report_model.h"
#include "tracker/tracker_internal.h"

// The ct_* declarations, and so their definitions, are the only symbols with
// default visibility (the target builds with -fvisibility=hidden).
#pragma GCC visibility push(default)
#include "carbontracker/carbontracker.h"
#pragma GCC visibility pop

using nlohmann::json;

namespace carbontracker::capi {
namespace {

thread_local int t_code = CT_OK;
thread_local std::string t_message;

// The confirm callback returned CT_CONFIRM_ABORT.
struct CallbackAborted {};

int status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return CT_ERROR_INVALID_ARGUMENT;
    case ErrorCode::kComponent:
      return CT_ERROR_COMPONENT;
    case ErrorCode::kIo:
      return CT_ERROR_IO;
    case ErrorCode::kUserQuit:
      return CT_ERROR_USER_QUIT;
    case ErrorCode::kInput:
      return CT_ERROR_INPUT;
    case ErrorCode::kInternal:
      return CT_ERROR_INTERNAL;
  }
  return CT_ERROR_INTERNAL;
}

// Appends `text` to `out` with every ill-formed UTF-8 sequence replaced by
// U+FFFD (one per maximal ill-formed subpart, as Unicode recommends).
void append_utf8(std::string& out, std::string_view text) {
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
    if (len == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    size_t k = 1;
    while (k < len && i + k < n) {
      unsigned char b = s[i + k];
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) break;
      ++k;
    }
    if (k == len) {
      out.append(text.substr(i, len));
    } else {
      out += kReplacement;
    }
    i += k;
  }
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_utf8(out, text);
  return out;
}

int fail(int code, std::string_view message) noexcept {
  t_code = code;
  try {
    t_message = valid_utf8(message);
  } catch (...) {
    t_message.clear();
  }
  return code;
}

// Runs body (returning a status) with every exception turned into a status
// and the thread's last error.
template <typename F>
int guarded(F&& body) noexcept {
  t_code = CT_OK;
  t_message.clear();
  try {
    return body();
  } catch (const CallbackAborted&) {
    return fail(CT_ERROR_CALLBACK_ABORTED, "the confirm callback aborted the call");
  } catch (const Error& e) {
    return fail(status_of(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return fail(CT_ERROR_NO_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(CT_ERROR_INTERNAL, e.what());
  } catch (...) {
    return fail(CT_ERROR_INTERNAL, "unknown error");
  }
}

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorCode::kInvalidArgument, message);
}

void require(const void* p, const char* function, const char* argument) {
  if (!p) invalid(std::string(function) + ": " + argument + " is NULL");
}

char* copy_out(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

bool has_non_finite(const json& j) {
  switch (j.type()) {
    case json::value_t::number_float:
      return !std::isfinite(j.get<double>());
    case json::value_t::array:
    case json::value_t::object:
      for (const json& v : j)
        if (has_non_finite(v)) return true;
      return false;
    default:
      return false;
  }
}

std::string dump_replacing(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void write_extended(const json& j, std::string& out) {
  switch (j.type()) {
    case json::value_t::number_float: {
      double d = j.get<double>();
      if (std::isnan(d))
        out += "NaN";
      else if (std::isinf(d))
        out += d > 0 ? "Infinity" : "-Infinity";
      else
        out += j.dump(-1, ' ', false, json::error_handler_t::replace);
      return;
    }
    case json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const json& v : j) {
        if (!first) out.push_back(',');
        first = false;
        write_extended(v, out);
      }
      out.push_back(']');
      return;
    }
    case json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, v] : j.items()) {
        if (!first) out.push_back(',');
        first = false;
        out += dump_replacing(json(k));
        out.push_back(':');
        write_extended(v, out);
      }
      out.push_back('}');
      return;
    }
    default:
      out += dump_replacing(j);
  }
}

// JSON text of j; a number that is not finite is written NaN, Infinity or
// -Infinity (as Python's json does), which plain JSON cannot say.
std::string to_text(const json& j) {
  if (!has_non_finite(j)) return dump_replacing(j);
  std::string out;
  write_extended(j, out);
  return out;
}

int give_json(const json& j, char** out) {
  *out = copy_out(to_text(j));
  return CT_OK;
}

json parse_json_arg(const char* text, const char* function, const char* argument) {
  require(text, function, argument);
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    invalid(std::string(function) + ": " + argument + " is not valid JSON (" + e.what() + ")");
  }
}

std::map<std::string, std::string> string_map(const json& j, const std::string& what) {
  if (!j.is_object()) invalid(what + ": expected a JSON object of strings");
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) invalid(what + ": the value of \"" + k + "\" is not a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

// ---- Options -------------------------------------------------------------

std::string describe(const json& v) {
  return valid_utf8(v.dump(-1, ' ', false, json::error_handler_t::replace));
}

[[noreturn]] void bad_option(const std::string& key, const char* expected, const json& v) {
  invalid("ct_tracker_create: option \"" + key + "\" expects " + expected + ", got " + describe(v));
}

int int_option(const std::string& key, const json& v) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned()) {
      auto u = v.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
        return static_cast<int>(u);
    } else {
      auto i = v.get<std::int64_t>();
      if (i >= std::numeric_limits<int>::min() && i <= std::numeric_limits<int>::max())
        return static_cast<int>(i);
    }
    bad_option(key, "a 32-bit integer", v);
  }
  bad_option(key, "an integer", v);
}

// A JSON number, or "NaN", "Infinity" or "-Infinity" (which JSON cannot say).
template <typename Json>
std::optional<double> number_of(const Json& v) {
  if (v.is_number()) return v.template get<double>();
  if (v.is_string()) {
    const std::string& s = v.template get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  return std::nullopt;
}

double double_option(const std::string& key, const json& v) {
  if (std::optional<double> d = number_of(v)) return *d;
  bad_option(key, "a number", v);
}

bool bool_option(const std::string& key, const json& v) {
  if (!v.is_boolean()) bad_option(key, "true or false", v);
  return v.get<bool>();
}

std::string string_option(const std::string& key, const json& v) {
  if (!v.is_string()) bad_option(key, "a string", v);
  return v.get<std::string>();
}

enum class ConsoleMode { kStdout, kBuffer };

TrackerOptions parse_options(const char* text, ConsoleMode* console) {
  json j = parse_json_arg(text, "ct_tracker_create", "options_json");
  if (!j.is_object()) invalid("ct_tracker_create: options_json must be a JSON object");
  TrackerOptions o;
  *console = ConsoleMode::kStdout;
  for (const auto& [key, v] : j.items()) {
    auto opt_string = [&](std::optional<std::string>* out) {
      if (v.is_null())
        out->reset();
      else
        *out = string_option(key, v);
    };
    auto opt_double = [&](std::optional<double>* out) {
      if (v.is_null())
        out->reset();
      else
        *out = double_option(key, v);
    };
    if (key == "epochs")
      o.epochs = int_option(key, v);
    else if (key == "epochs_before_pred")
      o.epochs_before_pred = int_option(key, v);
    else if (key == "monitor_epochs")
      o.monitor_epochs = int_option(key, v);
    else if (key == "update_interval")
      o.update_interval = double_option(key, v);
    else if (key == "interpretable")
      o.interpretable = bool_option(key, v);
    else if (key == "stop_and_confirm")
      o.stop_and_confirm = bool_option(key, v);
    else if (key == "ignore_errors")
      o.ignore_errors = bool_option(key, v);
    else if (key == "components")
      o.components = string_option(key, v);
    else if (key == "devices_by_pid")
      o.devices_by_pid = bool_option(key, v);
    else if (key == "log_dir")
      o.log_dir = string_option(key, v);
    else if (key == "log_file_prefix")
      o.log_file_prefix = string_option(key, v);
    else if (key == "verbose")
      o.verbose = int_option(key, v);
    else if (key == "decimal_precision")
      o.decimal_precision = int_option(key, v);
    else if (key == "api_keys")
      o.api_keys = string_map(v, "ct_tracker_create: option \"api_keys\"");
    else if (key == "sim_cpu")
      opt_string(&o.sim_cpu);
    else if (key == "sim_cpu_tdp")
      opt_double(&o.sim_cpu_tdp);
    else if (key == "sim_cpu_util")
      opt_double(&o.sim_cpu_util);
    else if (key == "sim_gpu")
      opt_string(&o.sim_gpu);
    else if (key == "sim_gpu_watts")
      opt_double(&o.sim_gpu_watts);
    else if (key == "sim_gpu_util")
      opt_double(&o.sim_gpu_util);
    else if (key == "pue")
      o.pue = double_option(key, v);
    else if (key == "region")
      o.region = string_option(key, v);
    else if (key == "offline")
      o.offline = bool_option(key, v);
    else if (key == "distributed")
      o.distributed = string_option(key, v);
    else if (key == "json_path")
      o.json_path = string_option(key, v);
    else if (key == "metrics_port")
      o.metrics_port = int_option(key, v);
    else if (key == "metrics_address")
      o.metrics_address = string_option(key, v);
    else if (key == "metrics_textfile")
      o.metrics_textfile = string_option(key, v);
    else if (key == "progress")
      o.progress = bool_option(key, v);
    else if (key == "console") {
      std::string mode = string_option(key, v);
      if (mode == "stdout")
        *console = ConsoleMode::kStdout;
      else if (mode == "buffer")
        *console = ConsoleMode::kBuffer;
      else
        bad_option(key, "\"stdout\" or \"buffer\"", v);
    } else {
      invalid("ct_tracker_create: unknown option \"" + valid_utf8(key) +
              "\" (doc/c-api.md lists the options)");
    }
  }
  return o;
}

// Threads the core starts while this is alive block the asynchronous
// signals, so that they reach the caller's threads (Ctrl-C, Python's
// KeyboardInterrupt).
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

// The "buffer" console: text from any thread is kept until taken.
class BufferConsoleBuf : public std::streambuf {
 public:
  std::string take() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    out.swap(pending_);
    has_text_.store(false, std::memory_order_relaxed);
    return out;
  }
  bool has_text() const { return has_text_.load(std::memory_order_relaxed); }

 protected:
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    std::lock_guard<std::mutex> lock(mu_);
    pending_.push_back(traits_type::to_char_type(ch));
    has_text_.store(true, std::memory_order_relaxed);
    return ch;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.append(s, static_cast<size_t>(n));
    if (n > 0) has_text_.store(true, std::memory_order_relaxed);
    return n;
  }

 private:
  std::mutex mu_;
  std::string pending_;
  std::atomic<bool> has_text_{false};
};

class BufferConsole : public std::ostream {
 public:
  BufferConsole() : std::ostream(&buf_) {}
  BufferConsoleBuf& buffer() { return buf_; }

 private:
  BufferConsoleBuf buf_;
};

}  // namespace
}  // namespace carbontracker::capi

using namespace carbontracker;        // NOLINT(build/namespaces)
using namespace carbontracker::capi;  // NOLINT(build/namespaces)

struct ct_tracker {
  // Declared first: the core writes to it until it is destroyed.
  BufferConsole console;
  bool buffered = false;
  ct_confirm_fn confirm = nullptr;
  void* user = nullptr;
  std::mutex mu;  // guards core and final
  // The thread inside a call on this tracker, to refuse a call from its own
  // confirm callback (which would wait for itself).
  std::atomic<std::thread::id> owner{};
  std::unique_ptr<InternalTracker> core;
  json final;

  // With mu held: keeps the final result and destroys the core tracker when
  // monitoring has ended, or always.
  void close_locked(bool always) {
    if (!core || (!always && core->monitoring())) return;
    final = run_to_json(core->result());
    core.reset();
  }

  // CT_OUTPUT when console text waits to be taken, else CT_OK.
  int ok() { return buffered && console.buffer().has_text() ? CT_OUTPUT : CT_OK; }

  // An answer through the caller's callback.
  std::optional<std::string> read_answer() {
    std::vector<char> answer(4096, '\0');
    int rc = confirm(user, answer.data(), answer.size());
    if (rc == CT_CONFIRM_NO_ANSWER) return std::nullopt;
    if (rc != CT_CONFIRM_ANSWER) throw CallbackAborted{};
    answer.back() = '\0';
    return std::string(answer.data());
  }
};

namespace {

// Runs body on the core tracker with the tracker locked; then destroys the
// core if monitoring has ended (or force_close), whether body returned or
// threw.
template <typename F>
int tracker_call(ct_tracker* t, const char* function, F&& body, bool force_close = false) {
  return guarded([&] {
    require(t, function, "tracker");
    const std::thread::id self = std::this_thread::get_id();
    if (t->owner.load(std::memory_order_relaxed) == self)
      invalid(std::string(function) + ": called from inside the tracker's own confirm callback");
    std::lock_guard<std::mutex> lock(t->mu);
    t->owner.store(self, std::memory_order_relaxed);
    struct Release {
      ct_tracker* t;
      ~Release() { t->owner.store(std::thread::id(), std::memory_order_relaxed); }
    } release{t};
    if (t->core) {
      try {
        body(*t->core);
      } catch (...) {
        t->close_locked(force_close);
        throw;
      }
      t->close_locked(force_close);
    }
    return t->ok();
  });
}

}  // namespace

// The definitions take their C linkage from the header's declarations.

const char* ct_version(void) { return carbontracker::version(); }

int ct_last_error_code(void) { return t_code; }

const char* ct_last_error_message(void) { return t_message.c_str(); }

void ct_free(void* p) { std::free(p); }

int ct_tracker_create(const char* options_json, ct_confirm_fn confirm, void* user,
                      ct_tracker** tracker) {
  if (tracker) *tracker = nullptr;
  std::unique_ptr<ct_tracker> t;
  int rc = guarded([&] {
    require(tracker, "ct_tracker_create", "tracker");
    ConsoleMode mode;
    InternalOptions options(parse_options(options_json, &mode));
    t = std::make_unique<ct_tracker>();
    t->buffered = mode == ConsoleMode::kBuffer;
    if (t->buffered) options.console = &t->console;
    if (confirm) {
      t->confirm = confirm;
      t->user = user;
      ct_tracker* raw = t.get();
      options.confirm = [raw] { return raw->read_answer(); };
    }
    std::lock_guard<std::mutex> lock(t->mu);
    {
      BlockAsyncSignals block;
      t->core = std::make_unique<InternalTracker>(std::move(options));
    }
    t->close_locked(false);  // an ignored error: nothing to monitor
    return t->ok();
  });
  if (rc == CT_OK || rc == CT_OUTPUT) {
    *tracker = t.release();
  } else if (t && t->buffered) {
    // No tracker to take it from: the text said before the failure goes to
    // stdout, as it would without "buffer".
    std::string text = t->console.buffer().take();
    if (!text.empty()) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    }
  }
  return rc;
}

int ct_tracker_epoch_start(ct_tracker* tracker) {
  return tracker_call(tracker, "ct_tracker_epoch_start", [](Tracker& t) { t.epoch_start(); });
}

int ct_tracker_epoch_end(ct_tracker* tracker) {
  return tracker_call(tracker, "ct_tracker_epoch_end", [](Tracker& t) { t.epoch_end(); });
}

int ct_tracker_stop(ct_tracker* tracker) {
  return tracker_call(tracker, "ct_tracker_stop", [](Tracker& t) { t.stop(); });
}

int ct_tracker_close(ct_tracker* tracker) {
  return tracker_call(
      tracker, "ct_tracker_close", [](Tracker& t) { t.stop(); }, /*force_close=*/true);
}

void ct_tracker_free(ct_tracker* tracker) {
  if (!tracker) return;
  try {
    {
      std::lock_guard<std::mutex> lock(tracker->mu);
      tracker->core.reset();  // stops it if still monitoring; never throws
    }
    delete tracker;
  } catch (...) {  // std::mutex::lock's std::system_error: nothing to report it to
  }
}

int ct_tracker_set_api_keys(ct_tracker* tracker, const char* keys_json) {
  std::map<std::string, std::string> keys;
  int rc = guarded([&] {
    keys = string_map(parse_json_arg(keys_json, "ct_tracker_set_api_keys", "keys_json"),
                      "ct_tracker_set_api_keys: keys_json");
    return CT_OK;
  });
  if (rc != CT_OK) return rc;
  return tracker_call(tracker, "ct_tracker_set_api_keys",
                      [&keys](Tracker& t) { t.set_api_keys(keys); });
}

int ct_tracker_monitoring(ct_tracker* tracker, int* monitoring) {
  if (monitoring) *monitoring = 0;
  return guarded([&] {
    require(tracker, "ct_tracker_monitoring", "tracker");
    require(monitoring, "ct_tracker_monitoring", "monitoring");
    std::lock_guard<std::mutex> lock(tracker->mu);
    *monitoring = tracker->core && tracker->core->monitoring() ? 1 : 0;
    return tracker->ok();
  });
}

int ct_tracker_results(ct_tracker* tracker, char** json_out) {
  if (json_out) *json_out = nullptr;
  return guarded([&] {
    require(tracker, "ct_tracker_results", "tracker");
    require(json_out, "ct_tracker_results", "json");
    json record;
    {
      std::lock_guard<std::mutex> lock(tracker->mu);
      record = tracker->core ? run_to_json(tracker->core->result()) : tracker->final;
    }
    give_json(record, json_out);
    return tracker->ok();
  });
}

int ct_tracker_take_output(ct_tracker* tracker, char** text, size_t* len) {
  if (text) *text = nullptr;
  if (len) *len = 0;
  return guarded([&] {
    require(tracker, "ct_tracker_take_output", "tracker");
    require(text, "ct_tracker_take_output", "text");
    require(len, "ct_tracker_take_output", "len");
    if (!tracker->console.buffer().has_text()) return CT_OK;
    std::string taken = valid_utf8(tracker->console.buffer().take());
    if (taken.empty()) return CT_OK;
    *text = copy_out(taken);
    *len = taken.size();
    return CT_OK;
  });
}

// ---- Parser ----------------------------------------------------------------

namespace {

std::string str(const char* s) { return s ? std::string(s) : std::string(); }

template <typename F>
int parse_call(const char* function, char** out, F&& body) {
  if (out) *out = nullptr;
  return guarded([&] {
    require(out, function, "json");
    std::vector<std::string> warnings;
    json value = body(&warnings);
    return give_json(json{{"value", std::move(value)}, {"warnings", warnings}}, out);
  });
}

}  // namespace

int ct_parse_logs(const char* log_dir, const char* std_log_file, const char* output_log_file,
                  char** json_out) {
  return parse_call("ct_parse_logs", json_out, [&](std::vector<std::string>* w) {
    return parser::to_json(
        parser::parse_logs(str(log_dir), str(std_log_file), str(output_log_file), w));
  });
}

int ct_parse_all_logs(const char* log_dir, int recursive, char** json_out) {
  return parse_call("ct_parse_all_logs", json_out, [&](std::vector<std::string>* w) {
    parser::ParseOptions po;
    po.recursive = recursive != 0;
    return parser::to_json(parser::parse_all_logs(str(log_dir), w, po));
  });
}

int ct_aggregate_consumption(const char* log_dir, int recursive, char** json_out) {
  return parse_call("ct_aggregate_consumption", json_out, [&](std::vector<std::string>* w) {
    parser::ParseOptions po;
    po.recursive = recursive != 0;
    parser::Aggregate a = parser::aggregate_consumption(str(log_dir), w, po);
    json j = parser::to_json(a);
    j["sentence"] = parser::aggregate_sentence(a);
    j["uncertainty_sentence"] = parser::uncertainty_sentence(a);
    return j;
  });
}

int ct_read_std_log(const char* text, size_t len, char** json_out) {
  if (json_out) *json_out = nullptr;
  return guarded([&] {
    require(json_out, "ct_read_std_log", "json");
    if (!text && len) require(text, "ct_read_std_log", "text");
    parser::StdLogText s = parser::parse_std_log_text(std::string_view(text ? text : "", len));
    json j = {{"components", parser::to_json(s.components)},
              {"epoch_durations (s)", s.epoch_durations_s},
              {"early_stop", s.early_stop},
              {"epoch_lines", s.epoch_lines},
              {"recognized", s.recognized},
              {"problems", s.problems}};
    return give_json(j, json_out);
  });
}

int ct_read_output_log(const char* text, size_t len, char** json_out) {
  if (json_out) *json_out = nullptr;
  return guarded([&] {
    require(json_out, "ct_read_output_log", "json");
    if (!text && len) require(text, "ct_read_output_log", "text");
    parser::OutputLogText o =
        parser::parse_output_log_text(std::string_view(text ? text : "", len));
    json j = {{"actual", o.actual ? parser::to_json(*o.actual) : json()},
              {"pred", o.pred ? parser::to_json(*o.pred) : json()},
              {"actual_count_in_text", o.actual_count_in_text},
              {"components", parser::to_json(o.components)},
              {"recognized", o.recognized},
              {"problems", o.problems}};
    return give_json(j, json_out);
  });
}

int ct_read_run(const char* files_json, char** json_out) {
  if (json_out) *json_out = nullptr;
  parser::RunTexts run;
  int rc = guarded([&] {
    require(json_out, "ct_read_run", "json");
    json files = parse_json_arg(files_json, "ct_read_run", "files_json");
    if (!files.is_object()) invalid("ct_read_run: files_json must be a JSON object");
    for (const auto& [key, v] : files.items()) {
      parser::RunFileText* f = key == "std"      ? &run.std_log
                               : key == "output" ? &run.output_log
                               : key == "jsonl"  ? &run.jsonl
                                                 : nullptr;
      if (!f)
        invalid("ct_read_run: unknown file kind \"" + valid_utf8(key) +
                "\" (std, output or jsonl)");
      if (!v.is_array() || v.size() != 3 || !v[0].is_string() ||
          !(v[1].is_string() || v[1].is_null()) || !v[2].is_string())
        invalid("ct_read_run: \"" + key + "\" must be [path, text or null, problem]");
      f->path = v[0].get<std::string>();
      if (!v[1].is_null()) f->text = v[1].get<std::string>();
      f->problem = v[2].get<std::string>();
    }
    return CT_OK;
  });
  if (rc != CT_OK) return rc;
  return parse_call("ct_read_run", json_out, [&](std::vector<std::string>* w) {
    auto r = parser::read_run_texts(run, {}, w);
    return r ? parser::to_json(*r) : json();
  });
}

int ct_parse_duration(const char* text, double* seconds, int* valid) {
  if (valid) *valid = 0;
  return guarded([&] {
    require(text, "ct_parse_duration", "text");
    require(seconds, "ct_parse_duration", "seconds");
    require(valid, "ct_parse_duration", "valid");
    std::optional<double> d = parser::parse_duration_text(text);
    if (d) {
      *seconds = *d;
      *valid = 1;
    }
    return CT_OK;
  });
}

int ct_aggregate_sentence(double energy_kwh, double co2eq_g, const char* equivalents_json,
                          char** sentence) {
  if (sentence) *sentence = nullptr;
  return guarded([&] {
    require(sentence, "ct_aggregate_sentence", "sentence");
    parser::Aggregate a;
    a.energy_kwh = energy_kwh;
    a.co2eq_g = co2eq_g;
    if (equivalents_json) {
      const char* what = "ct_aggregate_sentence: equivalents_json";
      nlohmann::ordered_json e;
      try {
        e = nlohmann::ordered_json::parse(equivalents_json);
      } catch (const json::parse_error& err) {
        invalid(std::string(what) + " is not valid JSON (" + err.what() + ")");
      }
      auto add = [&](const nlohmann::ordered_json& unit, const nlohmann::ordered_json& value) {
        std::optional<double> d = number_of(value);
        if (!unit.is_string() || !d)
          invalid(std::string(what) + ": expected [[unit, number], ...] or {unit: number, ...}");
        a.equivalents.emplace_back(unit.get<std::string>(), *d);
      };
      if (e.is_object()) {
        for (const auto& [k, v] : e.items()) add(nlohmann::ordered_json(k), v);
      } else if (e.is_array()) {
        for (const auto& pair : e) {
          if (!pair.is_array() || pair.size() != 2)
            invalid(std::string(what) + ": expected [[unit, number], ...] or {unit: number, ...}");
          add(pair[0], pair[1]);
        }
      } else if (!e.is_null()) {
        invalid(std::string(what) + ": expected [[unit, number], ...] or {unit: number, ...}");
      }
    }
    *sentence = copy_out(valid_utf8(parser::aggregate_sentence(a)));
    return CT_OK;
  });
}

int ct_aggregate_uncertainty(const char* aggregate_json, char** json_out) {
  if (json_out) *json_out = nullptr;
  return guarded([&] {
    require(aggregate_json, "ct_aggregate_uncertainty", "aggregate_json");
    require(json_out, "ct_aggregate_uncertainty", "json");
    json in = json::parse(aggregate_json, nullptr, false);
    if (!in.is_object()) invalid("ct_aggregate_uncertainty: aggregate_json is not a JSON object");
    parser::Aggregate a;
    a.energy_kwh = number_of(in.value("energy (kWh)", json())).value_or(0);
    a.co2eq_g = number_of(in.value("co2eq (g)", json())).value_or(0);
    a.runs = static_cast<int>(number_of(in.value("runs", json())).value_or(0));
    if (auto u = in.find("uncertainties"); u != in.end() && u->is_array()) {
      for (const json& block : *u) {
        std::optional<Uncertainty> interval = parser::read_uncertainty(block);
        if (!interval) continue;
        ++a.runs_with_uncertainty;
        if (!a.uncertainty) a.uncertainty.emplace();
        add_uncertainty(a.uncertainty->energy_kwh, interval->energy_kwh);
        add_uncertainty(a.uncertainty->co2_g, interval->co2_g);
      }
    }
    json out = {
        {"uncertainty", a.uncertainty ? parser::uncertainty_to_json(*a.uncertainty) : json()},
        {"runs_with_uncertainty", a.runs_with_uncertainty},
        {"uncertainty_sentence", parser::uncertainty_sentence(a)},
        {"note", parser::missing_uncertainty_note(a)}};
    return give_json(out, json_out);
  });
}

int ct_generate_report(const char* path, const char* output, char** warnings_json) {
  if (warnings_json) *warnings_json = nullptr;
  return guarded([&] {
    require(path, "ct_generate_report", "path");
    require(output, "ct_generate_report", "output");
    if (!report::format_for(output))
      invalid(std::string("cannot tell the report format from ") + output +
              ": give a file name ending in .pdf, .html, .svg or .png");
    report::Report r = report::build_report(path);
    report::write_report(r, output);
    if (warnings_json) give_json(json(r.warnings), warnings_json);
    return CT_OK;
  });
}

int ct_run_cli(int argc, const char* const* argv, int* status) {
  if (status) *status = 0;
  return guarded([&] {
    require(argv, "ct_run_cli", "argv");
    require(status, "ct_run_cli", "status");
    if (argc < 1) invalid("ct_run_cli: argc must be at least 1 (argv[0] is the program name)");
    std::vector<std::string> args;
    args.reserve(static_cast<size_t>(argc));
    for (int i = 0; i < argc; ++i) {
      if (!argv[i]) invalid("ct_run_cli: argv[" + std::to_string(i) + "] is NULL");
      args.emplace_back(argv[i]);
    }
    std::fflush(stdout);
    std::fflush(stderr);
    *status = run_cli(args);
    std::cout.flush();
    std::cerr.flush();
    std::fflush(stdout);
    std::fflush(stderr);
    return CT_OK;
  });
}

int ct_running_library_threads(int* count) {
  if (count) *count = 0;
  return guarded([&] {
    require(count, "ct_running_library_threads", "count");
    *count = running_library_threads();
    return CT_OK;
  });
}
