// WebSocket frames (RFC 6455 section 5): an incremental parser that takes
// whatever bytes have arrived, and the serializer. No I/O here; the parser
// bounds every allocation by the caller's payload limit before it trusts a
// peer-supplied length.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::streaming::websocket {

enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// True for close, ping and pong.
inline bool IsControl(Opcode op) { return static_cast<uint8_t>(op) & 0x8; }

// Largest payload of a control frame.
inline constexpr size_t kMaxControlPayload = 125;
// Largest frame header: 2 bytes + 8-byte length + 4-byte mask key.
inline constexpr size_t kMaxFrameHeader = 14;

using MaskKey = std::array<uint8_t, 4>;

struct Frame {
  bool fin = false;
  Opcode opcode = Opcode::kContinuation;
  bool masked = false;
  MaskKey mask_key = {};
  std::string payload;  // already unmasked
  // The length the header announced; set by ParseFrame as soon as it is
  // read, also when the frame is then rejected (oversize → close 1009).
  uint64_t declared_length = 0;
};

// Parses one frame from the start of `buf`. On success either sets
// *consumed to the frame's length and fills *out, or sets *consumed to 0
// when `buf` holds only part of a frame (read more and call again with the
// grown buffer). Fails with InvalidArgument, as soon as the header shows
// it, for: reserved bits set (no extensions are negotiated), unknown
// opcodes, control frames that are fragmented or longer than 125 bytes, a
// 64-bit length with the top bit set, or a payload longer than
// `max_payload`. Non-minimal length encodings are accepted. Masking is
// reported in out->masked; whether it is required is the caller's call.
absl::Status ParseFrame(absl::string_view buf, uint64_t max_payload, Frame* out,
                        size_t* consumed);

// Encodes one frame. With a mask key (the client role) the payload is
// masked and the mask bit set.
std::string SerializeFrame(Opcode opcode, absl::string_view payload, bool fin,
                           std::optional<MaskKey> mask = std::nullopt);

// XORs `data` with the mask key in place, starting at key index 0.
void ApplyMask(const MaskKey& key, char* data, size_t len);

}  // namespace cri_dockerd::streaming::websocket
