// Streams a SPDY session's reader thread hands over as the client opens
// them, waited for by the session's own thread with a deadline.
#pragma once

#include <deque>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cri_dockerd::streaming {

template <typename T>
class StreamQueue {
 public:
  void Push(std::shared_ptr<T> item) {
    absl::MutexLock lock(&mu_);
    items_.push_back(std::move(item));
  }
  // The next item, or null at the deadline.
  std::shared_ptr<T> Pop(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithDeadline(absl::Condition(this, &StreamQueue::HasItems),
                          deadline);
    if (items_.empty()) return nullptr;
    std::shared_ptr<T> item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

 private:
  bool HasItems() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !items_.empty();
  }
  absl::Mutex mu_;
  std::deque<std::shared_ptr<T>> items_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::streaming
