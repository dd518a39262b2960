// ListPodSandboxMetrics / StreamPodSandboxMetrics: cAdvisor-style
// samples (the families of metric_descriptors.h) for every ready pod
// sandbox, read in-process from the same cgroup files, netns counters
// and writable-layer cache as the stats verbs. Per pod: its own cgroup
// (or, without one, the sum of its containers' basic figures), its
// start time, and its netns's counters per interface; per running
// container: its cgroup, start time, last-seen time, writable layer and
// the filesystem holding it. Pod-level samples carry container="" and
// image="", and the sandbox ID as id. A container or pod that stops
// while being read is left out, not an error. Read-only; the docker
// calls are the two listings (and an inspect for a container not seen
// running before).
#include <sys/statvfs.h>

#include <map>

#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/base/stream_batches.h"
#include "cri/runtime_service.h"
#include "cri/stats/cgroup_details.h"
#include "cri/stats/metrics_proto.h"

namespace cri_dockerd {
namespace {

// The filesystem holding docker's data (writable layers).
struct FsInfo {
  std::string device;  // its mount point, as the stats verbs report it
  std::optional<uint64_t> capacity;
  std::optional<uint64_t> inodes;
  std::optional<uint64_t> inodes_free;
  absl::Time at;
};

FsInfo ReadFsInfo(const std::string& mountpoint) {
  FsInfo fs;
  fs.device = mountpoint;
  fs.at = absl::Now();
  struct statvfs st;
  if (!mountpoint.empty() && statvfs(mountpoint.c_str(), &st) == 0) {
    fs.capacity = uint64_t{st.f_blocks} * st.f_frsize;
    fs.inodes = st.f_files;
    fs.inodes_free = st.f_ffree;
  }
  return fs;
}

std::optional<uint64_t> UnixSeconds(absl::Time t) {
  if (t == absl::InfinitePast() || t < absl::UnixEpoch()) return std::nullopt;
  return static_cast<uint64_t>(absl::ToUnixSeconds(t));
}

}  // namespace

absl::StatusOr<v1::ListPodSandboxMetricsResponse>
RuntimeService::ListPodSandboxMetrics(const CallContext& ctx,
                                      const v1::ListPodSandboxMetricsRequest&) {
  namespace m = metric;
  v1::PodSandboxFilter ready;
  ready.mutable_state()->set_state(v1::SANDBOX_READY);
  ASSIGN_OR_RETURN(std::vector<v1::PodSandbox> sandboxes,
                   ListSandboxes(ctx, ready));
  v1::ListPodSandboxMetricsResponse resp;
  if (sandboxes.empty()) return resp;
  v1::ContainerFilter running;
  running.mutable_state()->set_state(v1::CONTAINER_RUNNING);
  ASSIGN_OR_RETURN(std::vector<v1::Container> containers,
                   ListCriContainers(ctx, running));
  std::map<std::string, std::vector<const v1::Container*>> by_pod;
  for (const v1::Container& c : containers) {
    by_pod[c.pod_sandbox_id()].push_back(&c);
  }
  const FsInfo fs = ReadFsInfo(stats_->layers().Mountpoint());

  for (const v1::PodSandbox& s : sandboxes) {
    v1::PodSandboxMetrics* pod = resp.add_pod_metrics();
    pod->set_pod_sandbox_id(s.id());
    const MetricTarget pod_target{s.metadata().name(),
                                  s.metadata().namespace_(), "", s.id(), ""};
    std::vector<stats::CgroupSample> samples;
    for (const v1::Container* c : by_pod[s.id()]) {
      absl::StatusOr<stats::LocatedContainer> located =
          stats_->Locate(c->id(), DockerDeadline(ctx));
      if (!located.ok() || !located->cgroups) {
        LOG(DEBUG) << "container " << c->id() << ": no metrics: "
                   << (located.ok() ? absl::NotFoundError("not running")
                                    : located.status());
        continue;
      }
      const stats::CgroupSample sample =
          stats::ReadCgroupSample(*located->cgroups);
      const stats::CgroupDetails details =
          stats::ReadCgroupDetails(*located->cgroups);
      v1::ContainerMetrics* cm = pod->add_container_metrics();
      cm->set_container_id(c->id());
      MetricTarget target = pod_target;
      target.container = c->metadata().name();
      target.id = c->id();
      target.image = c->image().image();
      MetricWriter w(target, cm->mutable_metrics());
      const absl::Time now = absl::Now();
      w.Add(m::kLastSeen, now, UnixSeconds(now));
      w.Add(m::kStartTimeSeconds, now, UnixSeconds(located->started_at));
      w.AddCgroup(sample, &details);
      if (std::optional<stats::LayerUsage> layer =
              stats_->layers().Get(c->id())) {
        w.Add(m::kFsUsageBytes, layer->sampled_at, layer->used_bytes,
              {fs.device});
        w.Add(m::kFsLimitBytes, fs.at, fs.capacity, {fs.device});
        w.Add(m::kFsInodesTotal, fs.at, fs.inodes, {fs.device});
        w.Add(m::kFsInodesFree, fs.at, fs.inodes_free, {fs.device});
      }
      samples.push_back(sample);
    }

    absl::StatusOr<stats::LocatedContainer> infra =
        stats_->Locate(s.id(), DockerDeadline(ctx));
    if (!infra.ok()) {
      LOG(DEBUG) << "sandbox " << s.id() << ": " << infra.status();
      continue;
    }
    MetricWriter w(pod_target, pod->mutable_metrics());
    w.Add(m::kStartTimeSeconds, absl::Now(), UnixSeconds(infra->started_at));
    if (std::optional<stats::CgroupPaths> cgroup = PodCgroup(*infra)) {
      const stats::CgroupDetails details = stats::ReadCgroupDetails(*cgroup);
      w.AddCgroup(stats::ReadCgroupSample(*cgroup), &details);
    } else {
      // No pod cgroup: the usage figures add up; limits do not.
      if (infra->cgroups) {
        samples.push_back(stats::ReadCgroupSample(*infra->cgroups));
      }
      if (!samples.empty()) w.AddCgroup(stats::SumSamples(samples), nullptr);
    }
    if (infra->pid > 0) {
      const absl::Time at = absl::Now();
      absl::StatusOr<std::vector<stats::InterfaceStats>> net =
          stats::ReadNetnsInterfaces(stats_->proc_root(), infra->pid);
      if (net.ok()) {
        w.AddNetwork(*net, at);
      } else {
        LOG(DEBUG) << "sandbox " << s.id()
                   << ": no network metrics: " << net.status();
      }
    }
  }
  return resp;
}

absl::Status RuntimeService::StreamPodSandboxMetrics(
    const CallContext& ctx, const v1::StreamPodSandboxMetricsRequest&,
    const std::function<bool(const v1::StreamPodSandboxMetricsResponse&)>&
        send) {
  ASSIGN_OR_RETURN(
      v1::ListPodSandboxMetricsResponse all,
      ListPodSandboxMetrics(ctx, v1::ListPodSandboxMetricsRequest()));
  return SendInBatches(
      *all.mutable_pod_metrics(),
      [](v1::StreamPodSandboxMetricsResponse& b) {
        return b.mutable_pod_sandbox_metrics();
      },
      send);
}

}  // namespace cri_dockerd
