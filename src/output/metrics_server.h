// A minimal HTTP/1.1 server for the metrics endpoint: GET (or HEAD) /metrics
// answers the current exposition text; any other path gets 404, any other
// method 405. One connection, one answer (Connection: close).
//
// Implementation details: one thread polls the listening socket, a wake-up
// pipe and every open connection, all non-blocking. A connection that does
// not send its request in time, or does not read the answer in time, is
// closed: a hung or slow scraper costs one descriptor until its deadline and
// never delays the tick (which only swaps the text under a mutex) or another
// scraper. When max_connections are open, a new connection takes the place
// of the oldest one that has sent nothing yet, so silent connections cannot
// lock scrapers out; only when every open connection has sent something is
// the new one closed at once.
//
// An answer is followed by shutdown(SHUT_WR) and the rest of the request is
// read and dropped until the client closes (or the deadline), so that the
// client gets a FIN after the answer and never an RST that could discard it.
// When accept() runs out of descriptors (EMFILE, ENFILE, ENOBUFS, ENOMEM),
// the listening socket is left out of poll() for 0.1 s, doubling up to 1 s,
// instead of waking poll() at once again; this is said once.
#pragma once

#include <atomic>
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
  // Told from the server's thread, once each: if the server stops after an
  // internal error (an exception from body() or the standard library, or a
  // failing poll()), and the first time accept() runs out of descriptors.
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
  // accept() calls made so far, and those that failed for want of
  // descriptors or memory (tests and diagnostics).
  long accept_calls() const { return accept_calls_.load(); }
  long accept_failures() const { return accept_failures_.load(); }

 private:
  MetricsServer() = default;
  void run();    // serve() that never throws: it stops and says why
  void serve();  // the poll loop
  std::string answer(const std::string& request);  // the whole response to a request
  void tell(const std::string& message);           // opt_.say, if set, never throwing

  MetricsServerOptions opt_;
  std::function<std::string()> body_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  int port_ = 0;
  std::atomic<long> accept_calls_{0};
  std::atomic<long> accept_failures_{0};
  CountedThread thread_;
};

}  // namespace carbontracker
