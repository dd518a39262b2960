// What the CRI stats verbs keep between calls: the cgroup mount table,
// each container's process (so a stats poll does not inspect every
// container), the previous CPU readings for usage rates, and the
// writable-layer sizes refreshed in the background. Thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cri/stats/cgroup_paths.h"
#include "cri/stats/cpu_rate.h"
#include "cri/stats/writable_layer.h"
#include "docker_client/docker_client.h"

namespace cri_dockerd::stats {

struct CollectorOptions {
  // Where procfs is; tests point it at a tree of fake files
  // (self/mountinfo, <pid>/cgroup, <pid>/net/dev).
  std::string proc_root = "/proc";
  WritableLayerCache::Options layers;
  absl::Duration cpu_rate_min_window = absl::Seconds(1);
};

// A container as stats need it.
struct LocatedContainer {
  int pid = 0;                         // 0: not running
  std::string cgroup_parent;           // as docker was given it ("" = docker's)
  std::optional<CgroupPaths> cgroups;  // unset: not running or unreadable
  absl::Time started_at = absl::InfinitePast();  // as docker says; or unknown
};

class Collector {
 public:
  // `docker` must outlive this object.
  Collector(docker::DockerClient* docker, CollectorOptions options);

  // The process and cgroups of container `id` (a full ID). `inspected`
  // is a fresh inspect of it, when the caller has one; otherwise a
  // remembered process is used while its cgroups still name the
  // container, and docker is asked only when they do not (first time,
  // restart, pid reuse). NotFound if docker no longer has the container.
  absl::StatusOr<LocatedContainer> Locate(
      const std::string& id, absl::Time deadline,
      const docker::ContainerInspect* inspected = nullptr);
  // Drops what is remembered of `id` (a container known not to run).
  void Forget(const std::string& id);

  CpuRateCache& cpu_rates() { return cpu_rates_; }
  WritableLayerCache& layers() { return layers_; }
  const std::string& proc_root() const { return options_.proc_root; }

 private:
  LocatedContainer FromInspect(const docker::ContainerInspect& c);

  // Constant after construction.
  docker::DockerClient* const docker_;
  const CollectorOptions options_;

  CgroupFs cgroups_;
  CpuRateCache cpu_rates_;
  WritableLayerCache layers_;

  struct Known {
    int pid = 0;
    std::string cgroup_parent;
    absl::Time started_at;
    absl::Time used;  // entries unused for a while are dropped
  };
  // The remembered process of `id`, if any; drops stale entries.
  std::optional<Known> Recall(const std::string& id);

  absl::Mutex mu_;
  std::map<std::string, Known> known_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace cri_dockerd::stats
