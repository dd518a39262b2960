// Making a rename or unlink in a directory durable: the fsync of the
// directory itself that must follow an atomic write-then-rename.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace cri_dockerd::fs {

// Opens the directory `dir` (read-only) and fsyncs it, so that a completed
// rename or unlink in it survives a power loss. Errors carry errno's code
// (absl::ErrnoToStatus) and name the directory.
absl::Status SyncDir(const std::string& dir);

}  // namespace cri_dockerd::fs
