// Rewrites a container's resolv.conf from the pod's CRI DNS config, as the
// Go shim does: nameserver lines, one search line, one options line.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "proto/cri_api.h"

namespace cri_dockerd {

// The file's new content for `dns` ("" when the config is empty, meaning
// "keep docker's").
std::string ResolvConfContent(const runtime::v1::DNSConfig& dns);

// Replaces the content of `path` (docker's per-container resolv.conf)
// when `dns` says anything. A missing path is FailedPrecondition; values
// with newlines are InvalidArgument (they would inject directives).
absl::Status RewriteResolvConf(const std::string& path,
                               const runtime::v1::DNSConfig& dns);

}  // namespace cri_dockerd
