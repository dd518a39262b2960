#include "cri/events/event_broadcaster.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace cri_dockerd::events {

EventBroadcaster::EventBroadcaster(size_t max_queue)
    : shared_(std::make_shared<Shared>()) {
  shared_->max_queue = max_queue == 0 ? 1 : max_queue;
}

EventBroadcaster::~EventBroadcaster() { Close(); }

EventBroadcaster::Subscription::Subscription(std::shared_ptr<Shared> shared,
                                             Queue* queue)
    : shared_(std::move(shared)), queue_(queue) {}

EventBroadcaster::Subscription::~Subscription() {
  {
    absl::MutexLock lock(&shared_->mu);
    shared_->queues.erase(queue_);
  }
  delete queue_;
}

absl::StatusOr<EventPtr> EventBroadcaster::Subscription::Next(
    absl::Duration timeout) {
  Shared* const s = shared_.get();
  Queue* const q = queue_;
  absl::MutexLock lock(&s->mu);
  auto ready = [s, q]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) {
    return !q->events.empty() || q->dropped || s->closed;
  };
  s->mu.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (q->dropped) {
    return absl::AbortedError(absl::StrCat(
        "container event stream ended: ", q->why,
        "; events were missed: list pod sandboxes and containers again, "
        "then call GetContainerEvents again"));
  }
  if (!q->events.empty()) {
    EventPtr event = std::move(q->events.front());
    q->events.pop_front();
    return event;
  }
  if (s->closed) return absl::CancelledError("cri-dockerd is shutting down");
  return EventPtr();
}

std::unique_ptr<EventBroadcaster::Subscription> EventBroadcaster::Subscribe() {
  auto* queue = new Queue();
  {
    absl::MutexLock lock(&shared_->mu);
    if (!shared_->closed) shared_->queues.insert(queue);
  }
  return std::unique_ptr<Subscription>(new Subscription(shared_, queue));
}

void EventBroadcaster::Publish(EventPtr event) {
  absl::MutexLock lock(&shared_->mu);
  for (Queue* q : shared_->queues) {
    if (q->dropped) continue;
    if (q->events.size() >= shared_->max_queue) {
      LOG(WARNING) << "dropping a GetContainerEvents subscriber: "
                   << q->events.size() << " events undelivered";
      DropLocked(q, absl::StrCat("the client fell more than ",
                                 shared_->max_queue, " events behind"));
      continue;
    }
    q->events.push_back(event);
  }
}

void EventBroadcaster::DropLocked(Queue* q, std::string why) {
  q->dropped = true;
  q->why = std::move(why);
  q->events.clear();
}

void EventBroadcaster::DropAll(const std::string& why) {
  absl::MutexLock lock(&shared_->mu);
  if (!shared_->queues.empty()) {
    LOG(WARNING) << "dropping " << shared_->queues.size()
                 << " GetContainerEvents subscribers: " << why;
  }
  for (Queue* q : shared_->queues) {
    if (!q->dropped) DropLocked(q, why);
  }
}

void EventBroadcaster::Close() {
  absl::MutexLock lock(&shared_->mu);
  shared_->closed = true;
}

size_t EventBroadcaster::subscribers() const {
  absl::MutexLock lock(&shared_->mu);
  return shared_->queues.size();
}

}  // namespace cri_dockerd::events
