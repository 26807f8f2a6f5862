#include "output/metrics_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <system_error>
#include <vector>

namespace carbontracker {

namespace {

constexpr size_t kMaxRequestBytes = 8192;
constexpr size_t kMaxDrainBytes = 1 << 20;  // dropped after an answer before closing anyway
constexpr double kDrainS = 2.0;             // at most, after an answer, to wait for the close
constexpr double kAcceptBackoffMinS = 0.1;
constexpr double kAcceptBackoffMaxS = 1.0;

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

enum class Phase { kReading, kAnswering, kDraining };

struct Connection {
  int fd = -1;
  double deadline_s = 0;
  std::string in;
  std::string out;
  size_t sent = 0;
  size_t drained = 0;
  Phase phase = Phase::kReading;
  bool silent() const { return phase == Phase::kReading && in.empty(); }
};

std::string response(int status, const char* reason, const std::string& content_type,
                     const std::string& body, bool head) {
  std::string r = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
      status, reason, content_type, body.size());
  if (!head) r += body;
  return r;
}

}  // namespace

std::string MetricsServer::answer(const std::string& request) {
  // Request line: METHOD SP TARGET SP VERSION
  std::string line = request.substr(0, request.find_first_of("\r\n"));
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  std::string method = line.substr(0, sp1);
  std::string target =
      sp1 == std::string::npos || sp2 <= sp1 ? "" : line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string path = target.substr(0, target.find('?'));
  bool head = method == "HEAD";
  if (sp1 == std::string::npos || sp2 <= sp1)
    return response(400, "Bad Request", "text/plain", "Bad request\n", false);
  if (method != "GET" && !head)
    return response(405, "Method Not Allowed", "text/plain", "Only GET and HEAD are served.\n",
                    head);
  if (path != "/metrics")
    return response(404, "Not Found", "text/plain",
                    "Not found: carbontracker serves /metrics only.\n", head);
  return response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", body_(), head);
}

std::unique_ptr<MetricsServer> MetricsServer::start(const MetricsServerOptions& options,
                                                    std::function<std::string()> body,
                                                    std::string* error) {
  auto fail = [&](const std::string& why) -> std::unique_ptr<MetricsServer> {
    if (error) *error = why;
    return nullptr;
  };
  if (options.port < 0 || options.port > 65535)
    return fail(fmt::format("Metrics port {} is not a TCP port; use 1 to 65535.", options.port));
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, options.address.c_str(), &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(static_cast<uint16_t>(options.port));
    addr_len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, options.address.c_str(), &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(options.port));
    addr_len = sizeof(sockaddr_in6);
  } else {
    return fail(fmt::format(
        "Metrics address '{}' is not an IPv4 or IPv6 address; use e.g. 127.0.0.1 or 0.0.0.0.",
        options.address));
  }
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(fmt::format("Metrics endpoint: socket(): {}.", std::strerror(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0 || listen(fd, SOMAXCONN) != 0) {
    int e = errno;
    close(fd);
    std::string host = addr.ss_family == AF_INET6 ? "[" + options.address + "]" : options.address;
    return fail(fmt::format(
        "Metrics endpoint {}:{} cannot be opened: {}{}. The run is measured without it.", host,
        options.port, std::strerror(e),
        e == EADDRINUSE
            ? " (another program listens there; choose another port with --metrics-port or "
              "metrics_port)"
            : ""));
  }
  std::unique_ptr<MetricsServer> s(new MetricsServer());
  s->opt_ = options;
  s->body_ = std::move(body);
  s->listen_fd_ = fd;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len);
  s->port_ = ntohs(addr.ss_family == AF_INET6 ? a6->sin6_port : a4->sin_port);
  if (pipe2(s->wake_, O_CLOEXEC | O_NONBLOCK) != 0)
    return fail(  // the destructor closes the socket
        fmt::format("Metrics endpoint: pipe(): {}.", std::strerror(errno)));
  MetricsServer* raw = s.get();
  s->thread_ = CountedThread([raw] { raw->run(); });
  return s;
}

MetricsServer::~MetricsServer() {
  if (wake_[1] >= 0) {
    char c = 1;
    [[maybe_unused]] ssize_t n = write(wake_[1], &c, 1);
  }
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  for (int fd : wake_)
    if (fd >= 0) close(fd);
}

void MetricsServer::run() {
  std::string what;
  try {
    serve();
    return;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown error";
  }
  // Refuse further connections rather than leave them queued unanswered.
  shutdown(listen_fd_, SHUT_RDWR);
  tell(fmt::format(
      "The metrics server on port {} stopped after an internal error ({}): /metrics is no "
      "longer served; the run goes on.",
      port_, what));
}

void MetricsServer::tell(const std::string& message) {
  if (!opt_.say) return;
  try {
    opt_.say(message);
  } catch (...) {
  }
}

void MetricsServer::serve() {
  std::vector<Connection> conns;
  std::vector<pollfd> fds;
  struct CloseAll {
    std::vector<Connection>& conns;
    ~CloseAll() {
      for (const Connection& c : conns)
        if (c.fd >= 0) close(c.fd);
    }
  } close_all{conns};
  double accept_resume_s = 0;  // the listening socket is polled again from then
  double accept_backoff_s = kAcceptBackoffMinS;
  bool told_accept = false;
  auto erase_closed = [&](double now) {
    size_t before = conns.size();
    conns.erase(
        std::remove_if(conns.begin(), conns.end(), [](const Connection& c) { return c.fd < 0; }),
        conns.end());
    // A descriptor came free: accepting may work again.
    if (conns.size() < before) accept_resume_s = std::min(accept_resume_s, now);
  };
  for (;;) {
    double now = now_s();
    // Connections past their deadline are closed unanswered (or half answered).
    for (Connection& c : conns) {
      if (now >= c.deadline_s) {
        close(c.fd);
        c.fd = -1;
      }
    }
    erase_closed(now);
    bool listening = now >= accept_resume_s;
    fds.clear();
    fds.push_back({wake_[0], POLLIN, 0});
    fds.push_back({listening ? listen_fd_ : -1, POLLIN, 0});  // poll() skips fd -1
    double next_deadline = listening ? now + 60 : accept_resume_s;
    for (const Connection& c : conns) {
      fds.push_back({c.fd, static_cast<short>(c.phase == Phase::kAnswering ? POLLOUT : POLLIN), 0});
      next_deadline = std::min(next_deadline, c.deadline_s);
    }
    int timeout_ms = static_cast<int>((next_deadline - now) * 1000) + 1;
    int ready = poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll()");
    }
    if (fds[0].revents) return;  // stop
    now = now_s();
    // Each connection's state changes in place; closed ones are marked fd -1.
    for (size_t i = 0; i < conns.size(); ++i) {
      Connection& c = conns[i];
      if (!fds[i + 2].revents) continue;
      if (c.phase == Phase::kDraining) {
        // The answer is out; drop what the client still sends until it closes.
        char buf[4096];
        ssize_t n = read(c.fd, buf, sizeof buf);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n > 0) c.drained += static_cast<size_t>(n);
        if (n <= 0 || c.drained > kMaxDrainBytes) {
          close(c.fd);
          c.fd = -1;
        }
        continue;
      }
      if (c.phase == Phase::kReading) {
        char buf[2048];
        ssize_t n = read(c.fd, buf, sizeof buf);
        if (n <= 0) {
          if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
          close(c.fd);
          c.fd = -1;
          continue;
        }
        c.in.append(buf, static_cast<size_t>(n));
        size_t end = c.in.find("\r\n\r\n");
        if (end == std::string::npos) end = c.in.find("\n\n");
        if (end == std::string::npos) {
          if (c.in.size() > kMaxRequestBytes) {
            c.out = response(431, "Request Header Fields Too Large", "text/plain", "", false);
            c.phase = Phase::kAnswering;
          }
          continue;
        }
        c.out = answer(c.in);
        c.phase = Phase::kAnswering;
      }
      if (c.phase == Phase::kAnswering) {
        ssize_t n = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) {
          close(c.fd);
          c.fd = -1;
          continue;
        }
        c.sent += static_cast<size_t>(n);
        if (c.sent == c.out.size()) {
          // A FIN after the answer; closing with unread input would send an
          // RST instead, which may discard the answer on the client's side.
          shutdown(c.fd, SHUT_WR);
          c.phase = Phase::kDraining;
          c.deadline_s = std::min(c.deadline_s, now + kDrainS);
          c.in.clear();
          c.out.clear();
        }
      }
    }
    erase_closed(now);
    if (listening && (fds[1].revents & POLLIN)) {
      for (;;) {
        ++accept_calls_;
        int cfd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
          int e = errno;
          if (e == EINTR || e == ECONNABORTED || e == EPROTO) continue;  // that one is gone
          if (e == EAGAIN || e == EWOULDBLOCK) break;
          // Out of descriptors or memory: the connection stays queued and the
          // listening socket readable, so poll() would wake at once again.
          ++accept_failures_;
          accept_resume_s = now + accept_backoff_s;
          accept_backoff_s = std::min(accept_backoff_s * 2, kAcceptBackoffMaxS);
          if (!told_accept) {
            told_accept = true;
            tell(fmt::format(
                "The metrics server on port {} cannot accept connections: accept(): {}. It "
                "tries again every second at most; raise the limit on open files (ulimit -n) if "
                "this lasts.",
                port_, std::strerror(e)));
          }
          break;
        }
        accept_backoff_s = kAcceptBackoffMinS;
        if (static_cast<int>(conns.size()) >= opt_.max_connections) {
          // The oldest connection that has sent nothing gives way (conns is
          // in accept order); if every one has sent something, the new one does.
          auto silent = std::find_if(conns.begin(), conns.end(),
                                     [](const Connection& c) { return c.silent(); });
          if (silent == conns.end()) {
            close(cfd);
            continue;
          }
          close(silent->fd);
          conns.erase(silent);
        }
        int one = 1;
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        Connection c;
        c.fd = cfd;
        c.deadline_s = now + opt_.connection_timeout_s;
        conns.push_back(std::move(c));
      }
    }
  }
}

}  // namespace carbontracker
