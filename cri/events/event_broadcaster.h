// Fan-out of CRI container events to every GetContainerEvents stream,
// each through its own bounded queue: a subscriber that falls too far
// behind is dropped (its stream ends with ABORTED, telling the client to
// list again and resubscribe) instead of growing memory.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/cri_api.h"

namespace cri_dockerd::events {

namespace v1 = ::runtime::v1;

using EventPtr = std::shared_ptr<const v1::ContainerEventResponse>;

// Thread-safe. Events are shared, not copied, between subscribers.
class EventBroadcaster {
 private:
  struct Queue;
  struct Shared;

 public:
  // A subscriber may hold at most `max_queue` undelivered events.
  explicit EventBroadcaster(size_t max_queue);
  ~EventBroadcaster();  // Close()
  EventBroadcaster(const EventBroadcaster&) = delete;
  EventBroadcaster& operator=(const EventBroadcaster&) = delete;

  // One subscriber's end. Destroying it unsubscribes. It may outlive the
  // broadcaster (it then reads as closed).
  class Subscription {
   public:
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

    // Waits up to `timeout` for the next event, oldest first. nullptr if
    // none came in time; Aborted once the subscriber was dropped (it
    // missed events: its message says why and that the client should
    // list again and subscribe anew); Cancelled once the broadcaster
    // closed (events queued before the close are still delivered first).
    //
    // Why ABORTED: gRPC's code for "retry at a higher level" (here: list,
    // then call GetContainerEvents again); kubelet's Evented PLEG relists
    // and resubscribes on any stream error. RESOURCE_EXHAUSTED would read
    // as a quota or message-size limit to back off from.
    absl::StatusOr<EventPtr> Next(absl::Duration timeout);

   private:
    friend class EventBroadcaster;
    Subscription(std::shared_ptr<Shared> shared, Queue* queue);
    const std::shared_ptr<Shared> shared_;
    Queue* const queue_;  // owned; registered in shared_->queues
  };

  // A new subscriber sees the events published from now on. After
  // Close() it is closed at once.
  std::unique_ptr<Subscription> Subscribe();
  // Queues `event` for every subscriber; a subscriber whose queue is full
  // is dropped (its queue emptied, Next() then fails).
  void Publish(EventPtr event);
  // Drops every current subscriber (the events they would have had were
  // lost before reaching this fan-out); `why` completes their error
  // message. Later subscribers are not affected.
  void DropAll(const std::string& why);
  // Ends every subscription (and later ones). Idempotent.
  void Close();
  size_t subscribers() const;

 private:
  struct Queue {
    std::deque<EventPtr> events;
    bool dropped = false;
    std::string why;  // set when dropped
  };
  static void DropLocked(Queue* q, std::string why);
  struct Shared {
    mutable absl::Mutex mu;
    std::set<Queue*> queues ABSL_GUARDED_BY(mu);
    bool closed ABSL_GUARDED_BY(mu) = false;
    size_t max_queue = 0;  // constant
  };

  const std::shared_ptr<Shared> shared_;
};

}  // namespace cri_dockerd::events
