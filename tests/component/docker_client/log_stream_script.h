// Container logs as docker streams them, made up for the log stream tests:
// numbered lines with increasing timestamps, framed as docker frames them
// for a non-TTY container (stdcopy frames, stdout and stderr taking turns)
// or back to back for a TTY one, with the entries a reader must get.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "docker_client/log_types.h"
#include "docker_client/mux_stream_decoder.h"

namespace cri_dockerd::docker {

// A time docker would stamp: ns precision, well after the epoch.
inline absl::Time LogTime(int stream, int line) {
  return absl::FromUnixSeconds(1700000000 + stream) +
         absl::Nanoseconds(1000 * line + 7);
}

// Line `line` of stream `stream`, without its newline.
inline std::string LogLine(int stream, int line) {
  return absl::StrCat("stream ", stream, " line ", line, " of the log");
}

// One stored message on the wire, as a piece of the body.
inline std::string LogMessage(bool tty, int stream, int line) {
  const std::string text =
      absl::StrCat(absl::FormatTime("%Y-%m-%d%ET%H:%M:%E9SZ",
                                    LogTime(stream, line), absl::UTCTimeZone()),
                   " ", LogLine(stream, line), "\n");
  if (tty) return text;
  return EncodeMuxFrame(line % 3 == 2 ? MuxStream::kStderr : MuxStream::kStdout,
                        text);
}

// What a reader gets for LogMessage(tty, stream, line).
inline LogEntry ExpectedEntry(bool tty, int stream, int line) {
  LogEntry e;
  e.stream = !tty && line % 3 == 2 ? "stderr" : "stdout";
  e.timestamp = LogTime(stream, line);
  e.line = LogLine(stream, line);
  return e;
}

inline std::vector<LogEntry> ExpectedEntries(bool tty, int stream, int lines) {
  std::vector<LogEntry> out;
  for (int i = 0; i < lines; ++i) out.push_back(ExpectedEntry(tty, stream, i));
  return out;
}

inline bool SameEntry(const LogEntry& a, const LogEntry& b) {
  return a.stream == b.stream && a.timestamp == b.timestamp &&
         a.line == b.line && a.partial == b.partial;
}

}  // namespace cri_dockerd::docker
