// Concurrent pulls of the same reference share one docker pull: the first
// caller runs it, later callers wait for its outcome (each within its own
// deadline).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace cri_dockerd::image {

class PullCoordinator {
 public:
  // Runs `pull` for `key` unless a pull of `key` is already running, in
  // which case waits for that one until `deadline` (DeadlineExceeded) or
  // until `cancelled` returns true (Cancelled), polling it every 100 ms.
  absl::Status Pull(const std::string& key, absl::Time deadline,
                    const std::function<bool()>& cancelled,
                    const std::function<absl::Status()>& pull);

  // Number of distinct pulls running now (for tests and metrics).
  int InFlight() const;

 private:
  struct Flight {
    absl::Notification done;
    absl::Status result;  // written before `done` is notified
  };

  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Flight>> flights_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::image
