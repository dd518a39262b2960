// Decoding of docker's event stream (GET /events): newline-separated JSON
// objects, fed in arbitrary pieces as they arrive. Internal to
// docker_client/; the stream is untrusted input and nothing here throws.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "docker_client/event_types.h"

namespace cri_dockerd::docker {

// One event object. Reads Type/Action/Actor{ID,Attributes}/timeNano, and
// falls back to the fields older daemons send (status, id, time in
// seconds) when the newer ones are missing. Internal for malformed JSON
// or a non-object.
absl::StatusOr<Event> DecodeEvent(absl::string_view json);

// Splits the stream into lines and decodes each. A line longer than
// kMaxEventLine is ResourceExhausted; a malformed one is Internal (the
// stream cannot be trusted past it).
class EventStreamDecoder {
 public:
  using Sink = std::function<void(const Event&)>;
  static constexpr size_t kMaxEventLine = size_t{1} << 20;

  absl::Status Feed(absl::string_view chunk, const Sink& sink);
  // At the end of the stream: a final line without '\n' is decoded too.
  absl::Status Finish(const Sink& sink);

 private:
  absl::Status DecodeLine(absl::string_view line, const Sink& sink);

  std::string pending_;
};

// docker's `since`/`until` syntax for an instant: "<seconds>.<9 digits>".
std::string FormatEventTime(absl::Time t);

}  // namespace cri_dockerd::docker
