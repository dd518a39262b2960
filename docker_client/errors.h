// The one mapping from Docker Engine HTTP replies to absl::Status codes.
// Callers classify with absl::IsNotFound(s) etc., never by message text.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::docker {

// Maps a docker reply to a status; 2xx is OK. `what` names the request
// ("GET /info") and prefixes the message, which carries docker's own
// explanation (the "message" field of its JSON error body, else the raw
// body, else "HTTP <code>"):
//   404 -> NotFound
//   409 -> AlreadyExists if docker says the name/object is "already in use"
//          or "already exists", else FailedPrecondition (e.g. removing a
//          running container, or an image a container uses: "conflict:
//          unable to remove repository reference ... (must force)",
//          "unable to delete ... (must be forced) - image is being used")
//   400 -> InvalidArgument, 401 -> Unauthenticated, 403 -> PermissionDenied
//   5xx -> Internal, anything else -> Unknown.
// Codes docker uses for success-like outcomes (304 "already started") are
// the caller's to handle before calling this.
absl::Status MapDockerError(int http_status, std::string_view body,
                            std::string_view what);

// True for docker's 409 "removal of container <name> is already in
// progress": another DELETE of the same container is under way. Like
// MapDockerError's 409 split, this reads docker's wording because nothing
// else tells that conflict apart.
bool IsRemovalInProgress(int http_status, std::string_view body);

// Classifies the text of a failed pull (a stream's "error" message or an
// error reply of POST /images/create), case-insensitively, by the first
// row that matches:
//   Unauthenticated  "unauthorized", "authentication required", "no basic
//                    auth credentials", "denied: requested access",
//                    "incorrect username or password", or the bare
//                    "denied" dockerd 20.10 reports for a registry's 403
//   NotFound         "manifest unknown", "not found", "does not exist"
//   Unavailable      "connection refused", "no such host", "i/o timeout",
//                    "TLS handshake timeout", "dial tcp", "server
//                    misbehaving", "network is unreachable", "context
//                    deadline exceeded", "connection reset"
//   InvalidArgument  "invalid reference format"
//   Unknown          anything else (also for OK: `message` is an error).
// Docker's reply for a private or missing Docker Hub repository ("pull
// access denied ..., repository does not exist or may require 'docker
// login': denied: requested access ...") is thus Unauthenticated. The
// returned status's message is `message` unchanged. Pull errors have no
// other machine-readable form; this is the one place their text is read.
absl::Status ClassifyPullError(absl::string_view message);

// A non-2xx reply to POST /images/create (before any progress stream):
// 400 -> InvalidArgument, 401 -> Unauthenticated, else
// ClassifyPullError(docker's message), where an unclassified 404 stays
// NotFound. The message is "<what>: <docker's message>".
absl::Status MapPullHttpError(int http_status, std::string_view body,
                              std::string_view what);

}  // namespace cri_dockerd::docker
