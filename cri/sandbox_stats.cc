// PodSandboxStats / ListPodSandboxStats / StreamPodSandboxStats: a
// pod's resource usage read in-process. CPU, memory and process count
// come from the pod-level cgroup kubelet made (the sandbox's cgroup
// parent, the directory above the infra container's cgroup); a sandbox
// without a parent of its own sits in docker's default parent next to
// every other container, so its figures are then the sum over the pod's
// containers and infra container. Network counters are those of the
// pod's netns, from the infra process's /proc/<pid>/net/dev (for a
// host-network pod: the node's interfaces, as cAdvisor reports them).
// Per-container stats as in ContainerStats. The List and Stream variants
// cover ready sandboxes only. Read-only.
#include <map>

#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/base/stream_batches.h"
#include "cri/convert/naming.h"
#include "cri/runtime_service.h"
#include "cri/stats/stats_proto.h"

namespace cri_dockerd {
namespace {

std::string LastComponent(absl::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  return std::string(slash == absl::string_view::npos ? path
                                                      : path.substr(slash + 1));
}

// Whether `pod` (the parent of the infra container's cgroups) is the
// cgroup docker was given as parent: ".../<parent>/<id>" with cgroupfs,
// ".../<parent slice>/docker-<id>.scope" with systemd.
bool IsPodCgroup(const stats::CgroupPaths& pod, const std::string& parent) {
  const std::string name = LastComponent(parent);
  if (name.empty() || name == "/") return false;
  if (pod.unified && LastComponent(pod.unified->path) == name) return true;
  for (const auto& [controller, dir] : pod.v1) {
    if (LastComponent(dir.path) == name) return true;
  }
  return false;
}

v1::PodSandboxAttributes AttributesOf(const std::string& id,
                                      const docker::ContainerInspect* c,
                                      const store::SandboxCheckpoint* cp) {
  v1::PodSandboxAttributes a;
  a.set_id(id);
  v1::PodSandboxMetadata* meta = a.mutable_metadata();
  if (cp != nullptr) {
    meta->set_name(cp->name);
    meta->set_namespace_(cp->ns);
  }
  if (c == nullptr) return a;
  if (absl::StatusOr<NameParts> parts = ParseName(c->name); parts.ok()) {
    meta->set_name(parts->pod);
    meta->set_namespace_(parts->ns);
    meta->set_uid(parts->uid);
    meta->set_attempt(parts->attempt);
  }
  auto [labels, annotations] = ExtractLabels(c->labels);
  a.mutable_labels()->insert(labels.begin(), labels.end());
  a.mutable_annotations()->insert(annotations.begin(), annotations.end());
  return a;
}

v1::PodSandboxAttributes AttributesOf(v1::PodSandbox& s) {
  v1::PodSandboxAttributes a;
  a.set_id(s.id());
  *a.mutable_metadata() = std::move(*s.mutable_metadata());
  a.mutable_labels()->swap(*s.mutable_labels());
  a.mutable_annotations()->swap(*s.mutable_annotations());
  return a;
}

}  // namespace

std::optional<stats::CgroupPaths> RuntimeService::PodCgroup(
    const stats::LocatedContainer& infra) {
  if (!infra.cgroups || infra.cgroup_parent.empty()) return std::nullopt;
  stats::CgroupPaths parent = infra.cgroups->Parent();
  if (!IsPodCgroup(parent, infra.cgroup_parent)) return std::nullopt;
  return parent;
}

void RuntimeService::CollectPodStats(
    const std::string& sandbox_id, const stats::LocatedContainer& infra,
    const std::vector<stats::CgroupSample>& container_samples,
    v1::LinuxPodSandboxStats* out) {
  std::optional<stats::CgroupSample> pod;
  if (std::optional<stats::CgroupPaths> cgroup = PodCgroup(infra)) {
    pod = stats::ReadCgroupSample(*cgroup);
  } else {
    // No pod cgroup of its own: add up the pod's containers.
    std::vector<stats::CgroupSample> all = container_samples;
    if (infra.cgroups) all.push_back(stats::ReadCgroupSample(*infra.cgroups));
    pod = stats::SumSamples(all);
  }
  std::optional<uint64_t> rate;
  if (pod->cpu_usage_nanos) {
    rate = stats_->cpu_rates().Update("pod/" + sandbox_id, pod->timestamp,
                                      *pod->cpu_usage_nanos);
  }
  v1::SwapUsage unused;  // pods report no swap
  FillCgroupUsage(*pod, rate, out->mutable_cpu(), out->mutable_memory(),
                  &unused);
  if (!out->cpu().has_usage_core_nano_seconds()) out->clear_cpu();
  if (!out->memory().has_usage_bytes()) out->clear_memory();
  if (pod->pids) {
    out->mutable_process()->set_timestamp(absl::ToUnixNanos(pod->timestamp));
    out->mutable_process()->mutable_process_count()->set_value(*pod->pids);
  }
  if (infra.pid > 0) {
    absl::StatusOr<std::vector<stats::InterfaceStats>> net =
        stats::ReadNetnsInterfaces(stats_->proc_root(), infra.pid);
    if (net.ok()) {
      FillNetworkUsage(*net, absl::Now(), out->mutable_network());
    } else {
      LOG(DEBUG) << "sandbox " << sandbox_id
                 << ": no network stats: " << net.status();
    }
  }
}

absl::StatusOr<v1::PodSandboxStatsResponse> RuntimeService::PodSandboxStats(
    const CallContext& ctx, const v1::PodSandboxStatsRequest& req) {
  ASSIGN_OR_RETURN(SandboxInfo sandbox, FindSandbox(ctx, req.pod_sandbox_id()));
  const docker::ContainerInspect* infra =
      sandbox.container ? &*sandbox.container : nullptr;
  v1::PodSandboxStatsResponse resp;
  v1::PodSandboxStats* st = resp.mutable_stats();
  *st->mutable_attributes() = AttributesOf(
      sandbox.id, infra, sandbox.checkpoint ? &*sandbox.checkpoint : nullptr);
  v1::ContainerFilter filter;
  filter.set_pod_sandbox_id(sandbox.id);
  ASSIGN_OR_RETURN(std::vector<v1::Container> containers,
                   ListCriContainers(ctx, filter));
  v1::LinuxPodSandboxStats* linux = st->mutable_linux();
  std::vector<stats::CgroupSample> samples;
  for (v1::Container& c : containers) {
    std::optional<stats::CgroupSample> sample;
    *linux->add_containers() = CollectContainerStats(
        ctx, TakeAttributes(c), c.state() == v1::CONTAINER_RUNNING, nullptr,
        &sample);
    if (sample) samples.push_back(*std::move(sample));
  }
  if (infra != nullptr && infra->state.running) {
    absl::StatusOr<stats::LocatedContainer> located =
        stats_->Locate(sandbox.id, DockerDeadline(ctx), infra);
    if (located.ok()) CollectPodStats(sandbox.id, *located, samples, linux);
  }
  return resp;
}

absl::StatusOr<v1::ListPodSandboxStatsResponse>
RuntimeService::ListPodSandboxStats(const CallContext& ctx,
                                    const v1::ListPodSandboxStatsRequest& req) {
  v1::PodSandboxFilter filter;
  filter.set_id(req.filter().id());
  filter.mutable_state()->set_state(v1::SANDBOX_READY);
  filter.mutable_label_selector()->insert(req.filter().label_selector().begin(),
                                          req.filter().label_selector().end());
  ASSIGN_OR_RETURN(std::vector<v1::PodSandbox> sandboxes,
                   ListSandboxes(ctx, filter));
  v1::ListPodSandboxStatsResponse resp;
  if (sandboxes.empty()) return resp;
  // One listing of all containers rather than one per pod.
  ASSIGN_OR_RETURN(std::vector<v1::Container> containers,
                   ListCriContainers(ctx, v1::ContainerFilter()));
  std::map<std::string, std::vector<v1::Container*>> by_pod;
  for (v1::Container& c : containers) by_pod[c.pod_sandbox_id()].push_back(&c);
  for (v1::PodSandbox& s : sandboxes) {
    const std::string id = s.id();
    v1::PodSandboxStats* st = resp.add_stats();
    *st->mutable_attributes() = AttributesOf(s);
    v1::LinuxPodSandboxStats* linux = st->mutable_linux();
    std::vector<stats::CgroupSample> samples;
    for (v1::Container* c : by_pod[id]) {
      std::optional<stats::CgroupSample> sample;
      *linux->add_containers() = CollectContainerStats(
          ctx, TakeAttributes(*c), c->state() == v1::CONTAINER_RUNNING, nullptr,
          &sample);
      if (sample) samples.push_back(*std::move(sample));
    }
    absl::StatusOr<stats::LocatedContainer> located =
        stats_->Locate(id, DockerDeadline(ctx));
    if (located.ok()) {
      CollectPodStats(id, *located, samples, linux);
    } else {
      LOG(DEBUG) << "sandbox " << id << ": " << located.status();
    }
  }
  return resp;
}

absl::Status RuntimeService::StreamPodSandboxStats(
    const CallContext& ctx, const v1::StreamPodSandboxStatsRequest& req,
    const std::function<bool(const v1::StreamPodSandboxStatsResponse&)>& send) {
  v1::ListPodSandboxStatsRequest list;
  *list.mutable_filter() = req.filter();
  ASSIGN_OR_RETURN(v1::ListPodSandboxStatsResponse all,
                   ListPodSandboxStats(ctx, list));
  return SendInBatches(
      *all.mutable_stats(),
      [](v1::StreamPodSandboxStatsResponse& b) {
        return b.mutable_pod_sandbox_stats();
      },
      send);
}

}  // namespace cri_dockerd
