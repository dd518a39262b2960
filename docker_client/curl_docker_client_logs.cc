// CurlDockerClient's log calls: following a container's log stream on the
// calling thread, and the multiplexed follower for many streams.
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "docker_client/curl_docker_client.h"
#include "docker_client/curl_log_stream_mux.h"
#include "docker_client/log_follow_request.h"
#include "docker_client/log_stream_decoder.h"

namespace cri_dockerd::docker {

// GET /containers/{id}/logs?follow=1&stdout=1&stderr=1&timestamps=1
// [&since=..], decoded as it arrives. Docker ends the stream once the
// container is not running (at once for a stopped one, after its last
// output otherwise). A logging driver docker cannot read back answers
// 501, which MapDockerError would call Internal; retrying cannot help, so
// it is FailedPrecondition here (MapLogsError).
absl::Status CurlDockerClient::FollowContainerLogs(
    const LogStreamOptions& options, absl::Time deadline) {
  ASSIGN_OR_RETURN(LogFollowRequest follow,
                   MakeLogFollowRequest(options.id, options.since));
  HttpRequest request;
  request.path = std::move(follow.path);
  request.deadline = deadline;
  LogStreamDecoder decoder(options.tty);
  const LogStreamDecoder::Sink sink = [&](const LogEntry& entry) {
    if (options.on_entry) options.on_entry(entry);
  };
  request.check = options.check;
  return CallStreamed(
      std::move(request), follow.what,
      [&](absl::string_view chunk) { return decoder.Feed(chunk, sink); },
      [&] { return decoder.Finish(sink); }, MapLogsError);
}

// The mux reaches dockerd through this client's endpoint and negotiation:
// it asks for the API version when a stream starts, and tells the client
// what the engine's replies reveal (a changed daemon, one gone away), as
// Send does for the client's own calls.
absl::StatusOr<std::unique_ptr<LogStreamMux>>
CurlDockerClient::NewLogStreamMux() {
  CurlLogStreamMux::Engine engine;
  engine.endpoint = endpoint();
  engine.api_version = [this](absl::Time deadline) {
    return ApiVersion(deadline);
  };
  engine.note_headers =
      [this](const std::map<std::string, std::string>& headers) {
        return NoteDaemonApiVersion(headers);
      };
  engine.on_unavailable = [this] { ForgetApiVersion(); };
  engine.observer = transport_.observer();
  ASSIGN_OR_RETURN(std::unique_ptr<CurlLogStreamMux> mux,
                   CurlLogStreamMux::Create(std::move(engine)));
  return std::unique_ptr<LogStreamMux>(std::move(mux));
}

}  // namespace cri_dockerd::docker
