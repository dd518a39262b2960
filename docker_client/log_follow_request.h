// The request that follows a container's log stream, shared by
// CurlDockerClient::FollowContainerLogs and CurlLogStreamMux: its path and
// the mapping of docker's error replies to it.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cri_dockerd::docker {

struct LogFollowRequest {
  // Unversioned, with the query: "/containers/<id>/logs?follow=1&stdout=1&
  // stderr=1&timestamps=1[&since=<FormatLogSince(since)>]".
  std::string path;
  // What a status message names the request by: "GET /containers/<id>/logs".
  std::string what;
};

// The request for container `id` (percent-encoded into the path) from
// `since`; InvalidArgument for an ID EscapePathSegment rejects.
absl::StatusOr<LogFollowRequest> MakeLogFollowRequest(const std::string& id,
                                                      absl::Time since);

// MapDockerError, but 501 (a logging driver docker cannot read back) is
// FailedPrecondition: retrying cannot help.
absl::Status MapLogsError(int http_status, std::string_view body,
                          std::string_view what);

}  // namespace cri_dockerd::docker
