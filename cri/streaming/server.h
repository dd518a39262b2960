// The exec/attach/port-forward streaming server kubelet and crictl dial:
// Exec, Attach and PortForward park their request under a single-use token
// and return this server's URL for it; a client then connects with SPDY/3.1
// (X-Stream-Protocol-Version negotiation) or WebSocket (Sec-WebSocket-
// Protocol) and the session runs against the StreamingRuntime.
//
// Routes: /exec/<token>, /attach/<token>, /portforward/<token> (GET or
// POST). Unknown, used or expired token: 404. No protocol both sides
// speak: 403 (SPDY) or a refused WebSocket handshake. Malformed frames end
// that connection only. Connections are limited as limits.h says: those
// without a valid token yet, apart from the sessions; sessions idle for
// idle_timeout are closed.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cri/streaming/http_server.h"
#include "cri/streaming/limits.h"
#include "cri/streaming/request_cache.h"
#include "cri/streaming/runtime.h"

namespace cri_dockerd::streaming {

struct StreamingServerOptions {
  // See HttpServerOptions::bind_address.
  std::string bind_address;
  // How long a client may take to open the streams it asked for.
  absl::Duration stream_creation_timeout = absl::Seconds(30);
  // A session with no traffic either way for this long is closed
  // (--streaming-connection-idle-timeout). Zero: never.
  absl::Duration idle_timeout = kDefaultIdleTimeout;
  // The front door's other limits (tests shrink them); its bind address
  // and idle timeout are the two above.
  HttpServerOptions http;
};

class StreamingServer {
 public:
  // `runtime` must outlive the server.
  static absl::StatusOr<std::unique_ptr<StreamingServer>> Start(
      const StreamingServerOptions& options, StreamingRuntime* runtime);
  ~StreamingServer();

  // URLs for a parked request. ResourceExhausted when too many wait.
  absl::StatusOr<std::string> ExecUrl(ExecRequest request);
  absl::StatusOr<std::string> AttachUrl(AttachRequest request);
  absl::StatusOr<std::string> PortForwardUrl(PortForwardRequest request);

  // "http://host:port"
  const std::string& base_url() const { return base_url_; }

  // Ends every session and stops listening. Idempotent.
  void Stop();

 private:
  StreamingServer(StreamingServerOptions options, StreamingRuntime* runtime);
  // On the front door's loop thread: checks the method and path and takes
  // the token's request out of the cache.
  HttpRoute Route(const HttpRequestHead& head);
  // On the session's thread.
  void Serve(HttpConnection& conn, PendingRequest request);
  absl::StatusOr<std::string> Park(absl::string_view kind,
                                   PendingRequest request);

  // Constant after construction.
  const StreamingServerOptions options_;
  StreamingRuntime* const runtime_;
  std::string base_url_;

  RequestCache cache_;
  std::unique_ptr<HttpServer> http_;
};

}  // namespace cri_dockerd::streaming
