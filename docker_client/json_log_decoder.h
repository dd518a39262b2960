// Decodes docker's json-file log, the file at a container's LogPath
// (/var/lib/docker/containers/<id>/<id>-json.log), one line per entry:
//   {"log":"text\n","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}
// Docker appends "\n" to `log` only when the entry ends a line; an entry
// whose `log` lacks it is a piece of a longer line (docker cuts lines
// into 16 KiB pieces), continued by the next entry. The file is read
// while docker appends to it, so its last line may be torn (not yet
// ended by '\n'): that is no error, the reader waits for the rest.
#pragma once

#include <cstddef>
#include <functional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "docker_client/log_types.h"

namespace cri_dockerd::docker {

// Decodes one line (without its '\n'). LogEntry::line is `log` without
// its trailing "\n"; partial is true when `log` has none. An entry
// without "stream" is stdout. InvalidArgument if the line is not such an
// object or has no valid "time".
absl::StatusOr<LogEntry> DecodeJsonLogLine(absl::string_view line);

// Just the "time" of one line, cheaper than a full decode when the text
// is long. False if the line has no valid time.
bool JsonLogLineTime(absl::string_view line, absl::Time* out);

struct JsonLogChunkResult {
  // Bytes of `data` up to and including the last '\n': the rest is a
  // torn line to be fed again with what follows it.
  size_t consumed = 0;
  // Complete lines that did not decode (skipped).
  size_t malformed = 0;
};

// Decodes every complete line of `data`, calling `sink` per entry in
// file order; blank lines are skipped.
JsonLogChunkResult DecodeJsonLogLines(
    absl::string_view data, const std::function<void(LogEntry&&)>& sink);

}  // namespace cri_dockerd::docker
