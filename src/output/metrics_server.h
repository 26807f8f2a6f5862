// A minimal HTTP/1.1 server for the metrics endpoint: GET (or HEAD) /metrics
// answers the current exposition text; any other path gets 404, any other
// method 405. One connection, one answer (Connection: close).
//
// Implementation details: one thread polls the listening socket, a wake-up
// pipe and every open connection, all non-blocking. A connection that does
// not send its request in time, or does not read the answer in time, is
// closed: a hung or slow scraper costs one descriptor until its deadline and
// never delays the tick (which only swaps the text under a mutex) or another
// scraper.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/counted_thread.h"

namespace carbontracker {

struct MetricsServerOptions {
  std::string address = "127.0.0.1";  // an IPv4 or IPv6 literal
  int port = 0;                       // 0: any free port (tests)
  double connection_timeout_s = 5.0;  // per connection, request and answer together
  int max_connections = 64;           // more are accepted and closed at once
  // Told once, from the server's thread, if the server stops after an
  // internal error (an exception from body() or the standard library).
  std::function<void(const std::string&)> say;
};

class MetricsServer {
 public:
  // Binds, listens and starts the thread; body() gives the text for each
  // answer (called on the server's thread). Returns nullptr and sets *error
  // to one sentence naming the address, port, cause and fix on failure.
  static std::unique_ptr<MetricsServer> start(const MetricsServerOptions& options,
                                              std::function<std::string()> body,
                                              std::string* error);
  ~MetricsServer();  // stops and joins the thread, closes every socket
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const { return port_; }

 private:
  MetricsServer() = default;
  void run();    // serve() that never throws: it stops and says why
  void serve();  // the poll loop

  MetricsServerOptions opt_;
  std::function<std::string()> body_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  int port_ = 0;
  CountedThread thread_;
};

}  // namespace carbontracker
