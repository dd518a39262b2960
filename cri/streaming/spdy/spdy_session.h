// A SPDY/3.1 session on an already-upgraded connection, as spoken by
// Kubernetes clients (k8s.io/apimachinery's httpstream/spdy over
// github.com/moby/spdystream) for exec, attach and port-forward. One reader
// thread per session (started by Start()); streams are ByteStreams
// (spdy_stream.h).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/io/activity_clock.h"
#include "cri/streaming/spdy/spdy_connection.h"
#include "cri/streaming/spdy/spdy_header_block.h"
#include "cri/streaming/spdy/spdy_stream.h"

namespace cri_dockerd::streaming::spdy {

class Session {
 public:
  using StreamHandler = std::function<void(std::shared_ptr<Stream>)>;

  // Takes ownership of the connected socket `fd`. A server's own streams
  // get even ids and a client's odd ones. `initial_bytes` are bytes the
  // HTTP layer already read past the upgrade request; they are parsed
  // before anything read from `fd`. `activity`, if set, is touched on
  // every read and write of the socket (idle timeouts).
  Session(int fd, Role role, std::string initial_bytes = "",
          std::shared_ptr<io::ActivityClock> activity = nullptr);
  // Close()s.
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts the reader thread. Each stream the peer opens is accepted (an
  // empty SYN_REPLY is sent) and then passed to `on_stream` on the reader
  // thread, which reads nothing else until it returns: hand the stream to
  // another thread rather than block there. Call at most once.
  // ResourceExhausted if the thread cannot be created: the session is then
  // closed (Close()).
  absl::Status Start(StreamHandler on_stream);

  // Opens a stream (SYN_STREAM, with FIN if `fin`) and waits until
  // `deadline` for the peer's SYN_REPLY. Fails with Unavailable once the
  // session is closed or the peer sent GOAWAY, with DeadlineExceeded (the
  // stream is then reset) if no reply came. Requires Start().
  absl::StatusOr<std::shared_ptr<Stream>> OpenStream(const Headers& headers,
                                                     bool fin,
                                                     absl::Time deadline);

  // Sends a PING and waits until `deadline` for the echo.
  absl::Status Ping(absl::Time deadline);

  // Sends GOAWAY (best effort), shuts the socket down, resets every open
  // stream (their Read/Write fail with Unavailable) and joins the reader
  // thread. Idempotent; safe from any thread, including on_stream.
  void Close();

  // Waits until the peer closed the connection, the session failed or was
  // closed; false if `deadline` passed first.
  bool Wait(absl::Time deadline);

  // OK while the session runs; afterwards why it ended.
  absl::Status status() const;

  // Streams not yet finished in both directions (or reset).
  size_t ActiveStreams() const;

 private:
  // Constant after construction.
  const std::shared_ptr<Connection> conn_;

  absl::Mutex mu_;
  std::string initial_bytes_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::streaming::spdy
