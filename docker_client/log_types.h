// Plain structs for following a container's log stream
// (GET /containers/{id}/logs?follow=1&timestamps=1), as cri/logs/ needs
// them. No JSON or HTTP here.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace cri_dockerd::docker {

// One message of a container's output as docker's logging driver stored
// it: a line, or a piece of a line docker split because it was longer
// than its 16 KiB buffer (all pieces of one line carry the first piece's
// timestamp; the last piece is not partial).
struct LogEntry {
  std::string stream;  // "stdout" or "stderr" (TTY containers: "stdout")
  absl::Time timestamp;
  std::string line;      // without the trailing newline
  bool partial = false;  // more of this line follows in the next entry
};

// GET /containers/{id}/logs?follow=1&stdout=1&stderr=1&timestamps=1
struct LogStreamOptions {
  std::string id = {};  // container ID or name
  // Only entries stamped at or after this time (docker's `since` is
  // inclusive); InfinitePast: from the start of the log.
  absl::Time since = absl::InfinitePast();
  // The container's Config.Tty: TTY containers' logs come as one raw
  // stream, others' in docker's multiplexed framing.
  bool tty = false;
  // Called for each entry, in the order docker stored them.
  std::function<void(const LogEntry&)> on_entry = nullptr;
  // Polled at least every 100 ms whether or not output arrives; a non-OK
  // status ends the call with that status. May be empty.
  std::function<absl::Status()> check = nullptr;
};

}  // namespace cri_dockerd::docker
