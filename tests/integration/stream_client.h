// Test clients for the streaming server: dial an exec/attach/port-forward
// URL, perform the HTTP upgrade (SPDY/3.1 or WebSocket) and run a session
// the way client-go does, with our own SPDY and WebSocket libraries in
// their client roles.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cri_dockerd::testing_support {

// A TCP connection to the host:port of `url` ("http://host:port/...").
// Returns the fd and sets *path to the URL's path.
absl::StatusOr<int> DialUrl(const std::string& url, std::string* path);

// The reply head of an upgrade request.
struct UpgradeReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // lowercased
  std::string body;   // for non-101 replies (read to EOF, bounded)
  std::string extra;  // bytes after a 101 head
  int fd = -1;        // the connection (caller closes) when status == 101
  std::string Header(const std::string& name) const;
};

// Sends `request_head` (without the final blank line it is added) on a
// new connection to `url` and reads the reply.
absl::StatusOr<UpgradeReply> Upgrade(const std::string& url,
                                     const std::string& method,
                                     const std::vector<std::string>& headers);

// What a remotecommand session produced.
struct ExecResult {
  std::string stdout;
  std::string stderr;
  std::string error;  // the error stream's content (v4: Status JSON)
};

struct ExecOptions {
  std::string protocol = "v4.channel.k8s.io";
  bool stdin = false;
  bool stdout = true;
  bool stderr = true;
  bool tty = false;
  std::string input;  // written to stdin, then stdin is closed
  // Keeps stdin open (no CloseWrite) after `input`.
  bool keep_stdin_open = false;
  // Terminal sizes sent on the resize stream, before `input`.
  std::vector<std::pair<int, int>> sizes;  // width, height
  absl::Duration timeout = absl::Seconds(30);
};

// Runs an exec or attach session over SPDY.
absl::StatusOr<ExecResult> RunSpdyExec(const std::string& url,
                                       const ExecOptions& options);

// Runs an exec or attach session over WebSocket; `options.protocol` is
// the subprotocol (e.g. v5.channel.k8s.io, base64.channel.k8s.io).
absl::StatusOr<ExecResult> RunWebSocketExec(const std::string& url,
                                            const ExecOptions& options);

// One request over a port-forward URL via SPDY: sends `request` on a
// data stream for `port`, half-closes and returns all the data stream
// gave back; the error stream's text goes to *error.
absl::StatusOr<std::string> SpdyPortForward(const std::string& url, int port,
                                            const std::string& request,
                                            std::string* error);

// The same over WebSocket (v4.channel.k8s.io, the port from the URL's
// PortForward request, channels 0 and 1). Both returned strings start with
// the port as two little-endian bytes, as the server sends them.
absl::StatusOr<std::string> WebSocketPortForward(const std::string& url,
                                                 const std::string& request,
                                                 std::string* error);

}  // namespace cri_dockerd::testing_support
