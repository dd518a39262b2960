#include "cri/events/describe_workers.h"

#include <iterator>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/thread.h"

namespace cri_dockerd::events {
namespace {

// The key a change is ordered and described under: its pod.
const std::string& PodOf(const ContainerChange& c) {
  return c.sandbox_id.empty() ? c.id : c.sandbox_id;
}

}  // namespace

DescribeWorkers::DescribeWorkers(EventDescriber describe, EventBroadcaster* out,
                                 size_t threads, size_t max_queued)
    : describe_(std::move(describe)),
      out_(out),
      threads_(threads == 0 ? 1 : threads),
      max_queued_(max_queued == 0 ? 1 : max_queued) {}

DescribeWorkers::~DescribeWorkers() { Stop(); }

void DescribeWorkers::Submit(ContainerChange change) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  if (workers_.empty()) {
    absl::Status refused;
    for (size_t i = 0; i < threads_; ++i) {
      absl::StatusOr<std::thread> t =
          StartThread("event-describe", [this] { Work(); });
      if (t.ok()) {
        workers_.push_back(std::move(*t));
      } else {
        refused = t.status();
      }
    }
    if (workers_.empty()) {
      // Nobody could describe it: the streams miss this change and are
      // told so; the next change tries again.
      LOG(ERROR) << "container events: " << refused.message();
      out_->DropAll(
          absl::StrCat("the shim could not describe a container "
                       "change: ",
                       refused.message()));
      return;
    }
  }
  if (queued_ >= max_queued_) {
    // Describing has stalled (docker not answering): what is queued will
    // never reach anyone in time. Say so rather than grow.
    LOG(WARNING) << "container events: " << queued_
                 << " changes wait to be described; dropping them";
    DropQueuedLocked();
    out_->DropAll(absl::StrCat("the shim fell more than ", max_queued_,
                               " container changes behind describing them"));
  }
  const std::string key = PodOf(change);
  Pod& pod = pods_[key];
  if (pod.changes.empty() && !pod.busy) ready_.push_back(key);
  pod.changes.push_back(std::move(change));
  ++queued_;
}

void DescribeWorkers::Stop() {
  std::vector<std::thread> workers;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    DropQueuedLocked();
    workers.swap(workers_);
  }
  for (std::thread& t : workers) t.join();
}

void DescribeWorkers::DropQueuedLocked() {
  // A pod being described stays, so its worker finds it when done.
  for (auto it = pods_.begin(); it != pods_.end();) {
    it->second.changes.clear();
    it = it->second.busy ? std::next(it) : pods_.erase(it);
  }
  ready_.clear();
  queued_ = 0;
}

size_t DescribeWorkers::queued() const {
  absl::MutexLock lock(&mu_);
  return queued_;
}

void DescribeWorkers::Work() {
  for (;;) {
    std::string key;
    std::vector<ContainerChange> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !ready_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      key = std::move(ready_.front());
      ready_.pop_front();
      Pod& pod = pods_.at(key);
      pod.busy = true;
      batch.assign(std::make_move_iterator(pod.changes.begin()),
                   std::make_move_iterator(pod.changes.end()));
      pod.changes.clear();
      queued_ -= batch.size();
    }
    std::vector<v1::ContainerEventResponse> described = describe_(batch);
    if (described.size() != batch.size()) {
      LOG(ERROR) << "container events: " << described.size()
                 << " descriptions for " << batch.size() << " changes";
    }
    for (v1::ContainerEventResponse& e : described) {
      out_->Publish(
          std::make_shared<const v1::ContainerEventResponse>(std::move(e)));
    }
    absl::MutexLock lock(&mu_);
    auto it = pods_.find(key);
    it->second.busy = false;
    if (it->second.changes.empty()) {
      pods_.erase(it);
    } else if (!stopping_) {
      ready_.push_back(key);
    }
  }
}

}  // namespace cri_dockerd::events
