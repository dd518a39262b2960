// SPDY/3 name/value header blocks: the uncompressed encoding (32-bit counts
// and lengths, lowercase names, several values of one name joined by NUL)
// and the per-connection zlib streams that compress them with the SPDY/3
// dictionary.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

typedef struct z_stream_s z_stream;

namespace cri_dockerd::streaming::spdy {

// Name/value pairs in wire order. A value may hold several values
// separated by '\0'.
using Headers = std::vector<std::pair<std::string, std::string>>;

// Decompressed header blocks larger than this are rejected (zip bombs).
inline constexpr size_t kMaxHeaderBlockBytes = 256 * 1024;

// Returns the first value of header `name` (matched case-insensitively),
// or "" when absent.
std::string FirstHeaderValue(const Headers& headers, absl::string_view name);

// Encodes `headers` uncompressed, lowercasing names. Fails with
// InvalidArgument for an empty name, a name given twice (after
// lowercasing) or a block that would exceed 2^31 bytes.
absl::StatusOr<std::string> EncodeHeaderBlock(const Headers& headers);

// Decodes an uncompressed block. Fails with InvalidArgument when the block
// is truncated, has trailing bytes, or holds an empty, non-lowercase or
// duplicate name. Allocates no more than `block.size()` bytes of strings.
absl::StatusOr<Headers> DecodeHeaderBlock(absl::string_view block);

// One direction's compression context. Not thread-safe: the connection
// serializes calls, in the order the frames go out.
class HeaderCompressor {
 public:
  HeaderCompressor();
  ~HeaderCompressor();
  HeaderCompressor(const HeaderCompressor&) = delete;
  HeaderCompressor& operator=(const HeaderCompressor&) = delete;

  // Compresses `block` and sync-flushes, so the result is one frame's
  // complete header block. Fails with Internal if zlib fails (then every
  // later call fails too).
  absl::StatusOr<std::string> Compress(absl::string_view block);

 private:
  z_stream* zs_;
  bool ok_;
};

// The receiving side's context; every compressed block a peer sends on a
// connection must go through the same HeaderDecompressor, in order.
class HeaderDecompressor {
 public:
  HeaderDecompressor();
  ~HeaderDecompressor();
  HeaderDecompressor(const HeaderDecompressor&) = delete;
  HeaderDecompressor& operator=(const HeaderDecompressor&) = delete;

  // Inflates one frame's header block. Fails with InvalidArgument on
  // corrupt input or when the output would exceed `max_output` bytes; the
  // context is then broken and every later call fails.
  absl::StatusOr<std::string> Decompress(
      absl::string_view compressed, size_t max_output = kMaxHeaderBlockBytes);

 private:
  z_stream* zs_;
  bool ok_;
};

// Decompress + DecodeHeaderBlock.
absl::StatusOr<Headers> DecompressHeaders(HeaderDecompressor& decompressor,
                                          absl::string_view compressed);

}  // namespace cri_dockerd::streaming::spdy
