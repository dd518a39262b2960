#include "docker_client/log_follow_request.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "docker_client/errors.h"
#include "docker_client/log_stream_decoder.h"
#include "docker_client/url_escape.h"

namespace cri_dockerd::docker {

absl::StatusOr<LogFollowRequest> MakeLogFollowRequest(const std::string& id,
                                                      absl::Time since) {
  ASSIGN_OR_RETURN(const std::string escaped,
                   EscapePathSegment(id, "container ID or name"));
  LogFollowRequest request;
  request.what = absl::StrCat("GET /containers/", escaped, "/logs");
  request.path = absl::StrCat("/containers/", escaped,
                              "/logs?follow=1&stdout=1&stderr=1&timestamps=1");
  if (const std::string s = FormatLogSince(since); !s.empty()) {
    absl::StrAppend(&request.path, "&since=", s);
  }
  return request;
}

absl::Status MapLogsError(int http_status, std::string_view body,
                          std::string_view what) {
  absl::Status s = MapDockerError(http_status, body, what);
  if (http_status == 501) {
    return absl::FailedPreconditionError(s.message());
  }
  return s;
}

}  // namespace cri_dockerd::docker
