// One bidirectional byte stream of a multiplexed streaming connection: a
// SPDY/3.1 stream, or one channel of a Kubernetes WebSocket channel
// protocol. The exec/attach/port-forward glue copies between these and
// docker's hijacked connections without knowing which protocol is below.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::streaming {

// All methods are thread-safe: typically one thread reads while another
// writes, and a third may Reset().
class ByteStream {
 public:
  virtual ~ByteStream() = default;

  // Blocks until at least one byte is available and returns how many were
  // copied into `buf` (at most `len`, len > 0). Returns 0 once the peer has
  // half-closed its side and everything before that was read. Fails with
  // Cancelled after Reset() (local or by the peer) and with Unavailable
  // when the underlying connection is gone.
  virtual absl::StatusOr<size_t> Read(char* buf, size_t len) = 0;

  // Sends all of `data` (an empty `data` sends nothing unless the protocol
  // gives empty messages a meaning). May block while the connection is
  // congested; fails once the stream is reset or the connection is gone.
  virtual absl::Status Write(absl::string_view data) = 0;

  // Half-closes our side: the peer reads end-of-stream after what was
  // written. Idempotent.
  virtual absl::Status CloseWrite() = 0;

  // Aborts both directions and wakes a blocked Read. Idempotent.
  virtual void Reset() = 0;
};

}  // namespace cri_dockerd::streaming
