// Percent-encoding for the paths and query strings of engine requests, so
// that names taken from CRI requests ("localhost:5000/busybox:1.36",
// "repo@sha256:...") cannot inject '?', '#', spaces or control bytes.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::docker {

// A query-string value: everything but RFC 3986's unreserved characters
// (A-Z a-z 0-9 - . _ ~) is percent-encoded.
std::string EscapeQueryValue(absl::string_view value);

// An image name, ID, tag or digest reference as the {name} of
// /images/{name}/...: docker routes it with '/' unescaped, so '/', ':' and
// '@' are kept, the unreserved characters too, everything else is
// percent-encoded. InvalidArgument for an empty name or one with an empty,
// "." or ".." segment (dockerd's router would redirect those, or they
// would address another endpoint); no image reference has them.
absl::StatusOr<std::string> EscapeImageName(absl::string_view name);

// One path segment, like the {id} of /containers/{id}/...: everything but
// the unreserved characters is percent-encoded. InvalidArgument for an
// empty segment, "." or "..", or one holding '/' (dockerd decodes %2F and
// redirects the cleaned path, so no escaping makes those safe). `what`
// ("container ID") names the value in the message.
absl::StatusOr<std::string> EscapePathSegment(absl::string_view segment,
                                              absl::string_view what);

}  // namespace cri_dockerd::docker
