// Decodes the body of GET /containers/{id}/logs?timestamps=1 into
// LogEntry values, fed in pieces of any size as they arrive.
//
// Docker writes one message per stored log entry, "<RFC3339Nano timestamp>
// <text>", where <text> ends in '\n' unless docker split a long line (its
// copier cuts lines into 16 KiB pieces that share the first piece's
// timestamp). Non-TTY containers get each message in a frame of docker's
// multiplexed stream: an 8-byte header [stream (0 stdin, 1 stdout,
// 2 stderr, 3 docker's own error), 0, 0, 0, big-endian uint32 size], then
// the message. TTY containers get the messages back to back with no
// framing; there a split line is recognised by its shape: a 16 KiB piece
// with no '\n' followed by the same timestamp.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "docker_client/log_types.h"

namespace cri_dockerd::docker {

// The size of the pieces docker's log copier cuts long lines into.
inline constexpr size_t kDockerLogPieceSize = 16 * 1024;

// Parses docker's "2006-01-02T15:04:05.000000000Z" (any RFC 3339 time).
bool ParseDockerLogTimestamp(absl::string_view text, absl::Time* out);

// Docker's `since` query value: "<unix seconds>.<nanoseconds>", e.g.
// "1700000000.123456789"; empty (no filter) at or before the epoch.
std::string FormatLogSince(absl::Time since);

class LogStreamDecoder {
 public:
  using Sink = std::function<void(const LogEntry&)>;

  explicit LogStreamDecoder(bool tty) : tty_(tty) {}

  // Decodes what `chunk` completes, calling `sink` per entry in order.
  // Fails on a frame of unknown stream type or one over 16 MiB (the
  // stream is then unusable). Docker's own error messages (stream 3, or
  // "Error grabbing logs: ..." in a TTY stream) are logged and skipped,
  // as docker goes on after them. A message without a timestamp gets the
  // previous entry's (or now, if none).
  absl::Status Feed(absl::string_view chunk, const Sink& sink);

  // The stream ended cleanly: delivers a TTY stream's unterminated last
  // message (partial, as docker stored it without a newline). Unavailable
  // if it ended inside a frame (the connection broke).
  absl::Status Finish(const Sink& sink);

 private:
  absl::Status DecodeFrames(const Sink& sink);
  void DecodeRaw(bool at_end, const Sink& sink);
  // A whole multiplexed message: "<timestamp> <text>".
  void EmitMessage(const char* stream, absl::string_view message,
                   const Sink& sink);
  // Splits `text` at '\n' into entries; the last is partial unless `text`
  // ends in '\n'.
  void EmitText(const char* stream, absl::Time ts, absl::string_view text,
                const Sink& sink);
  // Reads "<timestamp> " at the start of `text`; false if there is none.
  bool TakeTimestamp(absl::string_view* text, absl::Time* ts) const;
  absl::Time FallbackTime() const;

  const bool tty_;
  std::string buf_;  // undecoded bytes
  absl::Time last_ts_ = absl::InfinitePast();
  // TTY streams: inside a message whose timestamp was already consumed.
  bool mid_message_ = false;
  std::string message_ts_text_;  // that timestamp as docker wrote it
};

}  // namespace cri_dockerd::docker
