#include "tests/integration/tcp_fixtures.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace cri_dockerd::testing_support {
namespace {

// A listening socket on 127.0.0.1 with a kernel-chosen port.
int ListenLoopback(int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, 64) != 0) {
    close(fd);
    return -1;
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

// Waits up to 100 ms for `fd` to be readable; false on timeout.
bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 100) > 0;
}

}  // namespace

StallServer::StallServer() {
  listen_fd_ = ListenLoopback(&port_);
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      if (!Readable(listen_fd_)) continue;
      const int c = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++accepted_;
      std::lock_guard<std::mutex> lock(mu_);
      conns_.push_back(c);  // held open, never read or written
    }
  });
}

StallServer::~StallServer() {
  stop_ = true;
  thread_.join();
  close(listen_fd_);
  for (int c : conns_) close(c);
}

ThrottlingProxy::ThrottlingProxy(int upstream_port, int bytes_per_second)
    : upstream_port_(upstream_port), bytes_per_second_(bytes_per_second) {
  listen_fd_ = ListenLoopback(&port_);
  acceptor_ = std::thread([this] {
    while (!stop_.load()) {
      if (!Readable(listen_fd_)) continue;
      const int c = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      workers_.emplace_back([this, c] { Serve(c); });
    }
  });
}

ThrottlingProxy::~ThrottlingProxy() {
  stop_ = true;
  acceptor_.join();
  for (std::thread& t : workers_) t.join();
  close(listen_fd_);
}

void ThrottlingProxy::Serve(int client) {
  const int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(upstream_port_));
  if (connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
      0) {
    close(upstream);
    close(client);
    return;
  }
  // Ten slices a second, each at most a tenth of the rate.
  const size_t slice = static_cast<size_t>(bytes_per_second_ / 10);
  char buf[64 * 1024];
  pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
  while (!stop_.load()) {
    if (poll(fds, 2, 100) <= 0) continue;
    if (fds[0].revents != 0) {  // requests go through at full speed
      const ssize_t n = read(client, buf, sizeof(buf));
      if (n <= 0 || write(upstream, buf, n) != n) break;
    }
    if (fds[1].revents != 0) {
      const ssize_t n = read(upstream, buf, std::min(slice, sizeof(buf)));
      if (n <= 0 || write(client, buf, n) != n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  close(upstream);
  close(client);
}

}  // namespace cri_dockerd::testing_support
