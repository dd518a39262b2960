#include "cri/image/pull_progress.h"

#include "absl/strings/str_cat.h"
#include "common/go_duration.h"

namespace cri_dockerd::image {

PullProgressTracker::PullProgressTracker(std::string image,
                                         absl::Duration stall_limit,
                                         Clock clock)
    : image_(std::move(image)),
      stall_limit_(stall_limit),
      clock_(std::move(clock)),
      last_advance_(clock_()) {}

void PullProgressTracker::Observe(const docker::PullProgress& progress) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = layers_.try_emplace(
      progress.id, std::make_pair(progress.status, progress.current));
  bool advanced = inserted;
  if (!inserted) {
    auto& [status, current] = it->second;
    // A new phase (Downloading -> Extracting) restarts its byte count.
    const bool new_phase = status != progress.status;
    advanced = new_phase || progress.current > current;
    status = progress.status;
    current =
        new_phase ? progress.current : std::max(current, progress.current);
  }
  if (advanced) last_advance_ = clock_();
  last_message_ = progress.id.empty()
                      ? progress.status
                      : absl::StrCat(progress.id, ": ", progress.status);
  if (progress.total > 0) {
    absl::StrAppend(&last_message_, " ", progress.current, "/", progress.total,
                    " bytes");
  }
}

absl::Status PullProgressTracker::Check() const {
  absl::MutexLock lock(&mu_);
  if (clock_() - last_advance_ < stall_limit_) return absl::OkStatus();
  return absl::DeadlineExceededError(
      absl::StrCat("pull of ", image_, " cancelled: no progress for ",
                   FormatGoDuration(stall_limit_),
                   " (--image-pull-progress-deadline); last progress: ",
                   last_message_.empty() ? "none" : last_message_));
}

std::string PullProgressTracker::LastProgress() const {
  absl::MutexLock lock(&mu_);
  return last_message_;
}

}  // namespace cri_dockerd::image
