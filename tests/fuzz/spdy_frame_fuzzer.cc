// Fuzzes the SPDY frame parser: parses frames off the input until it ends
// or fails, re-serializing each one and checking it parses back the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "cri/streaming/spdy/spdy_frame.h"

using cri_dockerd::streaming::spdy::AppendFrame;
using cri_dockerd::streaming::spdy::Frame;
using cri_dockerd::streaming::spdy::FrameType;
using cri_dockerd::streaming::spdy::ParseFrame;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view in(reinterpret_cast<const char*>(data), size);
  // A small limit too, so the over-size path is exercised.
  const size_t limit = size > 0 && data[0] % 2 ? 64 : 1 << 24;
  while (!in.empty()) {
    Frame f;
    size_t used = 0;
    if (!ParseFrame(in, limit, &f, &used).ok() || used == 0) break;
    if (used > in.size()) std::abort();
    in.remove_prefix(used);
    if (f.type == FrameType::kUnknown) continue;
    std::string wire;
    if (!AppendFrame(f, &wire).ok()) std::abort();
    Frame again;
    size_t used_again = 0;
    if (!ParseFrame(wire, 1 << 24, &again, &used_again).ok() ||
        used_again != wire.size()) {
      std::abort();
    }
    // Flags of fixed-size control frames are not re-serialized.
    again.flags = f.flags;
    if (!(again == f)) std::abort();
  }
  return 0;
}
