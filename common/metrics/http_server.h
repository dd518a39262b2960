// A minimal HTTP/1.1 server for the metrics endpoint: GET or HEAD of
// /metrics answers 200 with the exposition; other paths 404; other
// methods 405. One request per connection (Connection: close). Plain
// sockets, no dependency on the rest of the daemon.
#pragma once

#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics/bind_address.h"

namespace cri_dockerd::metrics {

struct HttpServerOptions {
  // A client must have sent its whole request head within this time.
  absl::Duration read_timeout = absl::Seconds(5);
  // Writing the reply must finish within this time.
  absl::Duration write_timeout = absl::Seconds(10);
  // A request head larger than this is answered 431 and closed.
  size_t max_request_bytes = 8192;
  // Connections served at once; more are closed unanswered.
  int max_connections = 16;
};

class MetricsHttpServer {
 public:
  // Produces the body of a GET /metrics (text format 0.0.4). Called on a
  // connection thread, possibly concurrently.
  using RenderFn = std::function<std::string()>;

  // Binds and listens on `address`, then serves on a thread of its own.
  // Unavailable (with errno text) when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      const BindAddress& address, RenderFn render,
      HttpServerOptions options = {});

  // Stops.
  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // The bound port (useful when started on port 0).
  int port() const { return port_; }

  // Closes the listener, cuts off connections in progress and joins every
  // thread. Idempotent.
  void Stop();

 private:
  struct Worker {
    std::thread thread;
    bool done = false;
  };

  MetricsHttpServer(int listen_fd, int wake_fd, int port, RenderFn render,
                    HttpServerOptions options);
  void AcceptLoop();
  void Serve(int fd);
  // Half-closes a connection whose reply was sent and drains its input.
  void Linger(int fd);
  // Joins workers that have finished; returns how many are still running.
  int ReapWorkers();

  // Constant after construction.
  const int listen_fd_;
  const int wake_fd_;  // eventfd: readable once Stop() was called
  const int port_;
  const RenderFn render_;
  const HttpServerOptions options_;

  std::thread acceptor_;
  absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::list<Worker> workers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::metrics
