// CopyStream: the one loop that moves bytes from one ByteStream to
// another, with the half-close and reset rules of a transparent proxy.
// Exec/attach stdin and output, port-forward in both directions and the
// streaming server's buffered stdin all run on it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "common/io/byte_stream.h"

namespace cri_dockerd::io {

struct CopyOptions {
  // The most bytes one Read() asks for: the copy's only buffer.
  size_t buffer_size = 32 * 1024;
};

// How a copy ended. Both statuses OK: `from` reached its end and `to` was
// half-closed.
struct CopyResult {
  // Why reading `from` failed (`to` was reset then).
  absl::Status read;
  // Why writing to `to` failed (`from` was reset then), or why its
  // CloseWrite() failed at the end (nothing was reset then).
  absl::Status write;
  // Bytes written to `to`.
  uint64_t bytes = 0;

  bool ok() const { return read.ok() && write.ok(); }
};

// Copies `from` to `to` on the calling thread until one of:
//   `from` reads end-of-stream -> to.CloseWrite(), so the end reaches
//                                 `to`'s peer after the data;
//   from.Read() fails          -> to.Reset(): `to`'s peer must not take a
//                                 truncated stream for a complete one;
//   to.Write() fails           -> from.Reset(): nobody takes what `from`
//                                 still has, so its peer is told to stop.
// Holds at most options.buffer_size bytes at a time and blocks while `to`
// does (backpressure). Never touches the other direction: a two-way copy
// is two calls on two threads. To stop a copy early, Reset() either
// stream from another thread.
CopyResult CopyStream(ByteStream& from, ByteStream& to,
                      const CopyOptions& options = {});

}  // namespace cri_dockerd::io
