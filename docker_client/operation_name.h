// Names Docker Engine API exchanges for metrics without the identifiers
// in their paths, so that label values stay few: "GET
// /containers/abc123/json?size=1" on "/v1.43" becomes
// "GET /containers/{id}/json".
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace cri_dockerd::docker {

// `method` and a request path as sent (API version prefix and query
// string optional). Unknown paths keep their first segment only
// ("GET /plugins/{...}"), so a new call never adds unbounded labels.
std::string OperationName(absl::string_view method, absl::string_view path);

}  // namespace cri_dockerd::docker
