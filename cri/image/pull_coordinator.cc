#include "cri/image/pull_coordinator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace cri_dockerd::image {

absl::Status PullCoordinator::Pull(const std::string& key, absl::Time deadline,
                                   const std::function<bool()>& cancelled,
                                   const std::function<absl::Status()>& pull) {
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = flights_.try_emplace(key);
    if (inserted) it->second = std::make_shared<Flight>();
    flight = it->second;
    leader = inserted;
  }
  if (leader) {
    flight->result = pull();
    {
      absl::MutexLock lock(&mu_);
      flights_.erase(key);
    }
    flight->done.Notify();
    return flight->result;
  }
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("deadline passed waiting for the pull of ", key,
                       " started by another request"));
    }
    if (flight->done.WaitForNotificationWithTimeout(
            std::min(left, absl::Milliseconds(100)))) {
      return flight->result;
    }
    if (cancelled && cancelled()) {
      return absl::CancelledError(
          absl::StrCat("cancelled waiting for the pull of ", key));
    }
  }
}

int PullCoordinator::InFlight() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(flights_.size());
}

}  // namespace cri_dockerd::image
