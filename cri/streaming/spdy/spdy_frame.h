// SPDY/3.1 frames: the in-memory form, an incremental parser that never
// reads past the buffer it is given, and serializers. Header blocks stay
// compressed at this level (see spdy_header_block.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::streaming::spdy {

inline constexpr uint16_t kSpdyVersion = 3;
inline constexpr size_t kFrameHeaderSize = 8;
// The length field is 24 bits wide.
inline constexpr size_t kMaxFramePayload = (size_t{1} << 24) - 1;
inline constexpr uint32_t kMaxStreamId = 0x7fffffff;

// Control frame types carry their wire value; kData is not a control frame
// and kUnknown stands for any control type this layer does not know (the
// spec says to ignore those).
enum class FrameType : uint16_t {
  kData = 0,
  kSynStream = 1,
  kSynReply = 2,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoAway = 7,
  kHeaders = 8,
  kWindowUpdate = 9,
  kUnknown = 0xffff,
};

// FLAG_FIN on DATA, SYN_STREAM, SYN_REPLY and HEADERS.
inline constexpr uint8_t kFlagFin = 0x01;
// FLAG_UNIDIRECTIONAL on SYN_STREAM.
inline constexpr uint8_t kFlagUnidirectional = 0x02;

enum class RstStatus : uint32_t {
  kProtocolError = 1,
  kInvalidStream = 2,
  kRefusedStream = 3,
  kUnsupportedVersion = 4,
  kCancel = 5,
  kInternalError = 6,
  kFlowControlError = 7,
  kStreamInUse = 8,
  kStreamAlreadyClosed = 9,
  kInvalidCredentials = 10,
  kFrameTooLarge = 11,
};

enum class GoAwayStatus : uint32_t {
  kOk = 0,
  kProtocolError = 1,
  kInternalError = 2,
};

struct Setting {
  uint8_t flags = 0;
  uint32_t id = 0;  // 24 bits
  uint32_t value = 0;
  bool operator==(const Setting&) const = default;
};

// One frame. Which fields mean something depends on `type`:
//   kData:         stream_id, flags, payload (the data)
//   kSynStream:    stream_id, associated_stream_id, priority (0..7), slot,
//                  flags, payload (compressed header block)
//   kSynReply, kHeaders: stream_id, flags, payload (compressed header block)
//   kRstStream:    stream_id, status
//   kSettings:     flags, settings
//   kPing:         ping_id
//   kGoAway:       stream_id (last good stream id), status
//   kWindowUpdate: stream_id (0 = the whole session), delta_window
//   kUnknown:      unknown_type, flags, payload
struct Frame {
  FrameType type = FrameType::kData;
  uint8_t flags = 0;
  uint32_t stream_id = 0;
  uint32_t associated_stream_id = 0;
  uint8_t priority = 0;
  uint8_t slot = 0;
  uint32_t status = 0;
  uint32_t ping_id = 0;
  uint32_t delta_window = 0;
  uint16_t unknown_type = 0;
  std::vector<Setting> settings;
  std::string payload;
  bool operator==(const Frame&) const = default;
};

// Parses the frame at the start of `buf`. On success sets `*consumed` to
// the frame's size, or to 0 when `buf` does not yet hold a whole frame
// (then `*out` is untouched and the caller reads more bytes). Fails with
// InvalidArgument for a malformed frame, a version other than 3, or a
// payload longer than `max_frame_bytes`; the connection is then unusable.
// Never reads past `buf` and never allocates more than the frame's
// (bounded) payload length.
absl::Status ParseFrame(absl::string_view buf, size_t max_frame_bytes,
                        Frame* out, size_t* consumed);

// Appends the wire form of `frame` to `*out`. Fails with InvalidArgument
// (appending nothing) if the frame cannot be represented: a payload over
// 2^24-1 bytes, a stream id over 2^31-1, a zero stream id where the spec
// forbids it, or kUnknown.
absl::Status AppendFrame(const Frame& frame, std::string* out);

// Shorthands for the frames a session writes most.
Frame DataFrame(uint32_t stream_id, absl::string_view data, bool fin);
Frame RstStreamFrame(uint32_t stream_id, RstStatus status);
Frame PingFrame(uint32_t id);
Frame GoAwayFrame(uint32_t last_good_stream_id, GoAwayStatus status);

// A short name for logs and errors: "SYN_STREAM", "DATA", ...
const char* FrameTypeName(FrameType type);

}  // namespace cri_dockerd::streaming::spdy
