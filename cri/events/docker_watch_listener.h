// What else follows the daemon's one watch of docker's event stream
// (ContainerEventSource) besides GetContainerEvents: a listener sees the
// raw events and the stream's connections coming and going, so that an
// in-memory copy of docker's state (container_view::ContainerView) can be
// kept current without a second GET /events.
#pragma once

#include "absl/status/status.h"
#include "docker_client/event_types.h"

namespace cri_dockerd::events {

// Called on the watch's reader thread, in this order per connection:
// OnWatchConnecting, OnDockerEvent for each event, OnWatchDisconnected.
// Every call must return quickly and never call docker: docker drops the
// stream of a client that does not read.
class DockerWatchListener {
 public:
  virtual ~DockerWatchListener() = default;

  // docker answered a ping and the stream is about to be (re)opened. The
  // stream replays what docker still holds since the last event read (or
  // since the watch started), so a listing of docker's state taken from
  // now on misses nothing that the events do not then bring.
  virtual void OnWatchConnecting() = 0;

  // One event read from the stream, in docker's order, before the watch
  // does anything else with it. The stream carries container events
  // (create, start, die, destroy, rename, update, pause, unpause, oom; a
  // kill or stop that changes anything is followed by die), image events
  // (delete, import, load, pull, tag, untag) and network connect and
  // disconnect, of every container: the listener picks what concerns it.
  virtual void OnDockerEvent(const docker::Event& event) = 0;

  // The stream ended (dockerd stopped or restarted, the connection broke,
  // or the watch stops): events may be missed until the next
  // OnWatchConnecting.
  virtual void OnWatchDisconnected(const absl::Status& status) = 0;
};

}  // namespace cri_dockerd::events
