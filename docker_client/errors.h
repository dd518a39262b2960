// The one mapping from Docker Engine HTTP replies to absl::Status codes.
// Callers classify with absl::IsNotFound(s) etc., never by message text.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace cri_dockerd::docker {

// Maps a docker reply to a status; 2xx is OK. `what` names the request
// ("GET /info") and prefixes the message, which carries docker's own
// explanation (the "message" field of its JSON error body, else the raw
// body, else "HTTP <code>"):
//   404 -> NotFound
//   409 -> AlreadyExists if docker says the name/object is "already in use"
//          or "already exists", else FailedPrecondition (e.g. removing a
//          running container)
//   400 -> InvalidArgument, 401 -> Unauthenticated, 403 -> PermissionDenied
//   5xx -> Internal, anything else -> Unknown.
// Codes docker uses for success-like outcomes (304 "already started") are
// the caller's to handle before calling this.
absl::Status MapDockerError(int http_status, std::string_view body,
                            std::string_view what);

}  // namespace cri_dockerd::docker
