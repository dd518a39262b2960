// Test support: loopback TCP servers that misbehave on purpose, to drive
// registry pulls into stalls and slow transfers.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace cri_dockerd::testing_support {

// Accepts connections on 127.0.0.1 and never answers (a wedged registry).
class StallServer {
 public:
  StallServer();
  ~StallServer();
  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<int> conns_;
};

// Forwards 127.0.0.1:port() to 127.0.0.1:upstream_port, passing at most
// `bytes_per_second` from upstream to the client (a slow registry whose
// transfers keep moving).
class ThrottlingProxy {
 public:
  ThrottlingProxy(int upstream_port, int bytes_per_second);
  ~ThrottlingProxy();
  int port() const { return port_; }

 private:
  void Serve(int client);

  const int upstream_port_;
  const int bytes_per_second_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
};

}  // namespace cri_dockerd::testing_support
