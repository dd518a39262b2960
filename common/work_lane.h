// A bounded lane of work: at most `max_workers` threads run queued tasks,
// at most `max_queue` tasks wait for one. Threads are made when work
// arrives and none is free, and end after `idle_exit` without work, so an
// idle daemon holds none. Callers that must not block (gRPC's callback
// threads) hand their blocking work to a lane: a request waiting in the
// queue holds memory, not a thread.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cri_dockerd {

struct WorkLaneOptions {
  std::string name;  // for log lines and errors
  size_t max_workers = 4;
  size_t max_queue = 256;
  absl::Duration idle_exit = absl::Seconds(30);
};

// Thread-safe.
class WorkLane {
 public:
  explicit WorkLane(WorkLaneOptions options);
  // Stops taking work, runs what is queued, and waits for every worker.
  ~WorkLane();
  WorkLane(const WorkLane&) = delete;
  WorkLane& operator=(const WorkLane&) = delete;

  // Queues `task` to run on one of the lane's threads. ResourceExhausted,
  // naming the lane, when the queue is full or no thread could be made
  // (and none is running to take it); the task is then dropped, not run.
  absl::Status Submit(std::function<void()> task);

  // Figures for tests and metrics.
  size_t workers() const;
  size_t queued() const;
  const std::string& name() const { return state_->options.name; }

 private:
  // Shared with the workers, so that the mutex outlives the last worker's
  // Unlock even when the lane is destroyed right after it.
  struct State {
    explicit State(WorkLaneOptions o) : options(std::move(o)) {}
    const WorkLaneOptions options;
    mutable absl::Mutex mu;
    std::deque<std::function<void()>> queue ABSL_GUARDED_BY(mu);
    size_t workers ABSL_GUARDED_BY(mu) = 0;
    size_t idle ABSL_GUARDED_BY(mu) = 0;  // workers waiting for a task
    bool stopping ABSL_GUARDED_BY(mu) = false;
    absl::CondVar work;  // a task was queued, or stopping
    absl::CondVar done;  // workers reached 0
  };
  static void WorkerLoop(const std::shared_ptr<State>& state);

  const std::shared_ptr<State> state_;
};

}  // namespace cri_dockerd
