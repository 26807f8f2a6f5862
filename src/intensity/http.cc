// Implementation details: one easy handle per attempt driven by a multi
// handle, so that Stopper::stop() can interrupt the poll at once
// (curl_multi_wakeup) instead of waiting for curl's own timeouts. CURLOPT_QUICK_EXIT keeps cleanup
// from waiting for a hung DNS lookup thread.
#include "intensity/http.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

namespace carbontracker {
namespace {

constexpr size_t kMaxBodyBytes = 1 << 20;

void global_init_once() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
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
  std::string line(data, size * n);
  std::string lower = line;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("retry-after:", 0) == 0) {
    char* end = nullptr;
    double s = std::strtod(line.c_str() + 12, &end);
    if (end != line.c_str() + 12 && std::isfinite(s) && s >= 0) t->retry_after_s = s;
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
  CURL* easy = curl_easy_init();
  CURLM* multi = curl_multi_init();
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "carbontracker-cpp");
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, std::max(1L, std::lround(connect_s * 1000)));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, std::max(1L, std::lround(total_s * 1000)));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
#if LIBCURL_VERSION_NUM >= 0x075700
  curl_easy_setopt(easy, CURLOPT_QUICK_EXIT, 1L);
#endif
  curl_multi_add_handle(multi, easy);
  int waker = stopper ? stopper->add_waker([multi] { curl_multi_wakeup(multi); }) : -1;
  int running = 1;
  a.code = CURLE_OK;
  while (running) {
    if (stopper && stopper->stopped()) {
      a.cancelled = true;
      break;
    }
    if (curl_multi_perform(multi, &running) != CURLM_OK) break;
    if (!running) break;
    curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  if (stopper) stopper->remove_waker(waker);
  if (!a.cancelled) {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left))
      if (msg->msg == CURLMSG_DONE) a.code = msg->data.result;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &a.status);
    a.curl_error = errbuf[0] ? errbuf : curl_easy_strerror(a.code);
  }
  curl_multi_remove_handle(multi, easy);
  curl_easy_cleanup(easy);
  curl_multi_cleanup(multi);
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
    std::string v = env.var(name);
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    if (!v.empty() && end && *end == 0 && std::isfinite(x) && x > 0) field = x / 1000;
  };
  ms("CARBONTRACKER_HTTP_CONNECT_TIMEOUT_MS", l.connect_timeout_s);
  ms("CARBONTRACKER_HTTP_TIMEOUT_MS", l.attempt_timeout_s);
  ms("CARBONTRACKER_HTTP_BUDGET_MS", l.budget_s);
  ms("CARBONTRACKER_HTTP_BACKOFF_MS", l.backoff_s);
  std::string retries = env.var("CARBONTRACKER_HTTP_RETRIES");
  if (!retries.empty()) {
    char* end = nullptr;
    long r = std::strtol(retries.c_str(), &end, 10);
    if (end && *end == 0 && r >= 0 && r <= 10) l.max_retries = static_cast<int>(r);
  }
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
  global_init_once();
  HttpResponse r;
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
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
  curl_slist_free_all(list);
  r.error = redact(r.error, secrets);
  return r;
}

}  // namespace carbontracker
