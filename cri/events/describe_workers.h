// The describing stage of GetContainerEvents: turns each lifecycle change
// into the event clients get (the pod's sandbox status and container
// statuses, which costs docker calls) on a few worker threads, so the
// dispatcher that reads docker's events never waits for docker, and
// publishes the results to the subscribers.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "cri/events/container_state_tracker.h"
#include "cri/events/event_broadcaster.h"
#include "proto/cri_api.h"

namespace cri_dockerd::events {

// Describes changes of one pod (or, for a container without a pod, of one
// container), given in the order they happened: one event per change, in
// the same order. Reading the pod's state once serves every change, so a
// burst of a pod's changes costs one description. Called on a worker
// thread, never for the same pod on two threads at once.
using EventDescriber = std::function<std::vector<v1::ContainerEventResponse>(
    const std::vector<ContainerChange>& changes)>;

// How it works:
//  - Submit() files the change under its pod (ContainerChange::sandbox_id,
//    or its own ID without one) and returns at once.
//  - A worker takes the pod whose changes waited longest and that no other
//    worker is describing, takes every change queued for it, describes
//    them in one call and publishes the events in order. So each pod's
//    (and so each container's) events reach subscribers in the order
//    docker reported them; events of different pods may pass each other
//    (a slow description holds up only its own pod).
//  - At most `max_queued` changes wait: past that the queue is emptied
//    and every subscriber is dropped (EventBroadcaster::DropAll), so
//    clients learn that they missed events instead of memory growing.
// Thread-safe.
class DescribeWorkers {
 public:
  // `out` must outlive this object. The threads start with the first
  // Submit().
  DescribeWorkers(EventDescriber describe, EventBroadcaster* out,
                  size_t threads, size_t max_queued);
  ~DescribeWorkers();  // Stop()
  DescribeWorkers(const DescribeWorkers&) = delete;
  DescribeWorkers& operator=(const DescribeWorkers&) = delete;

  // Queues `change` for describing; nothing after Stop().
  void Submit(ContainerChange change) ABSL_LOCKS_EXCLUDED(mu_);

  // Drops what is queued, lets descriptions in progress finish (their
  // events are still published) and joins the threads. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // Changes queued and not yet taken by a worker.
  size_t queued() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Pod {
    std::deque<ContainerChange> changes;
    bool busy = false;  // a worker is describing it
  };
  void Work();
  void DropQueuedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const EventDescriber describe_;
  EventBroadcaster* const out_;
  const size_t threads_;
  const size_t max_queued_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, Pod> pods_ ABSL_GUARDED_BY(mu_);
  // Pods with queued changes and no worker on them, oldest first.
  std::deque<std::string> ready_ ABSL_GUARDED_BY(mu_);
  size_t queued_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::events
