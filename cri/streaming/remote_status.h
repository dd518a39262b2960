// What the exec/attach error stream carries at the end of a session. The
// v4 protocols send a JSON-encoded Kubernetes metav1.Status (client-go
// turns a NonZeroExitCode one into the command's exit code); older ones
// send nothing on success and an error text otherwise. Also the parser of
// the resize stream's JSON terminal sizes.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cri/streaming/runtime.h"

namespace cri_dockerd::streaming {

// The outcome of an exec/attach as the client should see it.
struct RemoteOutcome {
  // Set when the command ran to completion; 0 is success.
  std::optional<int> exit_code;
  // Otherwise why it failed (an internal error for the client).
  absl::Status error;
};

// metav1.Status JSON for the v4 protocols.
std::string V4StatusJson(const RemoteOutcome& outcome);
// The text the pre-v4 protocols write; empty on success.
std::string LegacyStatusText(const RemoteOutcome& outcome);

// Accumulates the resize stream and yields each complete JSON object's
// Width/Height ({"Width":80,"Height":24}). Garbage resynchronises at the
// next '{'; an object larger than 4 KiB is dropped.
class ResizeParser {
 public:
  void Feed(absl::string_view data);
  std::optional<TerminalSize> Next();

 private:
  std::string buf_;
};

}  // namespace cri_dockerd::streaming
