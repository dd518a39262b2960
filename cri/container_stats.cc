// ContainerStats / ListContainerStats / StreamContainerStats: a
// container's resource usage read from its cgroup files in-process
// (never docker's stats API, which samples for a second per container
// and loads dockerd): cumulative CPU time and its rate since the
// previous reading, memory (working set = usage - inactive file pages),
// swap; its writable layer's size from a cache refreshed in the
// background. Containers that do not run get their attributes and
// writable layer only (kubelet expects no cpu or memory for them).
// Read-only; the only docker calls are the list (or inspect) of the
// containers and, for a container not seen running before, one inspect
// for its process.
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/base/stream_batches.h"
#include "cri/convert/naming.h"
#include "cri/runtime_service.h"
#include "cri/stats/stats_proto.h"

namespace cri_dockerd {
namespace {

v1::ContainerAttributes AttributesOf(const docker::ContainerInspect& c) {
  v1::ContainerAttributes a;
  a.set_id(c.id);
  if (absl::StatusOr<NameParts> parts = ParseName(c.name); parts.ok()) {
    a.mutable_metadata()->set_name(parts->container);
    a.mutable_metadata()->set_attempt(parts->attempt);
  }
  auto [labels, annotations] = ExtractLabels(c.labels);
  a.mutable_labels()->insert(labels.begin(), labels.end());
  a.mutable_annotations()->insert(annotations.begin(), annotations.end());
  return a;
}

}  // namespace

v1::ContainerStats RuntimeService::CollectContainerStats(
    const CallContext& ctx, v1::ContainerAttributes attributes, bool running,
    const docker::ContainerInspect* inspected,
    std::optional<stats::CgroupSample>* sample) {
  v1::ContainerStats out;
  const std::string id = attributes.id();
  *out.mutable_attributes() = std::move(attributes);
  if (running) {
    absl::StatusOr<stats::LocatedContainer> located =
        stats_->Locate(id, DockerDeadline(ctx), inspected);
    if (located.ok() && located->cgroups) {
      stats::CgroupSample s = stats::ReadCgroupSample(*located->cgroups);
      std::optional<uint64_t> rate;
      if (s.cpu_usage_nanos) {
        rate = stats_->cpu_rates().Update(id, s.timestamp, *s.cpu_usage_nanos);
      }
      FillCgroupUsage(s, rate, out.mutable_cpu(), out.mutable_memory(),
                      out.mutable_swap());
      if (!out.cpu().has_usage_core_nano_seconds()) out.clear_cpu();
      if (!out.memory().has_usage_bytes()) out.clear_memory();
      if (!out.swap().has_swap_usage_bytes()) out.clear_swap();
      if (sample != nullptr) *sample = std::move(s);
    } else {
      // Stopped since it was listed, most likely.
      LOG(DEBUG) << "container " << id << ": no cgroup to read: "
                 << (located.ok() ? absl::NotFoundError("not running")
                                  : located.status());
    }
  } else {
    stats_->Forget(id);
  }
  if (std::optional<stats::LayerUsage> layer = stats_->layers().Get(id)) {
    v1::FilesystemUsage* fs = out.mutable_writable_layer();
    fs->set_timestamp(absl::ToUnixNanos(layer->sampled_at));
    fs->mutable_fs_id()->set_mountpoint(stats_->layers().Mountpoint());
    fs->mutable_used_bytes()->set_value(layer->used_bytes);
  }
  return out;
}

absl::StatusOr<v1::ContainerStatsResponse> RuntimeService::ContainerStats(
    const CallContext& ctx, const v1::ContainerStatsRequest& req) {
  ASSIGN_OR_RETURN(docker::ContainerInspect c,
                   FindContainer(ctx, req.container_id()));
  v1::ContainerStatsResponse resp;
  *resp.mutable_stats() =
      CollectContainerStats(ctx, AttributesOf(c), c.state.running, &c);
  return resp;
}

absl::StatusOr<v1::ListContainerStatsResponse>
RuntimeService::ListContainerStats(const CallContext& ctx,
                                   const v1::ListContainerStatsRequest& req) {
  v1::ContainerFilter filter;
  filter.set_id(req.filter().id());
  filter.set_pod_sandbox_id(req.filter().pod_sandbox_id());
  filter.mutable_label_selector()->insert(req.filter().label_selector().begin(),
                                          req.filter().label_selector().end());
  ASSIGN_OR_RETURN(std::vector<v1::Container> containers,
                   ListCriContainers(ctx, filter));
  v1::ListContainerStatsResponse resp;
  for (v1::Container& c : containers) {
    const bool running = c.state() == v1::CONTAINER_RUNNING;
    *resp.add_stats() =
        CollectContainerStats(ctx, TakeAttributes(c), running, nullptr);
  }
  return resp;
}

absl::Status RuntimeService::StreamContainerStats(
    const CallContext& ctx, const v1::StreamContainerStatsRequest& req,
    const std::function<bool(const v1::StreamContainerStatsResponse&)>& send) {
  v1::ListContainerStatsRequest list;
  *list.mutable_filter() = req.filter();
  ASSIGN_OR_RETURN(v1::ListContainerStatsResponse all,
                   ListContainerStats(ctx, list));
  return SendInBatches(
      *all.mutable_stats(),
      [](v1::StreamContainerStatsResponse& b) {
        return b.mutable_container_stats();
      },
      send);
}

}  // namespace cri_dockerd
