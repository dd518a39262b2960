// HttpServer: the listening socket, Start and Stop. The loop -- accept,
// pending connections, dispatch, idle sessions -- is in
// http_server_loop.cc.
#include "cri/streaming/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/thread.h"

namespace cri_dockerd::streaming {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", strerror(errno)));
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
    const HttpServerOptions& options, Router router) {
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
  // Non-blocking: the loop accepts until EAGAIN.
  int fd = socket(v6 ? AF_INET6 : AF_INET,
                  SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
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
  const int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    absl::Status s = Errno("streaming server: eventfd");
    close(fd);
    return s;
  }
  std::unique_ptr<HttpServer> server(
      new HttpServer(fd, wake, std::move(dial), options, std::move(router)));
  absl::StatusOr<std::thread> loop =
      StartThread("stream-accept", [s = server.get()] { s->Loop(); });
  if (!loop.ok()) {
    return absl::Status(
        loop.status().code(),
        absl::StrCat("streaming server: ", loop.status().message()));
  }
  server->loop_ = *std::move(loop);
  return server;
}

HttpServer::HttpServer(int listen_fd, int wake_fd, std::string dial_address,
                       HttpServerOptions options, Router router)
    : listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      dial_address_(std::move(dial_address)),
      options_(std::move(options)),
      router_(std::move(router)) {}

HttpServer::~HttpServer() {
  Stop();
  close(listen_fd_);
  close(wake_fd_);
}

int HttpServer::sessions() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(live_.size());
}

void HttpServer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      stopping_ = true;
      for (const auto& [fd, live] : live_) shutdown(fd, SHUT_RDWR);
    }
  }
  const uint64_t one = 1;
  // The eventfd stays readable: the loop wakes up and returns.
  (void)!write(wake_fd_, &one, sizeof one);
  if (loop_.joinable()) loop_.join();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](std::map<int, Live>* live) { return live->empty(); }, &live_));
}

}  // namespace cri_dockerd::streaming
