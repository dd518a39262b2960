// Splits docker's multiplexed stream (the body of a non-TTY attach or exec
// start, as docker's stdcopy writes it) into its frames, fed in pieces of
// any size as they arrive. A frame is an 8-byte header [stream type (0
// stdin, 1 stdout, 2 stderr, 3 docker's own error), 0, 0, 0, big-endian
// uint32 payload size] followed by the payload. The payload is handed over
// as is: no line splitting, no timestamps (LogStreamDecoder does that for
// log streams, whose payloads are timestamped log messages).
//
// For the output of a non-TTY StartExecInteractive or AttachContainer
// connection: feed each chunk HijackedConn::Read returns, and call
// Finish() at its EOF.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::docker {

enum class MuxStream : uint8_t {
  kStdin = 0,
  kStdout = 1,
  kStderr = 2,
  kSystemErr = 3,  // docker's own error message about the stream
};

// One frame as docker writes it: the 8-byte header for `stream` and
// payload.size(), then the payload (at most
// MuxStreamDecoder::kMaxFrameSize bytes).
std::string EncodeMuxFrame(MuxStream stream, absl::string_view payload);

class MuxStreamDecoder {
 public:
  using Sink = std::function<void(MuxStream stream, absl::string_view data)>;

  // Frames whose payload is larger than this are taken for garbage (the
  // framing was lost). Docker's stdcopy writes at most 32 KiB per frame.
  static constexpr uint32_t kMaxFrameSize = 16u << 20;

  // Decodes the frames `chunk` completes, calling `sink` per frame in
  // order (on the calling thread, before returning); a frame's payload may be
  // empty. Internal on a frame of unknown stream type or over kMaxFrameSize,
  // after which the decoder must not be fed again.
  absl::Status Feed(absl::string_view chunk, const Sink& sink);

  // The stream ended: Unavailable if it ended inside a frame (the
  // connection broke mid-frame).
  absl::Status Finish() const;

  // Bytes buffered awaiting the rest of their frame.
  size_t pending() const { return buf_.size(); }

 private:
  std::string buf_;  // the start of an incomplete frame
};

}  // namespace cri_dockerd::docker
