// The daemon's one watch of docker's event stream: turned into CRI events
// for the shim's containers and pod sandboxes and fanned out to every
// GetContainerEvents subscriber, and handed raw to a DockerWatchListener
// (the in-memory container view).
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cri/events/container_state_tracker.h"
#include "cri/events/describe_workers.h"
#include "cri/events/event_broadcaster.h"
#include "docker_client/docker_client.h"
#include "proto/cri_api.h"

namespace cri_dockerd::events {

class DockerWatchListener;

struct EventSourceOptions {
  // Undelivered events one subscriber may have before it is dropped.
  size_t subscriber_queue_limit = 1024;
  // docker events read but not yet dispatched; past this the backlog is
  // discarded and replaced by a resynchronisation from a listing, and
  // every subscriber is dropped (it may miss changes the listing cannot
  // show, such as a container created and removed meanwhile).
  size_t backlog_limit = 4096;
  // Threads describing changes (DescribeWorkers), and how many changes
  // may wait for them before every subscriber is dropped.
  size_t describe_threads = 4;
  size_t describe_queue_limit = 4096;
  // Reconnection backoff after docker went away: doubles up to the max.
  absl::Duration min_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(8);
  // Bound on the ping and listing around a (re)connection.
  absl::Duration docker_timeout = absl::Seconds(30);
};

// How it works:
//  - Start() (or the first Subscribe()) starts two threads; they run until
//    Stop() (so do the describing threads, from the first change anyone
//    subscribed to). The reader keeps one GET /events open (container, image
//    and network events; the actions DockerWatchListener lists), hands each
//    event to the listener and queues the shim's container lifecycle
//    events (create, start, die, destroy of containers labelled
//    io.kubernetes.docker.type), so docker (which drops events for a
//    client that does not read) is never kept waiting. The dispatcher maps
//    each event through a ContainerStateTracker and, when anyone
//    subscribes, hands the change to DescribeWorkers, which describes it
//    once (docker calls, on the workers' threads: the dispatcher makes no
//    docker call per event) and publishes it to every subscriber's
//    bounded queue (EventBroadcaster). Each container's events, indeed
//    each pod's, keep docker's order.
//  - When the stream fails (dockerd stopped or restarted), the reader
//    pings with exponential backoff and reconnects with since=<time of
//    the last event read> (or of the first connection), so events docker
//    still holds are replayed rather than lost. Because a restarted
//    dockerd holds no history, every (re)connection is also followed by
//    a resynchronisation: the dispatcher lists the shim's containers and
//    reports what changed meanwhile (a container that stopped, vanished
//    or appeared gets one event with its current state). Replays and
//    events the listing already explained are dropped by the tracker
//    (a container's lifecycle only moves forward), so nothing is
//    reported twice. An overflowing backlog is handled the same way, and
//    also ends every subscription (EventBroadcaster::DropAll): a listing
//    shows states, not every change it stands in for.
//  - The first listing after the first connection only records state:
//    subscribers get events from the moment they subscribe.
class ContainerEventSource {
 public:
  // `docker` and `listener` (may be null) must outlive this object.
  ContainerEventSource(docker::DockerClient* docker, EventDescriber describe,
                       EventSourceOptions options = {},
                       DockerWatchListener* listener = nullptr);
  ~ContainerEventSource();  // Stop()
  ContainerEventSource(const ContainerEventSource&) = delete;
  ContainerEventSource& operator=(const ContainerEventSource&) = delete;

  // Starts watching docker (at daemon start, so the listener is fed
  // whether or not anyone subscribes). Idempotent; nothing after Stop().
  // ResourceExhausted if its threads cannot be created (then, if one of
  // the two was, the source is stopped).
  absl::Status Start();

  // Joins the fan-out (see EventBroadcaster::Subscription::Next); starts
  // watching docker if Start() was not called. After Stop() the
  // subscription reads as closed.
  std::unique_ptr<EventBroadcaster::Subscription> Subscribe();

  // Ends every subscription and stops watching docker (joins the
  // threads; descriptions in progress finish first). Idempotent.
  void Stop();

 private:
  struct Item {
    bool resync = false;  // else `event`
    docker::Event event;
  };
  void ReadLoop();
  void DispatchLoop();
  // One pass of the reader: ping, queue a resync, follow the stream from
  // *resume_from (advanced as events arrive).
  absl::Status ReadOnce(absl::Time* resume_from);
  void Enqueue(Item item) ABSL_LOCKS_EXCLUDED(mu_);
  // Lists the shim's containers and publishes what changed; false if
  // docker could not list them.
  // `initial`: record only (ContainerStateTracker::Baseline); the first
  // listing that succeeds is one.
  bool Resync(ContainerStateTracker& tracker, bool initial);
  void Publish(const ContainerChange& change);
  bool Stopping() const ABSL_LOCKS_EXCLUDED(mu_);

  // Constant after construction.
  docker::DockerClient* const docker_;
  const EventSourceOptions options_;
  DockerWatchListener* const listener_;  // may be null
  EventBroadcaster broadcaster_;
  DescribeWorkers describers_;  // publishes to broadcaster_

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // When the watch started (set once, before the threads).
  absl::Time started_at_ = absl::InfinitePast();
  std::deque<Item> backlog_ ABSL_GUARDED_BY(mu_);
  std::thread reader_;      // set once under mu_, joined by Stop()
  std::thread dispatcher_;  // likewise
};

}  // namespace cri_dockerd::events
