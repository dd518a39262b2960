// The one bidirectional byte stream interface: a docker connection the
// engine hijacked for an interactive exec or attach, a socket into a
// pod's network namespace, a SPDY/3.1 stream or a WebSocket channel of
// the streaming server. CopyStream (copy_stream.h) moves bytes between
// any two of them; docker_client/ and cri/streaming/ implement it without
// knowing of each other.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::io {

// Safe for one thread reading while another writes and any thread calls
// Reset() (implementations may allow more). Each implementation says what
// its peer sees of CloseWrite() and Reset().
class ByteStream {
 public:
  virtual ~ByteStream() = default;

  // Blocks until at least one byte is available and returns how many were
  // copied into `buf` (at most `len`, len > 0). Returns 0 once the peer
  // has half-closed its side and everything before that was read. Fails
  // with Cancelled after Reset() (local, or by the peer where the protocol
  // has resets) and with Unavailable when the connection broke.
  virtual absl::StatusOr<size_t> Read(char* buf, size_t len) = 0;

  // Sends all of `data` (an empty `data` sends nothing unless the protocol
  // gives empty messages a meaning). May block while the peer is not
  // reading. Fails with Cancelled after Reset(), with Unavailable when the
  // connection broke, and may fail with FailedPrecondition after
  // CloseWrite().
  virtual absl::Status Write(absl::string_view data) = 0;

  // Half-closes our side: the peer reads end-of-stream after what was
  // written. Reading goes on. Idempotent.
  virtual absl::Status CloseWrite() = 0;

  // Aborts both directions and wakes a Read or Write blocked in another
  // thread. Idempotent; the object stays valid.
  virtual void Reset() = 0;
};

}  // namespace cri_dockerd::io
