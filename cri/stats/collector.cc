#include "cri/stats/collector.h"

#include <utility>

#include "absl/time/clock.h"
#include "common/logging.h"

namespace cri_dockerd::stats {
namespace {

// Containers removed without a stats call seeing them stopped linger in
// the process table this long.
constexpr absl::Duration kForgetUnused = absl::Minutes(10);

}  // namespace

Collector::Collector(docker::DockerClient* docker, CollectorOptions options)
    : docker_(docker),
      options_(std::move(options)),
      cgroups_(options_.proc_root),
      cpu_rates_(options_.cpu_rate_min_window),
      layers_(docker, options_.layers) {}

LocatedContainer Collector::FromInspect(const docker::ContainerInspect& c) {
  LocatedContainer out;
  out.cgroup_parent = c.cgroup_parent;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, c.state.started_at, &out.started_at,
                       &err)) {
    out.started_at = absl::InfinitePast();
  }
  if (!c.state.running || c.state.pid <= 0) {
    Forget(c.id);
    return out;
  }
  out.pid = c.state.pid;
  absl::StatusOr<CgroupPaths> paths = cgroups_.ForPid(out.pid);
  if (paths.ok() && !paths->empty()) {
    // Even if the paths do not name the container (the shim in a cgroup
    // namespace of its own sees them relative): docker just said this
    // is its process.
    out.cgroups = *std::move(paths);
  } else {
    LOG(DEBUG) << "container " << c.id << ": no cgroups for pid " << out.pid
               << ": " << paths.status();
  }
  absl::MutexLock lock(&mu_);
  known_[c.id] = Known{out.pid, out.cgroup_parent, out.started_at, absl::Now()};
  return out;
}

absl::StatusOr<LocatedContainer> Collector::Locate(
    const std::string& id, absl::Time deadline,
    const docker::ContainerInspect* inspected) {
  if (inspected != nullptr) return FromInspect(*inspected);
  if (std::optional<Known> known = Recall(id)) {
    absl::StatusOr<CgroupPaths> paths = cgroups_.ForPid(known->pid);
    // docker's cgroup paths carry the container ID for every driver
    // (".../<id>", ".../docker-<id>.scope"): a dead or reused pid fails.
    if (paths.ok() && paths->Mentions(id)) {
      return LocatedContainer{known->pid, known->cgroup_parent,
                              *std::move(paths), known->started_at};
    }
  }
  absl::StatusOr<docker::ContainerInspect> c =
      docker_->InspectContainer(id, deadline);
  if (!c.ok()) {
    if (absl::IsNotFound(c.status())) Forget(id);
    return c.status();
  }
  return FromInspect(*c);
}

std::optional<Collector::Known> Collector::Recall(const std::string& id) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (now - last_sweep_ >= kForgetUnused) {
    for (auto it = known_.begin(); it != known_.end();) {
      it = now - it->second.used >= kForgetUnused ? known_.erase(it)
                                                  : std::next(it);
    }
    last_sweep_ = now;
  }
  auto it = known_.find(id);
  if (it == known_.end()) return std::nullopt;
  it->second.used = now;
  return it->second;
}

void Collector::Forget(const std::string& id) {
  absl::MutexLock lock(&mu_);
  known_.erase(id);
}

}  // namespace cri_dockerd::stats
