// A small HTTP/1.1 front door for the streaming server: listens on one TCP
// address, reads each connection's request head (bounded in size and
// time) and hands the connection to a handler on its own thread. Handlers
// upgrade the connection to SPDY or WebSocket and keep it as long as the
// exec/attach/port-forward lasts; Stop() shuts every one of them down.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cri/streaming/http_request.h"

namespace cri_dockerd::streaming {

struct HttpConnection {
  // The connected socket (blocking). The server closes it after the
  // handler returns; a handler that gives it to an object which closes it
  // itself passes dup(fd).
  int fd = -1;
  HttpRequestHead head;
  // Bytes the client sent after the head (already read).
  std::string extra;
};

struct HttpServerOptions {
  // "IP", "IP:port", "[IPv6]:port" or ":port"; empty means 127.0.0.1 on
  // a random port.
  std::string bind_address;
  absl::Duration head_timeout = absl::Seconds(10);
  // Connections beyond this get 503 and are closed.
  int max_connections = 256;
};

class HttpServer {
 public:
  using Handler = std::function<void(HttpConnection& conn)>;

  // Binds and starts accepting. InvalidArgument for a malformed address,
  // Unavailable if it cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options, Handler handler);
  ~HttpServer();

  // "host:port" clients can dial: the bound address, with an unspecified
  // one (0.0.0.0, ::) replaced by loopback.
  const std::string& dial_address() const { return dial_address_; }

  // Stops accepting, shuts down every open connection (their handlers see
  // their sockets fail) and waits for the handlers to return. Idempotent.
  void Stop();

  int active_connections() const;

 private:
  HttpServer(int listen_fd, std::string dial_address, HttpServerOptions options,
             Handler handler);
  void AcceptLoop();
  void Serve(int fd);

  // Constant after construction.
  const int listen_fd_;
  const std::string dial_address_;
  const HttpServerOptions options_;
  const Handler handler_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::set<int> open_fds_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;

  std::thread acceptor_;
};

// Splits a bind address as HttpServerOptions::bind_address describes into
// host and port. InvalidArgument naming the value if malformed.
absl::Status ParseBindAddress(const std::string& text, std::string* host,
                              int* port);

}  // namespace cri_dockerd::streaming
