// CurlDockerClient's event stream: GET /events, followed as it arrives.
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "docker_client/curl_docker_client.h"
#include "docker_client/errors.h"
#include "docker_client/json_decode_events.h"
#include "docker_client/json_encode_containers.h"
#include "docker_client/url_escape.h"

namespace cri_dockerd::docker {

// GET /events[?since=..][&filters=..]. docker sends the headers at once
// and then one JSON object per line for as long as the client listens;
// it ends the stream only when it shuts down (OK here). A connection
// that breaks mid-stream is Unavailable (from HttpTransport).
absl::Status CurlDockerClient::StreamEvents(const EventStreamOptions& options,
                                            absl::Time deadline) {
  std::vector<std::string> params;
  if (options.since != absl::InfinitePast()) {
    params.push_back("since=" + FormatEventTime(options.since));
  }
  if (std::string filters = EncodeContainerFilters(options.filters);
      !filters.empty()) {
    params.push_back("filters=" + EscapeQueryValue(filters));
  }
  HttpRequest request;
  request.path = absl::StrCat("/events", params.empty() ? "" : "?",
                              absl::StrJoin(params, "&"));
  request.deadline = deadline;
  EventStreamDecoder decoder;
  const EventStreamDecoder::Sink sink = [&](const Event& event) {
    if (options.on_event) options.on_event(event);
  };
  request.check = options.check;
  request.check_interval = options.check_interval;
  return CallStreamed(
      std::move(request), "GET /events",
      [&](absl::string_view chunk) { return decoder.Feed(chunk, sink); },
      [&] { return decoder.Finish(sink); }, MapDockerError);
}

}  // namespace cri_dockerd::docker
