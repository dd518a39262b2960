// Runs one piece of work on a thread of its own until it succeeds,
// waiting longer after each failure, e.g. resuming every container's log
// copy when the shim starts while dockerd is still busy: no fixed time
// limit makes a container lose its copy.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cri_dockerd::logs {

struct RetryOptions {
  // Deadline of each attempt, from its start.
  absl::Duration attempt_timeout = absl::Seconds(30);
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(30);
};

class BackgroundRetry {
 public:
  // Calls `attempt(deadline)` at once on a thread of its own, then after
  // each failure again after a backoff, until it returns OK or the object
  // is destroyed. `what` names the work in log lines. ResourceExhausted if
  // the thread cannot be created.
  static absl::StatusOr<std::unique_ptr<BackgroundRetry>> Start(
      std::string what,
      std::function<absl::Status(absl::Time deadline)> attempt,
      RetryOptions options = {});
  // Ends the retries: waits for an attempt under way (bounded by its
  // deadline).
  ~BackgroundRetry();
  BackgroundRetry(const BackgroundRetry&) = delete;
  BackgroundRetry& operator=(const BackgroundRetry&) = delete;

  // The work succeeded.
  bool Done() const;

 private:
  BackgroundRetry(std::string what,
                  std::function<absl::Status(absl::Time deadline)> attempt,
                  RetryOptions options);
  void Run();

  // Constant after construction.
  const std::string what_;
  const std::function<absl::Status(absl::Time)> attempt_;
  const RetryOptions options_;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;

  std::thread thread_;
};

}  // namespace cri_dockerd::logs
