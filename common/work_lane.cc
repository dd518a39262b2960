#include "common/work_lane.h"

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/thread.h"

namespace cri_dockerd {

WorkLane::WorkLane(WorkLaneOptions options)
    : state_(std::make_shared<State>(std::move(options))) {}

WorkLane::~WorkLane() {
  std::deque<std::function<void()>> orphans;
  {
    absl::MutexLock lock(&state_->mu);
    state_->stopping = true;
    state_->work.SignalAll();
    while (state_->workers > 0) state_->done.Wait(&state_->mu);
    orphans.swap(state_->queue);
  }
  // Queued while no thread could be made: run here, so that every task
  // runs exactly once (a gRPC call waits for its task to finish it).
  for (auto& task : orphans) task();
}

absl::Status WorkLane::Submit(std::function<void()> task) {
  State& s = *state_;
  absl::MutexLock lock(&s.mu);
  if (s.stopping) {
    return absl::UnavailableError(
        absl::StrCat(s.options.name, " work lane is shutting down"));
  }
  if (s.queue.size() >= s.options.max_queue) {
    return absl::ResourceExhaustedError(
        absl::StrCat(s.options.name, " work lane is full: ", s.queue.size(),
                     " calls already wait for one of its ",
                     s.options.max_workers, " threads"));
  }
  s.queue.push_back(std::move(task));
  if (s.queue.size() <= s.idle) {
    s.work.Signal();
    return absl::OkStatus();
  }
  if (s.workers >= s.options.max_workers) return absl::OkStatus();  // waits
  ++s.workers;
  absl::StatusOr<std::thread> worker =
      StartThread(absl::StrCat("lane-", s.options.name),
                  [state = state_] { WorkerLoop(state); });
  if (worker.ok()) {
    worker->detach();
    return absl::OkStatus();
  }
  --s.workers;
  if (s.workers > 0) {
    // A running worker takes it in turn.
    LOG(WARNING) << s.options.name
                 << " work lane: " << worker.status().message()
                 << "; the call waits for a busy one";
    return absl::OkStatus();
  }
  s.queue.pop_back();
  return worker.status();
}

void WorkLane::WorkerLoop(const std::shared_ptr<State>& state) {
  State& s = *state;
  absl::MutexLock lock(&s.mu);
  for (;;) {
    while (s.queue.empty() && !s.stopping) {
      ++s.idle;
      const bool timed_out = s.work.WaitWithTimeout(&s.mu, s.options.idle_exit);
      --s.idle;
      if (timed_out && s.queue.empty()) break;
    }
    if (s.queue.empty()) break;  // idle too long, or stopping
    std::function<void()> task = std::move(s.queue.front());
    s.queue.pop_front();
    s.mu.Unlock();
    task();
    task = nullptr;  // release what it holds before taking the lock
    s.mu.Lock();
  }
  if (--s.workers == 0) s.done.SignalAll();
}

size_t WorkLane::workers() const {
  absl::MutexLock lock(&state_->mu);
  return state_->workers;
}

size_t WorkLane::queued() const {
  absl::MutexLock lock(&state_->mu);
  return state_->queue.size();
}

}  // namespace cri_dockerd
