#include "cri/logs/exit_watch.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/thread.h"

namespace cri_dockerd::logs {

absl::StatusOr<std::unique_ptr<ExitWatch>> ExitWatch::Start(
    docker::DockerClient* docker, Stopped on_stopped,
    ExitWatchOptions options) {
  std::unique_ptr<ExitWatch> watch(
      new ExitWatch(docker, std::move(on_stopped), options));
  absl::StatusOr<std::thread> thread =
      StartThread("exit-watch", [w = watch.get()] { w->Run(); });
  if (!thread.ok()) return thread.status();
  watch->thread_ = *std::move(thread);
  return watch;
}

ExitWatch::ExitWatch(docker::DockerClient* docker, Stopped on_stopped,
                     ExitWatchOptions options)
    : docker_(docker), on_stopped_(std::move(on_stopped)), options_(options) {}

ExitWatch::~ExitWatch() {
  {
    absl::MutexLock lock(&mu_);
    shutdown_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void ExitWatch::Check(const std::string& id, int attempts) {
  absl::MutexLock lock(&mu_);
  Pending& p = pending_[id];
  p = Pending{absl::Now(), std::max(p.attempts_left, attempts),
              options_.first_retry};
}

void ExitWatch::Run() {
  for (;;) {
    std::string id;
    Pending p;
    {
      absl::MutexLock lock(&mu_);
      for (;;) {
        if (shutdown_) return;
        absl::Time next = absl::InfiniteFuture();
        for (const auto& [pid, pending] : pending_) {
          if (pending.due < next) {
            next = pending.due;
            id = pid;
          }
        }
        if (next <= absl::Now()) break;
        // Woken by Check and shutdown, since both change guarded state.
        auto changed = [this, size = pending_.size(), next]()
                           ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                             if (shutdown_ || pending_.size() != size) {
                               return true;
                             }
                             for (const auto& [pid, pending] : pending_) {
                               if (pending.due < next) return true;
                             }
                             return false;
                           };
        mu_.AwaitWithDeadline(absl::Condition(&changed), next);
      }
      p = pending_[id];
      pending_.erase(id);
    }
    absl::StatusOr<docker::ContainerInspect> c =
        docker_->InspectContainer(id, absl::Now() + options_.inspect_timeout);
    if (absl::IsNotFound(c.status()) || (c.ok() && !c->state.running)) {
      on_stopped_(id);
      continue;
    }
    if (!c.ok()) {
      LOG(DEBUG) << "checking whether container " << id
                 << " stopped: " << c.status();
    }
    if (p.attempts_left <= 1) continue;
    absl::MutexLock lock(&mu_);
    if (pending_.count(id) == 0) {
      pending_[id] = Pending{absl::Now() + p.next_wait, p.attempts_left - 1,
                             p.next_wait * 2};
    }
  }
}

}  // namespace cri_dockerd::logs
