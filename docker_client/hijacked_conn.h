// A raw, bidirectional connection to the Docker Engine after it hijacked an
// HTTP exchange (interactive exec start, container attach): what is
// written goes to the process's stdin, what is read is its output --
// docker's multiplexed framing (see MuxStreamDecoder) unless it has a TTY,
// then raw bytes. Also the plain-socket dialer that sets one up, without
// libcurl.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/io/byte_stream.h"
#include "common/io/socket_stream.h"
#include "docker_client/endpoint.h"

namespace cri_dockerd::docker {

// A hijacked connection is an io::ByteStream: Read() gives the output
// (0 once docker closed its side: the process and its output are done),
// Write() goes to stdin (FailedPrecondition after CloseWrite()),
// CloseWrite() makes the process read end-of-file on stdin once it has
// read what was written, and Reset() shuts the socket down. The
// connection closes when the object is destroyed; no method may still be
// running then.
using HijackedConn = io::ByteStream;

// A HijackedConn over the connected stream socket `fd` (taken over: closed
// with the object). `already_read` holds stream bytes that were read
// along with the reply head; Read() hands them out first. `fd` must be in
// blocking mode.
inline std::unique_ptr<HijackedConn> MakeSocketHijackedConn(
    int fd, std::string already_read) {
  return io::MakeSocketStream(fd, std::move(already_read), "the Docker daemon");
}

// One request to hijack, as sent on the wire.
struct HijackRequest {
  std::string method = "POST";
  // Absolute path with its /v1.xx prefix and query.
  std::string path;
  std::string body;
  std::string content_type;  // Content-Type when non-empty
};

// The engine's reply: `conn` is set when it took the connection over
// ("101 UPGRADED", or "200 OK" and a raw stream from engines that ignore
// the Upgrade header); otherwise the reply is an ordinary one whose body
// (docker's JSON error, at most kMaxHijackErrorBody bytes) is in `body`.
struct HijackReply {
  int status = 0;
  // Lowercased names; repeated headers joined with ", ".
  std::map<std::string, std::string> headers;
  std::string body;
  std::unique_ptr<HijackedConn> conn;
};

// Largest reply head (status line and headers) accepted.
inline constexpr size_t kMaxHijackHead = 64 * 1024;
// Longest error body kept; the rest is ignored.
inline constexpr size_t kMaxHijackErrorBody = 64 * 1024;

// Connects to `endpoint`, sends `request` with "Connection: Upgrade" and
// "Upgrade: tcp", and reads the reply head (and an error reply's body).
// `deadline` bounds only this setup: the returned connection has none.
// Failures to get a reply, like HttpTransport::Do's:
//   deadline passed (before or during the setup) -> DeadlineExceeded
//   cannot connect                 -> Unavailable ("is the docker daemon
//                                     running?")
//   connection lost before a reply -> Unavailable
//   head over kMaxHijackHead       -> ResourceExhausted
//   malformed reply                -> Internal
//   bad request line or header     -> InvalidArgument
absl::StatusOr<HijackReply> DialHijacked(const Endpoint& endpoint,
                                         const HijackRequest& request,
                                         absl::Time deadline);

}  // namespace cri_dockerd::docker
