// The CRI container log format that kubelet and `crictl logs` read
// (k8s.io/cri-api, pkg/apis/runtime/v1: "Container logs"): one line per
// entry,
//   <RFC3339Nano timestamp> <stdout|stderr> <F|P> <content>\n
// e.g. "2016-10-06T00:17:09.669794202Z stdout F log content", where P
// marks a piece of a longer line that the next lines with P and finally F
// complete.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "docker_client/log_types.h"

namespace cri_dockerd::logs {

// "2016-10-06T00:17:09.669794202Z": UTC, always nine fractional digits
// (kubelet parses any number; a fixed width keeps lines sortable).
std::string FormatCriTimestamp(absl::Time t);

// Appends the CRI log line for `entry`. A full line's trailing '\r' (TTY
// output ends lines with "\r\n") is dropped, as containerd's CRI logger
// does. Docker never puts '\n' inside an entry; if one did, each piece
// would become its own line (F, the last one as the entry says).
void AppendCriLogLines(const docker::LogEntry& entry, std::string* out);

// One parsed line of a CRI log file (views into the line).
struct CriLogLine {
  absl::Time timestamp;
  absl::string_view stream;
  bool partial = false;
  absl::string_view content;
};

// Parses one line (without its '\n') the way kubelet does: timestamp,
// stream ("stdout"/"stderr"), tag (F or P, possibly followed by ":..."
// for future tags), content. nullopt if it is not such a line.
std::optional<CriLogLine> ParseCriLogLine(absl::string_view line);

}  // namespace cri_dockerd::logs
