#include "common/metrics/http_server.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/logging.h"
#include "common/metrics/text_format.h"
#include "common/thread.h"

namespace cri_dockerd::metrics {
namespace {

int RemainingMs(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(
      absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))));
}

// Waits for `events` on fd, or for the wake fd. False on timeout, wake-up
// or error.
bool WaitFor(int fd, short events, int wake_fd, absl::Time deadline) {
  for (;;) {
    const int ms = RemainingMs(deadline);
    if (ms == 0) return false;
    pollfd fds[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
    const int n = poll(fds, 2, ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || fds[1].revents != 0) return false;
    return fds[0].revents != 0;
  }
}

bool WriteAll(int fd, absl::string_view data, int wake_fd,
              absl::Time deadline) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
        WaitFor(fd, POLLOUT, wake_fd, deadline)) {
      continue;
    }
    return false;
  }
  return true;
}

std::string Reply(absl::string_view status, absl::string_view content_type,
                  absl::string_view extra_headers, const std::string& body,
                  bool head) {
  std::string out =
      absl::StrCat("HTTP/1.1 ", status, "\r\nContent-Type: ", content_type,
                   "\r\nContent-Length: ", body.size(), "\r\n", extra_headers,
                   "Connection: close\r\n\r\n");
  if (!head) out += body;
  return out;
}

std::string PlainReply(absl::string_view status,
                       absl::string_view extra_headers = "",
                       bool head = false) {
  return Reply(status, "text/plain; charset=utf-8", extra_headers,
               absl::StrCat(status, "\n"), head);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const BindAddress& address, RenderFn render, HttpServerOptions options) {
  const int fd = socket(address.addr.ss_family,
                        SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("socket: ", strerror(errno)));
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address.addr), address.len) !=
          0 ||
      listen(fd, 64) != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot listen for metrics: ", strerror(err)));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  const int port =
      ntohs(bound.ss_family == AF_INET6
                ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  const int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("eventfd: ", strerror(err)));
  }
  auto server = std::unique_ptr<MetricsHttpServer>(new MetricsHttpServer(
      fd, wake, port, std::move(render), std::move(options)));
  absl::StatusOr<std::thread> acceptor =
      StartThread("metrics-accept", [s = server.get()] { s->AcceptLoop(); });
  if (!acceptor.ok()) {
    return absl::Status(
        acceptor.status().code(),
        absl::StrCat("metrics endpoint: ", acceptor.status().message()));
  }
  server->acceptor_ = *std::move(acceptor);
  return server;
}

MetricsHttpServer::MetricsHttpServer(int listen_fd, int wake_fd, int port,
                                     RenderFn render, HttpServerOptions options)
    : listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      port_(port),
      render_(std::move(render)),
      options_(std::move(options)) {}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

void MetricsHttpServer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  const uint64_t one = 1;
  // The eventfd stays readable: every poll() in every thread wakes up.
  (void)!write(wake_fd_, &one, sizeof one);
  if (acceptor_.joinable()) acceptor_.join();
  std::list<Worker> workers;
  {
    absl::MutexLock lock(&mu_);
    workers.swap(workers_);  // nodes keep their addresses
  }
  for (Worker& w : workers) w.thread.join();
  close(listen_fd_);
  close(wake_fd_);
}

int MetricsHttpServer::ReapWorkers() {
  std::list<Worker> finished;
  int running = 0;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = workers_.begin(); it != workers_.end();) {
      auto next = std::next(it);
      if (it->done) {
        finished.splice(finished.end(), workers_, it);
      } else {
        ++running;
      }
      it = next;
    }
  }
  for (Worker& w : finished) w.thread.join();
  return running;
}

void MetricsHttpServer::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0) return;
    const int fd =
        accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        // Out of descriptors: back off instead of spinning.
        poll(&fds[1], 1, 100);
      }
      continue;
    }
    if (ReapWorkers() >= options_.max_connections) {
      close(fd);
      continue;
    }
    absl::MutexLock lock(&mu_);
    Worker* worker = &workers_.emplace_back();
    absl::StatusOr<std::thread> thread =
        StartThread("metrics-serve", [this, fd, worker] {
          Serve(fd);
          close(fd);
          absl::MutexLock done_lock(&mu_);
          worker->done = true;
        });
    if (!thread.ok()) {
      // This scrape fails; the endpoint stays up for the next.
      LOG(WARNING) << "metrics endpoint: " << thread.status();
      workers_.pop_back();
      close(fd);
      continue;
    }
    worker->thread = *std::move(thread);
  }
}

void MetricsHttpServer::Serve(int fd) {
  const absl::Time read_deadline = absl::Now() + options_.read_timeout;
  std::string request;
  size_t head_end = std::string::npos;
  char buf[2048];
  while (head_end == std::string::npos) {
    if (request.size() > options_.max_request_bytes) break;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      request.append(buf, static_cast<size_t>(n));
      head_end = request.find("\r\n\r\n");
      if (head_end == std::string::npos) head_end = request.find("\n\n");
      continue;
    }
    if (n == 0) return;  // closed before a whole request
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return;
    // Slow or silent client: cut off at the deadline.
    if (!WaitFor(fd, POLLIN, wake_fd_, read_deadline)) return;
  }
  const absl::Time write_deadline = absl::Now() + options_.write_timeout;
  if (head_end == std::string::npos || head_end > options_.max_request_bytes) {
    if (WriteAll(fd, PlainReply("431 Request Header Fields Too Large"),
                 wake_fd_, write_deadline)) {
      Linger(fd);
    }
    return;
  }
  // Request line: METHOD SP TARGET SP HTTP/1.x
  const absl::string_view line =
      absl::string_view(request).substr(0, request.find('\n'));
  const size_t sp1 = line.find(' ');
  const size_t sp2 =
      sp1 == absl::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == absl::string_view::npos ||
      !absl::StartsWith(line.substr(sp2 + 1), "HTTP/1.")) {
    if (WriteAll(fd, PlainReply("400 Bad Request"), wake_fd_, write_deadline)) {
      Linger(fd);
    }
    return;
  }
  const absl::string_view method = line.substr(0, sp1);
  absl::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  const bool head = method == "HEAD";
  std::string reply;
  if (method != "GET" && !head) {
    reply = PlainReply("405 Method Not Allowed", "Allow: GET, HEAD\r\n");
  } else if (target != "/metrics") {
    reply = PlainReply("404 Not Found", "", head);
  } else {
    reply = Reply("200 OK", kTextContentType, "", render_(), head);
  }
  if (WriteAll(fd, reply, wake_fd_, write_deadline)) Linger(fd);
}

void MetricsHttpServer::Linger(int fd) {
  // Half-close, then drain what the client still sends for a moment:
  // closing with unread input would reset the connection and could
  // destroy the reply before the client reads it.
  shutdown(fd, SHUT_WR);
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  char buf[4096];
  for (size_t drained = 0; drained < (size_t{1} << 16);) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      drained += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
               WaitFor(fd, POLLIN, wake_fd_, deadline)) {
      continue;
    } else {
      return;
    }
  }
}

}  // namespace cri_dockerd::metrics
