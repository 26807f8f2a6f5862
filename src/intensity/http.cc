// Implementation details: one easy handle per attempt driven by a multi
// handle, so that Stopper::stop() can interrupt the poll at once
// (curl_multi_wakeup) instead of waiting for curl's own timeouts. CURLOPT_QUICK_EXIT keeps cleanup
// from waiting for a hung DNS lookup thread.
//
// libcurl is loaded with dlopen on the first request, not linked: a run that
// makes no request (--offline, or a short command) never maps libcurl and
// its TLS libraries, which would cost start-up time and several MB of
// memory. Only the header is needed at build time.
#include "intensity/http.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "common/number.h"
#include "common/text.h"

namespace carbontracker {
namespace {

constexpr size_t kMaxBodyBytes = 1 << 20;

// The libcurl functions used, bound once from the shared library.
struct CurlApi {
  std::string error;  // non-empty when libcurl could not be loaded
  CURLcode (*global_init)(long) = nullptr;
  CURL* (*easy_init)() = nullptr;
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...) = nullptr;
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...) = nullptr;
  const char* (*easy_strerror)(CURLcode) = nullptr;
  void (*easy_cleanup)(CURL*) = nullptr;
  CURLM* (*multi_init)() = nullptr;
  CURLMcode (*multi_add_handle)(CURLM*, CURL*) = nullptr;
  CURLMcode (*multi_remove_handle)(CURLM*, CURL*) = nullptr;
  CURLMcode (*multi_perform)(CURLM*, int*) = nullptr;
  CURLMcode (*multi_poll)(CURLM*, curl_waitfd[], unsigned int, int, int*) = nullptr;
  CURLMcode (*multi_wakeup)(CURLM*) = nullptr;
  CURLMsg* (*multi_info_read)(CURLM*, int*) = nullptr;
  CURLMcode (*multi_cleanup)(CURLM*) = nullptr;
  curl_slist* (*slist_append)(curl_slist*, const char*) = nullptr;
  void (*slist_free_all)(curl_slist*) = nullptr;
};

template <typename F>
bool bind(void* lib, const char* name, F& fn, std::string& error) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  if (!fn && error.empty()) error = fmt::format("libcurl has no {}", name);
  return fn != nullptr;
}

// Loads libcurl once (thread-safe); the library stays loaded for the process.
const CurlApi& curl() {
  static const CurlApi api = [] {
    CurlApi a;
    void* lib = nullptr;
    for (const char* name : {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"})
      if ((lib = dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
    if (!lib) {
      a.error =
          "libcurl could not be loaded (tried libcurl.so.4, libcurl-gnutls.so.4, "
          "libcurl.so): install libcurl4 for live carbon intensity";
      return a;
    }
    std::string& e = a.error;
    bind(lib, "curl_global_init", a.global_init, e);
    bind(lib, "curl_easy_init", a.easy_init, e);
    bind(lib, "curl_easy_setopt", a.easy_setopt, e);
    bind(lib, "curl_easy_getinfo", a.easy_getinfo, e);
    bind(lib, "curl_easy_strerror", a.easy_strerror, e);
    bind(lib, "curl_easy_cleanup", a.easy_cleanup, e);
    bind(lib, "curl_multi_init", a.multi_init, e);
    bind(lib, "curl_multi_add_handle", a.multi_add_handle, e);
    bind(lib, "curl_multi_remove_handle", a.multi_remove_handle, e);
    bind(lib, "curl_multi_perform", a.multi_perform, e);
    bind(lib, "curl_multi_poll", a.multi_poll, e);
    bind(lib, "curl_multi_wakeup", a.multi_wakeup, e);
    bind(lib, "curl_multi_info_read", a.multi_info_read, e);
    bind(lib, "curl_multi_cleanup", a.multi_cleanup, e);
    bind(lib, "curl_slist_append", a.slist_append, e);
    bind(lib, "curl_slist_free_all", a.slist_free_all, e);
    if (!e.empty()) {
      e += " (libcurl 7.68 or newer is needed for live carbon intensity)";
      dlclose(lib);
      return a;
    }
    a.global_init(CURL_GLOBAL_DEFAULT);
    return a;
  }();
  return api;
}

struct Transfer {
  std::string body;
  bool too_large = false;
  double retry_after_s = -1;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->body.size() + size * n > kMaxBodyBytes) {
    t->too_large = true;
    return 0;
  }
  t->body.append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  constexpr std::string_view kRetryAfter = "retry-after:";
  if (starts_with_nocase(line, kRetryAfter)) {
    // Seconds (an HTTP date is not read).
    std::optional<double> s = parse_number(line.substr(kRetryAfter.size()), {.blanks = true});
    if (s && *s >= 0) t->retry_after_s = *s;
  }
  return size * n;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Attempt {
  CURLcode code = CURLE_OK;
  long status = 0;
  bool cancelled = false;
  std::string curl_error;
};

Attempt perform(const std::string& url, curl_slist* headers, double connect_s, double total_s,
                Transfer& transfer, Stopper* stopper) {
  Attempt a;
  const CurlApi& api = curl();
  CURL* easy = api.easy_init();
  CURLM* multi = api.multi_init();
  char errbuf[CURL_ERROR_SIZE] = {0};
  api.easy_setopt(easy, CURLOPT_URL, url.c_str());
  api.easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  api.easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  api.easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  api.easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  api.easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  api.easy_setopt(easy, CURLOPT_USERAGENT, "carbontracker-cpp");
  api.easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  api.easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                  static_cast<long>(std::max(1.0, round_half_even(connect_s * 1000))));
  api.easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                  static_cast<long>(std::max(1.0, round_half_even(total_s * 1000))));
  api.easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  api.easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  api.easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  api.easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  api.easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
#if LIBCURL_VERSION_NUM >= 0x075700
  api.easy_setopt(easy, CURLOPT_QUICK_EXIT, 1L);
#endif
  api.multi_add_handle(multi, easy);
  int waker = stopper ? stopper->add_waker([&api, multi] { api.multi_wakeup(multi); }) : -1;
  int running = 1;
  a.code = CURLE_OK;
  while (running) {
    if (stopper && stopper->stopped()) {
      a.cancelled = true;
      break;
    }
    if (api.multi_perform(multi, &running) != CURLM_OK) break;
    if (!running) break;
    api.multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  if (stopper) stopper->remove_waker(waker);
  if (!a.cancelled) {
    int left = 0;
    while (CURLMsg* msg = api.multi_info_read(multi, &left))
      if (msg->msg == CURLMSG_DONE) a.code = msg->data.result;
    api.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &a.status);
    a.curl_error = errbuf[0] ? errbuf : api.easy_strerror(a.code);
  }
  api.multi_remove_handle(multi, easy);
  api.easy_cleanup(easy);
  api.multi_cleanup(multi);
  return a;
}

}  // namespace

void Stopper::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    for (auto& [id, wake] : wakers_) wake();
    wakers_.clear();
  }
  cv_.notify_all();
}

int Stopper::add_waker(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  if (stopped_) return -1;
  wakers_.emplace_back(next_waker_, std::move(wake));
  return next_waker_++;
}

void Stopper::remove_waker(int id) {
  std::lock_guard lock(mu_);
  for (auto it = wakers_.begin(); it != wakers_.end(); ++it)
    if (it->first == id) {
      wakers_.erase(it);
      return;
    }
}

bool Stopper::sleep_for(double seconds) {
  std::unique_lock lock(mu_);
  if (seconds > 0)
    cv_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return stopped_.load(); });
  return !stopped_;
}

HttpLimits HttpLimits::from_env(const Environment& env) {
  HttpLimits l;
  auto ms = [&](const char* name, double& field) {
    std::optional<double> x = parse_number(env.var(name), {.blanks = true, .plus = true});
    if (x && *x > 0) field = *x / 1000;
  };
  ms("CARBONTRACKER_HTTP_CONNECT_TIMEOUT_MS", l.connect_timeout_s);
  ms("CARBONTRACKER_HTTP_TIMEOUT_MS", l.attempt_timeout_s);
  ms("CARBONTRACKER_HTTP_BUDGET_MS", l.budget_s);
  ms("CARBONTRACKER_HTTP_BACKOFF_MS", l.backoff_s);
  std::optional<int> retries =
      parse_integer<int>(env.var("CARBONTRACKER_HTTP_RETRIES"), {.blanks = true, .plus = true});
  if (retries && *retries >= 0 && *retries <= 10) l.max_retries = *retries;
  return l;
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 10))
      text.replace(at, secret.size(), "[redacted]");
  }
  return text;
}

HttpResponse http_get(const std::string& url, const std::vector<std::string>& headers,
                      const HttpLimits& limits, Stopper* stopper,
                      const std::vector<std::string>& secrets) {
  HttpResponse r;
  const CurlApi& api = curl();
  if (!api.error.empty()) {
    r.error = api.error;
    return r;
  }
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = api.slist_append(list, h.c_str());
  const double deadline = now_s() + limits.budget_s;
  double backoff = limits.backoff_s;
  for (int attempt = 0;; ++attempt) {
    double left = deadline - now_s();
    if (left <= 0.001) {
      r.error = fmt::format("gave up after {:.1f} s ({})", limits.budget_s,
                            r.error.empty() ? "no answer" : r.error);
      break;
    }
    Transfer t;
    double attempt_s = std::min(limits.attempt_timeout_s, left);
    Attempt a =
        perform(url, list, std::min(limits.connect_timeout_s, attempt_s), attempt_s, t, stopper);
    r.attempts = attempt + 1;
    r.status = a.status;
    if (a.cancelled) {
      r.error = "cancelled";
      break;
    }
    if (a.code != CURLE_OK) {
      if (t.too_large)
        r.error = "answer larger than 1 MiB";
      else if (a.code == CURLE_OPERATION_TIMEDOUT)
        r.error = fmt::format("timed out after {:.1f} s", attempt_s);
      else
        r.error = a.curl_error;
      break;
    }
    if (a.status >= 200 && a.status < 300) {
      r.ok = true;
      r.body = std::move(t.body);
      r.error.clear();
      break;
    }
    r.error = fmt::format("HTTP {}", a.status);
    bool retryable = a.status == 429 || a.status >= 500;
    if (!retryable || attempt >= limits.max_retries) break;
    double wait = t.retry_after_s >= 0 ? t.retry_after_s : backoff;
    backoff *= 2;
    if (wait >= deadline - now_s()) {
      r.error += fmt::format(" (retry after {:.1f} s would pass the {:.1f} s limit)", wait,
                             limits.budget_s);
      break;
    }
    if (stopper) {
      if (!stopper->sleep_for(wait)) {
        r.error = "cancelled";
        break;
      }
    } else {
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
    }
  }
  api.slist_free_all(list);
  r.error = redact(r.error, secrets);
  return r;
}

}  // namespace carbontracker
