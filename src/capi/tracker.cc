// The tracker's entry points of the C interface (include/carbontracker/
// carbontracker.h), and the wrapper's (ct_run_cli).
//
// Implementation details:
//  - A tracker whose monitoring has ended (actual consumption reported,
//    stop, an ignored error, "n" at the prompt) is destroyed at once: its
//    threads are joined and its files closed; its final result is kept for
//    ct_tracker_results.
//  - The confirm callback's CT_CONFIRM_ABORT travels through the core as
//    CallbackAborted, which is not an std::exception, so the core's error
//    handling (ignore_errors included) lets it pass: the tracker stays as it
//    was, still monitoring.
#include "carbontracker/tracker.h"

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "capi/core.h"
#include "capi/options.h"
#include "capi/status.h"

namespace carbontracker::capi {
namespace {

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
    final = core::run_record(core->result());
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
      record = tracker->core ? core::run_record(tracker->core->result()) : tracker->final;
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
    *status = core::run_cli(args);
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
    *count = core::running_library_threads();
    return CT_OK;
  });
}
