// A small HTTP/1.1 front door for the streaming server: listens on one TCP
// address and reads every new connection's request head on one loop
// thread, with no thread per waiting connection. A complete head goes to
// the router, which answers it at once (404, 405...) or turns the
// connection into a session that runs on a thread of its own: handlers
// upgrade the connection to SPDY or WebSocket and keep it as long as the
// exec/attach/port-forward lasts.
//
// Two budgets (see limits.h): connections still waiting for their request
// ("pending": at most max_pending, each for head_timeout; when full the
// oldest is closed to make room), and sessions (at most max_sessions; more
// get 503 before the router sees them). The loop thread also closes
// sessions that carried no traffic for idle_timeout. Stop() shuts every
// connection down.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/io/activity_clock.h"
#include "cri/streaming/http_request.h"
#include "cri/streaming/limits.h"

namespace cri_dockerd::streaming {

struct HttpConnection {
  // The connected socket (blocking). The server closes it after the
  // handler returns; a handler that gives it to an object which closes it
  // itself passes dup(fd).
  int fd = -1;
  HttpRequestHead head;
  // Bytes the client sent after the head (already read).
  std::string extra;
  // To be touched on every read and write of the session (the SPDY and
  // WebSocket connections take it): what the idle timeout watches.
  std::shared_ptr<io::ActivityClock> activity;
};

// How the server starts a session's thread (common/thread.h's StartThread;
// tests substitute one that fails).
using ThreadStarter = std::function<absl::StatusOr<std::thread>(
    absl::string_view name, std::function<void()> fn)>;

struct HttpServerOptions {
  // "IP", "IP:port", "[IPv6]:port" or ":port"; empty means 127.0.0.1 on
  // a random port.
  std::string bind_address;
  // From accept to the end of the request head.
  absl::Duration head_timeout = kHeadTimeout;
  int max_pending = kMaxPendingConnections;
  int max_sessions = kMaxSessions;
  // A session with no traffic either way for this long is shut down
  // (logged at INFO). Zero or infinite: never.
  absl::Duration idle_timeout = kDefaultIdleTimeout;
  // Null: StartThread.
  ThreadStarter start_thread;
};

// The router's answer to a request head.
struct HttpRoute {
  // Set: the request becomes a session, run on a thread of its own with
  // the connection. Unset: `reply` is sent and the connection closed.
  std::function<void(HttpConnection& conn)> session;
  std::string reply;
  // What the session is, for log lines ("exec in container <id>").
  std::string description;
};

class HttpServer {
 public:
  // Called on the loop thread with each well-formed request head while a
  // session slot is free. Must not block: every waiting connection waits
  // for it.
  using Router = std::function<HttpRoute(const HttpRequestHead& head)>;

  // Binds and starts the loop thread. InvalidArgument for a malformed
  // address, Unavailable if it cannot be bound, ResourceExhausted if the
  // thread cannot be created.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options, Router router);
  ~HttpServer();

  // "host:port" clients can dial: the bound address, with an unspecified
  // one (0.0.0.0, ::) replaced by loopback.
  const std::string& dial_address() const { return dial_address_; }

  // Stops accepting, closes the pending connections, shuts down every
  // session's connection (their handlers see their sockets fail) and waits
  // for the handlers to return. Idempotent.
  void Stop();

  // Connections waiting for their request head.
  int pending_connections() const { return pending_count_.load(); }
  // Sessions running.
  int sessions() const;

 private:
  struct Pending {
    int fd = -1;
    std::string buf;
    absl::Time deadline;
    std::string peer;
  };
  struct Live {
    std::shared_ptr<io::ActivityClock> activity;
    std::string description;
    std::string peer;
    bool idle_closed = false;
  };

  HttpServer(int listen_fd, int wake_fd, std::string dial_address,
             HttpServerOptions options, Router router);
  void Loop();
  // Accepts what the listening socket has; makes room by closing the
  // oldest pending connection.
  void AcceptSome(absl::Time now);
  void EvictOldest();
  // Reads what `p` sent; true when it is done with (dispatched or closed).
  bool ReadPending(Pending& p);
  void Dispatch(Pending& p, size_t head_end);
  // Shuts down sessions idle for too long; when the next one may be.
  absl::Time CheckIdle();
  // A session's end: forget and close its connection.
  void Finish(int fd);

  // Constant after construction.
  const int listen_fd_;
  const int wake_fd_;  // eventfd: Stop() wakes the loop
  const std::string dial_address_;
  const HttpServerOptions options_;
  const Router router_;
  std::thread loop_;

  // Used by the loop thread only.
  std::vector<Pending> pending_;  // oldest first
  bool accepting_ = true;         // false after a fatal accept error
  absl::Time accept_backoff_until_ = absl::InfinitePast();
  int evicted_ = 0;  // since the last log line about it
  absl::Time evicted_logged_ = absl::InfinitePast();
  int refused_ = 0;  // 503s for want of a session slot, likewise
  absl::Time refused_logged_ = absl::InfinitePast();

  std::atomic<int> pending_count_{0};

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // By fd: open until Finish() closes them, so shutdown(2) under mu_
  // never hits a reused number.
  std::map<int, Live> live_ ABSL_GUARDED_BY(mu_);
};

// Splits a bind address as HttpServerOptions::bind_address describes into
// host and port. InvalidArgument naming the value if malformed.
absl::Status ParseBindAddress(const std::string& text, std::string* host,
                              int* port);

}  // namespace cri_dockerd::streaming
