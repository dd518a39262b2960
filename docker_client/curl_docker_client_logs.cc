// CurlDockerClient's log calls: following a container's log stream.
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "docker_client/curl_docker_client.h"
#include "docker_client/errors.h"
#include "docker_client/log_stream_decoder.h"
#include "docker_client/url_escape.h"

namespace cri_dockerd::docker {
namespace {

// MapDockerError, but 501 (a logging driver docker cannot read back) is
// FailedPrecondition: retrying cannot help.
absl::Status MapLogsError(int http_status, std::string_view body,
                          std::string_view what) {
  absl::Status s = MapDockerError(http_status, body, what);
  if (http_status == 501) {
    return absl::FailedPreconditionError(s.message());
  }
  return s;
}

}  // namespace

// GET /containers/{id}/logs?follow=1&stdout=1&stderr=1&timestamps=1
// [&since=..], decoded as it arrives. Docker ends the stream once the
// container is not running (at once for a stopped one, after its last
// output otherwise). A logging driver docker cannot read back answers
// 501, which MapDockerError would call Internal; retrying cannot help, so
// it is FailedPrecondition here (MapLogsError).
absl::Status CurlDockerClient::FollowContainerLogs(
    const LogStreamOptions& options, absl::Time deadline) {
  ASSIGN_OR_RETURN(const std::string escaped,
                   EscapePathSegment(options.id, "container ID or name"));
  const std::string what = absl::StrCat("GET /containers/", escaped, "/logs");
  HttpRequest request;
  request.path = absl::StrCat("/containers/", escaped,
                              "/logs?follow=1&stdout=1&stderr=1&timestamps=1");
  if (const std::string since = FormatLogSince(options.since); !since.empty()) {
    absl::StrAppend(&request.path, "&since=", since);
  }
  request.deadline = deadline;
  LogStreamDecoder decoder(options.tty);
  const LogStreamDecoder::Sink sink = [&](const LogEntry& entry) {
    if (options.on_entry) options.on_entry(entry);
  };
  request.check = options.check;
  return CallStreamed(
      std::move(request), what,
      [&](absl::string_view chunk) { return decoder.Feed(chunk, sink); },
      [&] { return decoder.Finish(sink); }, MapLogsError);
}

}  // namespace cri_dockerd::docker
