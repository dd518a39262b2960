#include "cri/stats/writable_layer.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/thread.h"

namespace cri_dockerd::stats {

WritableLayerCache::WritableLayerCache(docker::DockerClient* docker,
                                       Options options)
    : docker_(docker), options_(options) {}

WritableLayerCache::~WritableLayerCache() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

std::optional<LayerUsage> WritableLayerCache::Get(const std::string& id) {
  absl::MutexLock lock(&mu_);
  last_wanted_ = absl::Now();
  if (!started_) {
    absl::StatusOr<std::thread> thread =
        StartThread("layer-sizes", [this] { Loop(); });
    if (thread.ok()) {
      started_ = true;
      thread_ = *std::move(thread);
    } else {
      // No sizes this time (the caller reports none); the next Get tries
      // again.
      LOG(WARNING) << "writable layer sizes: " << thread.status();
    }
  }
  auto it = usage_.find(id);
  if (it == usage_.end()) return std::nullopt;
  return it->second;
}

std::string WritableLayerCache::Mountpoint() const {
  absl::MutexLock lock(&mu_);
  return mountpoint_;
}

void WritableLayerCache::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stop_) {
    if (absl::Now() - last_wanted_ > options_.idle_after) {
      // Idle: sleep until stopped or asked again.
      const absl::Time since = last_wanted_;
      auto woken = [this, since]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || last_wanted_ != since;
      };
      mu_.Await(absl::Condition(&woken));
      continue;
    }
    mu_.Unlock();
    Refresh();
    mu_.Lock();
    mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.refresh_interval);
  }
}

void WritableLayerCache::Refresh() {
  const absl::Time deadline = absl::Now() + options_.call_timeout;
  bool need_root;
  {
    absl::MutexLock lock(&mu_);
    need_root = mountpoint_.empty();
  }
  if (need_root) {
    absl::StatusOr<docker::SystemInfo> info = docker_->Info(deadline);
    if (info.ok()) {
      absl::MutexLock lock(&mu_);
      mountpoint_ = info->docker_root_dir;
    } else {
      LOG(WARNING) << "writable layer stats: docker info: " << info.status();
    }
  }
  absl::StatusOr<docker::DiskUsage> du = docker_->GetDiskUsage(deadline);
  if (!du.ok()) {
    // Keep the last figures: old sizes beat none. Warn once per outage.
    if (!failing_) {
      LOG(WARNING) << "writable layer stats: docker disk usage: "
                   << du.status();
    } else {
      LOG(DEBUG) << "writable layer stats: still failing: " << du.status();
    }
    failing_ = true;
    return;
  }
  if (failing_) LOG(INFO) << "writable layer stats: docker answers again";
  failing_ = false;
  std::map<std::string, LayerUsage> fresh;
  const absl::Time now = absl::Now();
  for (const docker::DiskUsage::Container& c : du->containers) {
    fresh[c.id] =
        LayerUsage{static_cast<uint64_t>(std::max<int64_t>(c.size_rw, 0)), now};
  }
  absl::MutexLock lock(&mu_);
  usage_ = std::move(fresh);
}

}  // namespace cri_dockerd::stats
