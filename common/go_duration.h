// Go time.Duration syntax ("1m0s", "90s", "1h2m3.5s", "500ms", "0"), so
// flags read and print exactly like the Go cri-dockerd's.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cri_dockerd {

// Parses a Go duration string. Negative values are allowed as in Go.
absl::StatusOr<absl::Duration> ParseGoDuration(std::string_view text);

// Formats like Go's Duration.String(): "1m0s", "1.5s", "0s", "100ms".
std::string FormatGoDuration(absl::Duration d);

}  // namespace cri_dockerd
