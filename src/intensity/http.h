// HTTP GET over libcurl for the intensity providers: TLS verification on,
// connect and per-attempt timeouts, a total time budget, a bounded retry with
// backoff on 429 and 5xx (Retry-After honoured when it fits the budget), no
// redirects (a redirect could carry the auth-token header to another host),
// and cancellation from another thread that takes effect at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "carbontracker/environment.h"

namespace carbontracker {

// A stop flag that sleepers and transfers watch. stop() wakes them at once.
class Stopper {
 public:
  void stop();
  bool stopped() const { return stopped_.load(); }
  // Sleeps up to `seconds`; returns false if stopped (before or during).
  bool sleep_for(double seconds);
  // Registers `wake` to be called by stop() (once) until the returned id is
  // passed to remove_waker(). If already stopped, calls nothing and returns -1.
  int add_waker(std::function<void()> wake);
  void remove_waker(int id);

 private:
  std::atomic<bool> stopped_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  int next_waker_ = 0;
  std::vector<std::pair<int, std::function<void()>>> wakers_;
};

struct HttpLimits {
  double connect_timeout_s = 3;
  double attempt_timeout_s = 5;  // one request, connect included
  double budget_s = 15;          // all attempts and waits together
  int max_retries = 2;           // extra attempts after a 429 or 5xx
  double backoff_s = 0.5;        // doubled after each retry

  // Defaults overridden by CARBONTRACKER_HTTP_CONNECT_TIMEOUT_MS,
  // CARBONTRACKER_HTTP_TIMEOUT_MS, CARBONTRACKER_HTTP_BUDGET_MS,
  // CARBONTRACKER_HTTP_RETRIES and CARBONTRACKER_HTTP_BACKOFF_MS.
  static HttpLimits from_env(const Environment& env);
};

struct HttpResponse {
  bool ok = false;  // transfer done and status 200..299
  long status = 0;  // 0 when no HTTP answer arrived
  std::string body;
  std::string error;  // for !ok: one line, e.g. "HTTP 401", "timed out after 2.0 s"
  int attempts = 0;
};

// GETs `url` with the extra `headers` ("Name: value"). Never throws. Any text
// in `secrets` is replaced by "[redacted]" in the error. `stopper` may be null.
HttpResponse http_get(const std::string& url, const std::vector<std::string>& headers,
                      const HttpLimits& limits, Stopper* stopper,
                      const std::vector<std::string>& secrets = {});

// Percent-encodes everything but unreserved characters (RFC 3986).
std::string url_encode(const std::string& s);

// Replaces every occurrence of each non-empty secret in `text` by "[redacted]".
std::string redact(std::string text, const std::vector<std::string>& secrets);

}  // namespace carbontracker
