// Fuzzes SPDY header blocks: the input as a sequence of compressed blocks
// through one decompressor (like a connection's), and as one uncompressed
// block. Whatever decodes must encode and decode back to the same headers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "cri/streaming/spdy/spdy_header_block.h"

namespace spdy = cri_dockerd::streaming::spdy;

namespace {

void CheckRoundTrip(const spdy::Headers& headers) {
  absl::StatusOr<std::string> block = spdy::EncodeHeaderBlock(headers);
  if (!block.ok()) std::abort();  // decoded names are valid to encode
  absl::StatusOr<spdy::Headers> again = spdy::DecodeHeaderBlock(*block);
  if (!again.ok() || *again != headers) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view in(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<spdy::Headers> raw = spdy::DecodeHeaderBlock(in);
  if (raw.ok()) CheckRoundTrip(*raw);

  // Each block is prefixed with its 16-bit big-endian length, so one input
  // carries several frames' compressed headers for the same zlib context.
  spdy::HeaderDecompressor decompressor;
  while (in.size() >= 2) {
    size_t n = (size_t{static_cast<uint8_t>(in[0])} << 8) |
               static_cast<uint8_t>(in[1]);
    absl::string_view block = in.substr(2, n);
    in.remove_prefix(2 + block.size());
    absl::StatusOr<std::string> plain =
        decompressor.Decompress(block, 64 * 1024);
    if (!plain.ok()) break;
    if (plain->size() > 64 * 1024) std::abort();
    absl::StatusOr<spdy::Headers> headers = spdy::DecodeHeaderBlock(*plain);
    if (headers.ok()) CheckRoundTrip(*headers);
  }
  return 0;
}
