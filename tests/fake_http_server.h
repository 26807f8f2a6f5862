// A loopback HTTP server for tests that plays a web API: scripted replies per
// path (status, body, headers, delay), and a log of every request received.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace carbontracker::testing {

class FakeHttpServer {
 public:
  struct Reply {
    int status = 200;
    std::string body;
    double delay_s = 0;
    std::map<std::string, std::string> headers;
  };
  struct Request {
    std::string path;
    std::string target;  // path and query as sent
    std::multimap<std::string, std::string> params;
    std::map<std::string, std::string> headers;  // names lower-cased
  };

  FakeHttpServer() {
    server_.Get(R"(.*)", [this](const httplib::Request& req, httplib::Response& res) {
      Reply reply;
      {
        std::lock_guard lock(mu_);
        Request r{req.path, req.target, {}, {}};
        for (const auto& [k, v] : req.params) r.params.emplace(k, v);
        for (const auto& [k, v] : req.headers) {
          std::string name = k;
          for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          r.headers[name] = v;
        }
        log_.push_back(std::move(r));
        auto it = replies_.find(req.path);
        if (it == replies_.end()) {
          reply.status = 404;
          reply.body = R"({"error":"no such path"})";
        } else {
          reply = it->second.front();
          if (it->second.size() > 1) it->second.pop_front();
        }
      }
      auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(reply.delay_s);
      while (!stopping_ && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      res.status = reply.status;
      for (const auto& [k, v] : reply.headers) res.set_header(k, v);
      res.set_content(reply.body, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeHttpServer() {
    stopping_ = true;
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Replies for `path` in order; the last one repeats.
  void on(const std::string& path, std::vector<Reply> replies) {
    std::lock_guard lock(mu_);
    replies_[path] = std::deque<Reply>(replies.begin(), replies.end());
  }
  void on(const std::string& path, int status, std::string body) {
    on(path, {Reply{status, std::move(body), 0, {}}});
  }

  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return {log_.begin(), log_.end()};
  }
  int count(const std::string& path) const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& r : log_) n += r.path == path;
    return n;
  }
  int total() const {
    std::lock_guard lock(mu_);
    return static_cast<int>(log_.size());
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::map<std::string, std::deque<Reply>> replies_;
  std::vector<Request> log_;
};

}  // namespace carbontracker::testing
