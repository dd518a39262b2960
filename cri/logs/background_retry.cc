#include "cri/logs/background_retry.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/thread.h"

namespace cri_dockerd::logs {

absl::StatusOr<std::unique_ptr<BackgroundRetry>> BackgroundRetry::Start(
    std::string what, std::function<absl::Status(absl::Time)> attempt,
    RetryOptions options) {
  std::unique_ptr<BackgroundRetry> retry(
      new BackgroundRetry(std::move(what), std::move(attempt), options));
  absl::StatusOr<std::thread> thread =
      StartThread("retry", [r = retry.get()] { r->Run(); });
  if (!thread.ok()) {
    return absl::Status(
        thread.status().code(),
        absl::StrCat(retry->what_, ": ", thread.status().message()));
  }
  retry->thread_ = *std::move(thread);
  return retry;
}

BackgroundRetry::BackgroundRetry(
    std::string what, std::function<absl::Status(absl::Time)> attempt,
    RetryOptions options)
    : what_(std::move(what)), attempt_(std::move(attempt)), options_(options) {}

BackgroundRetry::~BackgroundRetry() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool BackgroundRetry::Done() const {
  absl::MutexLock lock(&mu_);
  return done_;
}

void BackgroundRetry::Run() {
  absl::Duration backoff = options_.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    absl::Status s = attempt_(absl::Now() + options_.attempt_timeout);
    absl::MutexLock lock(&mu_);
    if (s.ok()) {
      done_ = true;
      if (attempt > 1) LOG(INFO) << what_ << ": done at attempt " << attempt;
      return;
    }
    if (stop_) return;
    LOG(WARNING) << what_ << ": " << s << "; trying again in "
                 << absl::FormatDuration(backoff);
    mu_.AwaitWithTimeout(absl::Condition(&stop_), backoff);
    if (stop_) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace cri_dockerd::logs
