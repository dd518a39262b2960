// Decoding of docker's image replies (list, inspect, remove, system df)
// and of its JSON-message stream (POST /images/create), plus encoding of
// the X-Registry-Auth header. Replies are untrusted input: malformed JSON
// or the wrong top-level type is Internal; missing or mistyped fields fall
// back to defaults. Nothing here throws.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "docker_client/types.h"

namespace cri_dockerd::docker {

// GET /images/json: a JSON array. RepoTags/RepoDigests may be null (read
// as empty); docker's placeholders "<none>:<none>" and "<none>@<none>" are
// dropped. A missing SharedSize reads as -1.
absl::StatusOr<std::vector<ImageSummary>> DecodeImageList(
    absl::string_view body);

// GET /images/{name}/json: a JSON object. Config may be null or absent
// (the config fields stay empty). raw_json is `body` itself.
absl::StatusOr<ImageInspect> DecodeImageInspect(absl::string_view body);

// DELETE /images/{name}: [{"Untagged": ...}, {"Deleted": ...}, ...].
absl::StatusOr<RemovedImage> DecodeRemovedImage(absl::string_view body);

// GET /system/df: LayersSize and Containers[].{Id, SizeRw}.
absl::StatusOr<DiskUsage> DecodeDiskUsage(absl::string_view body);

// One object of docker's JSON-message stream.
struct JsonMessage {
  PullProgress progress;
  // Non-empty when the message reports a failure ("error", else
  // "errorDetail.message"); the stream ends after it.
  std::string error;
};

// Splits docker's JSON-message stream into objects as bytes arrive.
// Docker writes one object per line, but nothing here relies on that:
// objects split across chunks, several per chunk, or with no separator
// between them all decode. Not thread-safe.
class JsonMessageStream {
 public:
  // Called once per complete object, in stream order; a non-OK status
  // stops Feed() and is returned from it.
  using Handler = std::function<absl::Status(const JsonMessage&)>;

  explicit JsonMessageStream(size_t max_message_bytes = size_t{1} << 20);

  // Consumes `chunk`, calling `handler` for each object it completes.
  // Errors: an object longer than max_message_bytes (ResourceExhausted),
  // bytes that cannot start an object or invalid JSON (Internal). After an
  // error the stream is unusable.
  absl::Status Feed(absl::string_view chunk, const Handler& handler);

  // At the end of the stream: Internal if an object was left incomplete.
  absl::Status Finish() const;

 private:
  const size_t max_message_bytes_;
  std::string pending_;  // bytes of the object in progress
  int depth_ = 0;        // brace/bracket nesting inside it
  bool in_string_ = false;
  bool escaped_ = false;
  absl::Status error_;
};

// The X-Registry-Auth header value for `auth`: base64url (with padding,
// like the docker CLI's base64.URLEncoding) of {"username", "password",
// "auth", "serveraddress", "identitytoken", "registrytoken"}. dockerd only
// reads username/password, so when both are empty and `auth` holds
// base64("user:pass"), they are filled from it. The value carries secrets:
// never log it.
std::string EncodeRegistryAuth(const RegistryAuth& auth);

}  // namespace cri_dockerd::docker
