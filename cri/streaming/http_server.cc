#include "cri/streaming/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace cri_dockerd::streaming {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", strerror(errno)));
}

// Reads until the end of the request head; the rest goes to *extra.
absl::Status ReadHead(int fd, absl::Time deadline, std::string* head,
                      std::string* extra) {
  std::string buf;
  char chunk[4096];
  while (true) {
    if (size_t end = FindHeadEnd(buf); end != 0) {
      if (end > kMaxRequestHead) {
        return absl::ResourceExhaustedError("request head too large");
      }
      *extra = buf.substr(end);
      buf.resize(end);
      *head = std::move(buf);
      return absl::OkStatus();
    }
    if (buf.size() > kMaxRequestHead) {
      return absl::ResourceExhaustedError("request head too large");
    }
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("timed out reading request head");
    }
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Errno("poll");
    if (r == 0) continue;
    ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("recv");
    if (n == 0) return absl::UnavailableError("client closed the connection");
    buf.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace

absl::Status ParseBindAddress(const std::string& text, std::string* host,
                              int* port) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("--streaming-bind-addr ", text,
                     ": want IP, IP:port, [IPv6]:port or :port"));
  };
  *host = "127.0.0.1";
  *port = 0;
  if (text.empty()) return absl::OkStatus();
  std::string h = text;
  std::string p;
  if (text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos) return bad();
    h = text.substr(1, close - 1);
    std::string rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return bad();
      p = rest.substr(1);
    }
  } else if (size_t colon = text.rfind(':');
             colon != std::string::npos && text.find(':') == colon) {
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  if (h.empty()) h = "0.0.0.0";
  in6_addr a6;
  in_addr a4;
  if (inet_pton(AF_INET, h.c_str(), &a4) != 1 &&
      inet_pton(AF_INET6, h.c_str(), &a6) != 1) {
    return bad();
  }
  if (!p.empty() &&
      (!absl::SimpleAtoi(p, port) || *port < 0 || *port > 65535)) {
    return bad();
  }
  *host = h;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, Handler handler) {
  std::string host;
  int port = 0;
  if (absl::Status s = ParseBindAddress(options.bind_address, &host, &port);
      !s.ok()) {
    return s;
  }
  sockaddr_storage ss{};
  socklen_t len = 0;
  bool v6 = host.find(':') != std::string::npos;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET6, host.c_str(), &a->sin6_addr);
    len = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &a->sin_addr);
    len = sizeof(*a);
  }
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    absl::Status s =
        Errno(absl::StrCat("streaming server: bind ", host, ":", port));
    close(fd);
    return s;
  }
  if (listen(fd, 128) != 0) {
    absl::Status s = Errno("streaming server: listen");
    close(fd);
    return s;
  }
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  int bound_port = v6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                      : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  std::string dial_host = host;
  if (host == "0.0.0.0") dial_host = "127.0.0.1";
  if (host == "::") dial_host = "::1";
  std::string dial = v6 ? absl::StrCat("[", dial_host, "]:", bound_port)
                        : absl::StrCat(dial_host, ":", bound_port);
  std::unique_ptr<HttpServer> server(
      new HttpServer(fd, std::move(dial), options, std::move(handler)));
  server->acceptor_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

HttpServer::HttpServer(int listen_fd, std::string dial_address,
                       HttpServerOptions options, Handler handler)
    : listen_fd_(listen_fd),
      dial_address_(std::move(dial_address)),
      options_(std::move(options)),
      handler_(std::move(handler)) {}

HttpServer::~HttpServer() {
  Stop();
  close(listen_fd_);
}

int HttpServer::active_connections() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

void HttpServer::AcceptLoop() {
  while (true) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM) {
        // Out of descriptors: back off rather than spin.
        mu_.Unlock();
        absl::SleepFor(absl::Milliseconds(100));
        mu_.Lock();
        continue;
      }
      LOG(ERROR) << "streaming server: accept: " << strerror(errno);
      return;
    }
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    if (running_ >= options_.max_connections) {
      SendAllTo(fd, PlainResponse(503, "too many streaming connections"));
      close(fd);
      continue;
    }
    ++running_;
    open_fds_.insert(fd);
    std::thread([this, fd] { Serve(fd); }).detach();
  }
}

void HttpServer::Serve(int fd) {
  HttpConnection conn;
  conn.fd = fd;
  std::string head;
  absl::Status s =
      ReadHead(fd, absl::Now() + options_.head_timeout, &head, &conn.extra);
  if (s.ok()) {
    s = ParseRequestHead(head, &conn.head);
    if (!s.ok()) SendAllTo(fd, PlainResponse(400, s.message()));
  } else if (absl::IsResourceExhausted(s)) {
    SendAllTo(fd, PlainResponse(431, s.message()));
  }
  if (s.ok()) handler_(conn);
  absl::MutexLock lock(&mu_);
  open_fds_.erase(fd);
  close(fd);
  --running_;
}

void HttpServer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      stopping_ = true;
      shutdown(listen_fd_, SHUT_RDWR);
      for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    }
  }
  if (acceptor_.joinable()) acceptor_.join();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* running) { return *running == 0; }, &running_));
}

}  // namespace cri_dockerd::streaming
