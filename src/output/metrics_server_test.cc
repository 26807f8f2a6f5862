// The metrics server's HTTP endpoint: what it answers, and how it holds up
// against hung, silent and oversized clients and a process out of descriptors.
#include "output/metrics_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "output/metrics_test_http.h"

namespace carbontracker {
namespace {

using namespace metrics_test;  // NOLINT: connect_to, request, body_of

TEST(MetricsServer, ServesMetricsOnlyAndAnswersOthersWithTheirStatus) {
  MetricsServerOptions so;
  std::string err;
  auto s = MetricsServer::start(
      so, [] { return std::string("x 1\n"); }, &err);
  ASSERT_TRUE(s) << err;
  ASSERT_GT(s->port(), 0);
  std::string r = request(s->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos);
  EXPECT_NE(r.find("Content-Length: 4\r\n"), std::string::npos);
  EXPECT_EQ(body_of(r), "x 1\n");
  EXPECT_EQ(body_of(request(s->port(), "GET /metrics?name[]=x HTTP/1.0\r\n\r\n")), "x 1\n");
  r = request(s->port(), "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(body_of(r), "");
  EXPECT_EQ(request(s->port(), "GET / HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(request(s->port(), "GET /metricsx HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(request(s->port(), "POST /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405", 0), 0u);
  EXPECT_EQ(request(s->port(), "garbage\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
}

TEST(MetricsServer, AHungScraperDelaysNeitherOtherScrapersNorTheUpdates) {
  MetricsServerOptions so;
  so.connection_timeout_s = 3.0;
  std::string err;
  std::atomic<int> version{0};
  auto s = MetricsServer::start(
      so, [&] { return "v " + std::to_string(version.load()) + "\n"; }, &err);
  ASSERT_TRUE(s) << err;
  // Hung scrapers: connect and send nothing (or half a request).
  std::vector<int> hung;
  for (int i = 0; i < 5; ++i) hung.push_back(connect_to(s->port()));
  [[maybe_unused]] ssize_t n = write(hung[0], "GET /metr", 9);
  for (int i = 1; i <= 3; ++i) {
    version = i;
    auto t0 = std::chrono::steady_clock::now();
    std::string r = request(s->port(), "GET /metrics HTTP/1.1\r\n\r\n", 2.9);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(body_of(r), "v " + std::to_string(i) + "\n");
    // A server that waited on a hung connection would answer at its deadline (3 s).
    EXPECT_LT(took, 1.5) << "a scrape waited on the hung connections";
  }
  // The hung connections are closed at their deadline (read returns 0).
  for (int fd : hung) {
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(read_all(fd, 8), "");
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 6);
    close(fd);
  }
}

TEST(MetricsServer, AThrowingBodyStopsTheServerWhichSaysSoOnce) {
  MetricsServerOptions so;
  std::mutex mu;
  std::vector<std::string> said;
  so.say = [&](const std::string& m) {
    std::lock_guard<std::mutex> lock(mu);
    said.push_back(m);
  };
  std::string err;
  auto s = MetricsServer::start(
      so, []() -> std::string { throw std::runtime_error("render failed"); }, &err);
  ASSERT_TRUE(s) << err;
  EXPECT_EQ(request(s->port(), "GET /metrics HTTP/1.1\r\n\r\n"), "");
  EXPECT_EQ(request(s->port(), "GET /metrics HTTP/1.1\r\n\r\n"), "");  // stopped: no answer
  int port = s->port();
  s.reset();  // joins the thread
  EXPECT_EQ(said, std::vector<std::string>{fmt::format(
                      "The metrics server on port {} stopped after an internal error (render "
                      "failed): /metrics is no longer served; the run goes on.",
                      port)});
}

TEST(MetricsServer, APortInUseOrABadAddressIsOneClearMessage) {
  std::string err;
  auto first = MetricsServer::start(
      {}, [] { return std::string(); }, &err);
  ASSERT_TRUE(first) << err;
  MetricsServerOptions so;
  so.port = first->port();
  EXPECT_FALSE(MetricsServer::start(
      so, [] { return std::string(); }, &err));
  EXPECT_NE(err.find("127.0.0.1:" + std::to_string(so.port)), std::string::npos) << err;
  EXPECT_NE(err.find("Address already in use"), std::string::npos) << err;
  EXPECT_NE(err.find("--metrics-port"), std::string::npos) << err;
  so.address = "localhost:x";
  EXPECT_FALSE(MetricsServer::start(
      so, [] { return std::string(); }, &err));
  EXPECT_NE(err.find("'localhost:x'"), std::string::npos) << err;
}

// Reads until the peer closes, an error or timeout_s; *end is 0 for a clean
// close (FIN), the errno of a failed read (ECONNRESET after an RST), or
// ETIMEDOUT.
std::string read_until_close(int fd, double timeout_s, int* end) {
  std::string out;
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  *end = ETIMEDOUT;
  for (;;) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    until - std::chrono::steady_clock::now())
                                    .count());
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, left) <= 0) return out;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
      *end = n == 0 ? 0 : errno;
      return out;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

TEST(MetricsServer, AnAnswerEndsWithAFinEvenWhenTheRequestWasNotAllRead) {
  std::string err;
  auto s = MetricsServer::start(
      {}, [] { return std::string("x 1\n"); }, &err);
  ASSERT_TRUE(s) << err;
  // An oversized request is answered after 8 KiB; the rest stays unread. A
  // close() then would send an RST, and the client's read would fail.
  int fd = connect_to(s->port());
  ASSERT_GE(fd, 0);
  std::string big = "GET /metrics HTTP/1.1\r\nX: " + std::string(32 * 1024, 'a');
  ASSERT_EQ(send(fd, big.data(), big.size(), MSG_NOSIGNAL), static_cast<ssize_t>(big.size()));
  int end = -1;
  std::string r = read_until_close(fd, 30, &end);
  EXPECT_EQ(r.rfind("HTTP/1.1 431 Request Header Fields Too Large\r\n", 0), 0u) << r;
  EXPECT_EQ(end, 0) << "the answer ended with " << std::strerror(end) << ", not a clean close";
  close(fd);
  // A normal scrape ends the same way.
  fd = connect_to(s->port());
  ASSERT_GE(fd, 0);
  std::string get = "GET /metrics HTTP/1.1\r\n\r\n";
  ASSERT_EQ(send(fd, get.data(), get.size(), MSG_NOSIGNAL), static_cast<ssize_t>(get.size()));
  r = read_until_close(fd, 30, &end);
  EXPECT_EQ(body_of(r), "x 1\n");
  EXPECT_EQ(end, 0) << std::strerror(end);
  close(fd);
}

TEST(MetricsServer, SilentConnectionsBeyondTheCapDoNotLockScrapersOut) {
  MetricsServerOptions so;
  so.connection_timeout_s = 600;  // no connection reaches its deadline in this test
  std::string err;
  auto s = MetricsServer::start(
      so, [] { return std::string("x 1\n"); }, &err);
  ASSERT_TRUE(s) << err;
  ASSERT_EQ(so.max_connections, 64);
  std::vector<int> silent;
  for (int i = 0; i < 100; ++i) {
    silent.push_back(connect_to(s->port()));
    ASSERT_GE(silent.back(), 0);
  }
  // The scrape is answered while the silent connections are open...
  EXPECT_EQ(body_of(request(s->port(), "GET /metrics HTTP/1.1\r\n\r\n", 60)), "x 1\n");
  // ... and the newest of them are still open and unanswered (the oldest
  // ones gave way to newer connections).
  for (size_t i = 90; i < silent.size(); ++i) {
    char c = 0;
    errno = 0;
    EXPECT_EQ(recv(silent[i], &c, 1, MSG_DONTWAIT), -1) << "connection " << i;
    EXPECT_EQ(errno, EAGAIN) << "connection " << i;
  }
  int end = -1;
  EXPECT_EQ(read_until_close(silent[0], 30, &end), "");
  EXPECT_EQ(end, 0) << "the oldest silent connection was not closed";
  for (int fd : silent) close(fd);
}

// Runs body in a forked child, which may lower its own limits, and returns
// its exit status: 0 when every check in it held (the child says on stderr
// which one did not).
int in_child(const std::function<int()>& body) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int rc = 99;
    try {
      rc = body();
    } catch (...) {
    }
    std::fflush(nullptr);
    _exit(rc);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define CHILD_CHECK(cond, rc)                                   \
  do {                                                          \
    if (!(cond)) {                                              \
      std::fprintf(stderr, "child: check failed: %s\n", #cond); \
      return rc;                                                \
    }                                                           \
  } while (0)

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(MetricsServer, OutOfDescriptorsBacksOffInsteadOfSpinningAndSaysSoOnce) {
  int rc = in_child([]() -> int {
    // Descriptors 0-2 open, so that a limit of 3 leaves accept() none.
    for (int i = 0; i < 3; ++i)
      if (fcntl(i, F_GETFD) < 0) CHILD_CHECK(open("/dev/null", O_RDWR) >= 0, 2);
    std::mutex mu;
    std::vector<std::string> said;
    MetricsServerOptions so;
    so.say = [&](const std::string& m) {
      std::lock_guard<std::mutex> lock(mu);
      said.push_back(m);
    };
    auto s = MetricsServer::start(
        so, [] { return std::string("x 1\n"); }, nullptr);
    CHILD_CHECK(s, 3);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHILD_CHECK(fd >= 0, 4);
    rlimit old{};
    CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0, 5);
    rlimit low = old;
    low.rlim_cur = 3;
    CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0, 6);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(s->port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHILD_CHECK(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0, 7);
    auto t0 = std::chrono::steady_clock::now();
    while (s->accept_failures() == 0 && seconds_since(t0) < 60)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHILD_CHECK(s->accept_failures() > 0, 8);
    // The connection stays queued and the listening socket readable: a server
    // that polled it again at once would call accept() thousands of times.
    long before = s->accept_calls();
    t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    double elapsed = seconds_since(t0);
    long calls = s->accept_calls() - before;
    std::fprintf(stderr, "child: %ld accept() calls in %.2f s\n", calls, elapsed);
    CHILD_CHECK(calls <= 2 + static_cast<long>(elapsed / 0.1), 9);  // at most one per 0.1 s
    // With descriptors back, the queued connection is answered.
    CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0, 10);
    std::string get = "GET /metrics HTTP/1.1\r\n\r\n";
    CHILD_CHECK(send(fd, get.data(), get.size(), MSG_NOSIGNAL) > 0, 11);
    CHILD_CHECK(body_of(read_all(fd, 60)) == "x 1\n", 12);
    close(fd);
    s.reset();
    CHILD_CHECK(said.size() == 1, 13);
    std::fprintf(stderr, "child: said: %s\n", said[0].c_str());
    CHILD_CHECK(said[0].find("cannot accept connections: accept(): Too many open files") !=
                    std::string::npos,
                14);
    CHILD_CHECK(said[0].find("ulimit -n") != std::string::npos, 15);
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(MetricsServer, AFailingPollStopsTheServerWhichSaysSoOnce) {
  int rc = in_child([]() -> int {
    std::mutex mu;
    std::vector<std::string> said;
    MetricsServerOptions so;
    so.connection_timeout_s = 600;
    so.say = [&](const std::string& m) {
      std::lock_guard<std::mutex> lock(mu);
      said.push_back(m);
    };
    auto s = MetricsServer::start(
        so, [] { return std::string("x 1\n"); }, nullptr);
    CHILD_CHECK(s, 2);
    int fd = connect_to(s->port());
    CHILD_CHECK(fd >= 0, 3);
    auto t0 = std::chrono::steady_clock::now();
    while (s->accept_calls() < 2 && seconds_since(t0) < 60)  // accepted, then EAGAIN
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHILD_CHECK(s->accept_calls() >= 2, 4);
    // poll() fails (EINVAL) once it watches more descriptors than the limit.
    rlimit old{};
    CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0, 5);
    rlimit low = old;
    low.rlim_cur = 1;
    CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0, 6);
    CHILD_CHECK(send(fd, "G", 1, MSG_NOSIGNAL) == 1, 7);  // wakes the server's poll()
    auto said_count = [&] {
      std::lock_guard<std::mutex> lock(mu);
      return said.size();
    };
    t0 = std::chrono::steady_clock::now();
    while (said_count() == 0 && seconds_since(t0) < 60)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0, 8);
    CHILD_CHECK(said_count() == 1, 9);
    close(fd);
    CHILD_CHECK(request(s->port(), "GET /metrics HTTP/1.1\r\n\r\n", 10).empty(), 10);
    int port = s->port();
    s.reset();
    CHILD_CHECK(said.size() == 1, 11);
    std::fprintf(stderr, "child: said: %s\n", said[0].c_str());
    CHILD_CHECK(said[0] == fmt::format("The metrics server on port {} stopped after an internal "
                                       "error (poll(): Invalid argument): /metrics is no longer "
                                       "served; the run goes on.",
                                       port),
                12);
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace carbontracker
