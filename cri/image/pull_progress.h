// Decides when an image pull has stalled: docker's progress stream is fed
// in, and Check() fails once neither downloading nor extracting has
// advanced for the configured time (--image-pull-progress-deadline). A big
// layer that keeps moving is never cut off, however long it takes.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "docker_client/types.h"

namespace cri_dockerd::image {

class PullProgressTracker {
 public:
  using Clock = std::function<absl::Time()>;

  PullProgressTracker(std::string image, absl::Duration stall_limit,
                      Clock clock = absl::Now);

  // Records one message of docker's stream. Progress is a message that
  // moves some layer forward: a new status for it, or more bytes.
  void Observe(const docker::PullProgress& progress);

  // DeadlineExceeded, naming the image, the limit and the last progress,
  // once nothing has advanced for the stall limit; OK before that.
  absl::Status Check() const;

  // Human-readable last progress ("<layer>: Downloading 1.2 MB/5 MB").
  std::string LastProgress() const;

 private:
  const std::string image_;
  const absl::Duration stall_limit_;
  const Clock clock_;

  mutable absl::Mutex mu_;
  absl::Time last_advance_ ABSL_GUARDED_BY(mu_);
  std::string last_message_ ABSL_GUARDED_BY(mu_);
  // Per layer: last status and byte count.
  std::map<std::string, std::pair<std::string, int64_t>> layers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::image
