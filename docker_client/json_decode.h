// Decoding of Docker Engine JSON replies into the plain structs of types.h.
// Docker's replies are untrusted input: malformed JSON or a non-object top
// level is an error status, and missing or mistyped fields fall back to
// the struct's defaults. Nothing here throws.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "docker_client/types.h"

namespace cri_dockerd::docker {

// GET /version. Internal if the body is not a JSON object.
absl::StatusOr<VersionInfo> DecodeVersion(std::string_view body);

// GET /info. Internal if the body is not a JSON object. Runtimes is read
// from the keys of docker's "Runtimes" object (sorted by name).
absl::StatusOr<SystemInfo> DecodeInfo(std::string_view body);

// Docker's explanation from an error reply: the "message" field of its
// JSON body, else the trimmed raw body; long text is cut to ~1 KiB.
// Empty when the body says nothing.
std::string DecodeErrorMessage(std::string_view body);

}  // namespace cri_dockerd::docker
