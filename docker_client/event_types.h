// Plain structs for docker's event stream (GET /events), as cri/events/
// needs them. No JSON or HTTP here.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace cri_dockerd::docker {

// One message of docker's event stream.
struct Event {
  std::string type;    // "container", "image", "network", ...
  std::string action;  // "create", "start", "die", "destroy", ...
  std::string id;      // the actor: a container's full ID
  // When docker logged it, to the nanosecond (docker's timeNano).
  int64_t time_nano = 0;
  // The actor's attributes. For containers: the container's labels plus
  // "name" and "image" (and "exitCode" on "die").
  std::map<std::string, std::string> attributes;
};

// GET /events?since=..&filters=..
struct EventStreamOptions {
  // Replays the events docker still holds (dockerd keeps the last ~256
  // in memory, none across its own restart) stamped at or after this time
  // -- inclusive, to the nanosecond -- before following new ones.
  // InfinitePast: only events from now on.
  absl::Time since = absl::InfinitePast();
  // docker's filters, e.g. {"type", {"container"}}, {"event", {"start"}},
  // {"label", {"k", "k=v"}}. Values of one key are alternatives, except
  // "label" whose values must all match.
  std::map<std::string, std::vector<std::string>> filters;
  // Called for each event, in docker's order, from the calling thread.
  std::function<void(const Event&)> on_event = nullptr;
  // Polled at least every check_interval whether or not events arrive; a
  // non-OK status ends the call with that status. May be empty.
  std::function<absl::Status()> check = nullptr;
  absl::Duration check_interval = absl::Milliseconds(100);
};

}  // namespace cri_dockerd::docker
