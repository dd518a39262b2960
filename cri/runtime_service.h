// RuntimeService domain logic: one method per CRI RuntimeService verb that
// is implemented, each in its own <noun>_<verb>.cc file. gRPC never appears
// here; grpc_services.cc adapts these methods to the wire.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/keyed_mutex.h"
#include "cri/base/call_context.h"
#include "cri/base/runtime_options.h"
#include "cri/events/container_event_source.h"
#include "cri/image/image_service.h"
#include "cri/network/network_plugin.h"
#include "cri/stats/cgroup_reader.h"
#include "cri/stats/collector.h"
#include "cri/store/checkpoint_store.h"
#include "docker_client/docker_client.h"
#include "proto/cri_api.h"

namespace cri_dockerd {

class LateExecReaper;
template <typename Message>
struct ListItem;
template <typename Message>
class ListItemCache;
template <typename Message>
using ListItemPtr = std::shared_ptr<const ListItem<Message>>;

struct CgroupFileSettings;
namespace container_view {
class ContainerView;
}  // namespace container_view
namespace logs {
class ContainerLogManager;
}  // namespace logs
namespace stats {
class CgroupWriter;
}  // namespace stats
namespace streaming {
class StreamingServer;
}  // namespace streaming

namespace v1 = ::runtime::v1;

class RuntimeService {
 public:
  // Every pointer must outlive this object.
  // `logs` may be null (no CRI log files are written then).
  // `stats_options` tells the stats verbs where procfs is (tests);
  // `event_options` bounds the GetContainerEvents machinery.
  RuntimeService(docker::DockerClient* docker, network::NetworkPlugin* network,
                 NodeImages* images, store::CheckpointStore* checkpoints,
                 RuntimeOptions options,
                 logs::ContainerLogManager* logs = nullptr,
                 stats::CollectorOptions stats_options = {},
                 events::EventSourceOptions event_options = {});
  ~RuntimeService();

  absl::StatusOr<v1::VersionResponse> Version(const CallContext& ctx,
                                              const v1::VersionRequest& req);
  absl::StatusOr<v1::StatusResponse> Status(const CallContext& ctx,
                                            const v1::StatusRequest& req);
  absl::StatusOr<v1::RuntimeConfigResponse> RuntimeConfig(
      const CallContext& ctx, const v1::RuntimeConfigRequest& req);
  absl::StatusOr<v1::UpdateRuntimeConfigResponse> UpdateRuntimeConfig(
      const CallContext& ctx, const v1::UpdateRuntimeConfigRequest& req);

  // Pod sandboxes (sandbox_*.cc).
  absl::StatusOr<v1::RunPodSandboxResponse> RunPodSandbox(
      const CallContext& ctx, const v1::RunPodSandboxRequest& req);
  absl::StatusOr<v1::StopPodSandboxResponse> StopPodSandbox(
      const CallContext& ctx, const v1::StopPodSandboxRequest& req);
  absl::StatusOr<v1::RemovePodSandboxResponse> RemovePodSandbox(
      const CallContext& ctx, const v1::RemovePodSandboxRequest& req);
  absl::StatusOr<v1::PodSandboxStatusResponse> PodSandboxStatus(
      const CallContext& ctx, const v1::PodSandboxStatusRequest& req);
  absl::StatusOr<v1::ListPodSandboxResponse> ListPodSandbox(
      const CallContext& ctx, const v1::ListPodSandboxRequest& req);
  // ListPodSandbox as the gRPC handler sends it: every entry already
  // encoded, carried as an unknown field of the reply's `items` (the
  // same bytes on the wire, without a copy or an encoding per poll).
  absl::StatusOr<v1::ListPodSandboxResponse> ListPodSandboxEncoded(
      const CallContext& ctx, const v1::ListPodSandboxRequest& req);
  absl::Status StreamPodSandboxes(
      const CallContext& ctx, const v1::StreamPodSandboxesRequest& req,
      const std::function<bool(const v1::StreamPodSandboxesResponse&)>& send);
  absl::StatusOr<v1::UpdatePodSandboxResourcesResponse>
  UpdatePodSandboxResources(const CallContext& ctx,
                            const v1::UpdatePodSandboxResourcesRequest& req);

  // After a (re)start of the shim: resumes copying the output of every
  // container into its CRI log file, where each file ends (a stopped
  // one's copy ends once what it wrote meanwhile is copied). Containers
  // in `done` are skipped and those handled are added, so a caller can
  // call again after a failure: the status says how many containers
  // could not be inspected (docker busy), to be tried again.
  absl::Status ResumeLogCopies(const CallContext& ctx,
                               std::set<std::string>* done = nullptr);

  // Containers (container_*.cc).
  absl::StatusOr<v1::CreateContainerResponse> CreateContainer(
      const CallContext& ctx, const v1::CreateContainerRequest& req);
  absl::StatusOr<v1::StartContainerResponse> StartContainer(
      const CallContext& ctx, const v1::StartContainerRequest& req);
  absl::StatusOr<v1::StopContainerResponse> StopContainer(
      const CallContext& ctx, const v1::StopContainerRequest& req);
  absl::StatusOr<v1::RemoveContainerResponse> RemoveContainer(
      const CallContext& ctx, const v1::RemoveContainerRequest& req);
  absl::StatusOr<v1::ContainerStatusResponse> ContainerStatus(
      const CallContext& ctx, const v1::ContainerStatusRequest& req);
  absl::StatusOr<v1::ListContainersResponse> ListContainers(
      const CallContext& ctx, const v1::ListContainersRequest& req);
  // ListContainers as the gRPC handler sends it (see
  // ListPodSandboxEncoded).
  absl::StatusOr<v1::ListContainersResponse> ListContainersEncoded(
      const CallContext& ctx, const v1::ListContainersRequest& req);
  absl::Status StreamContainers(
      const CallContext& ctx, const v1::StreamContainersRequest& req,
      const std::function<bool(const v1::StreamContainersResponse&)>& send);
  absl::StatusOr<v1::UpdateContainerResourcesResponse> UpdateContainerResources(
      const CallContext& ctx, const v1::UpdateContainerResourcesRequest& req);
  absl::StatusOr<v1::ReopenContainerLogResponse> ReopenContainerLog(
      const CallContext& ctx, const v1::ReopenContainerLogRequest& req);
  absl::StatusOr<v1::ExecSyncResponse> ExecSync(const CallContext& ctx,
                                                const v1::ExecSyncRequest& req);

  // Container events (container_events.cc): streams CRI events of the
  // shim's containers and sandboxes to `send` until the client cancels
  // (OK), `send` fails (Cancelled), the shim stops (OK) or the stream
  // missed events because the client or the shim fell too far behind
  // (Aborted, saying so: the client should list again and call anew).
  absl::Status GetContainerEvents(
      const CallContext& ctx, const v1::GetEventsRequest& req,
      const std::function<bool(const v1::ContainerEventResponse&)>& send);
  // Starts the one watch of docker's events (at daemon start): it feeds
  // GetContainerEvents and the container view, which from then on answers
  // the List and Status verbs from memory. Without it every verb asks
  // docker. Idempotent. ResourceExhausted if its threads cannot be
  // created.
  absl::Status StartDockerWatch();
  // Ends every GetContainerEvents stream and stops watching docker (at
  // shutdown, before the gRPC server drains); the verbs ask docker again.
  // Idempotent.
  void StopContainerEvents();
  // Streaming (container_exec.cc, container_attach.cc,
  // sandbox_port_forward.cc): URLs of the streaming server set with
  // SetStreamingServer.
  absl::StatusOr<v1::ExecResponse> Exec(const CallContext& ctx,
                                        const v1::ExecRequest& req);
  absl::StatusOr<v1::AttachResponse> Attach(const CallContext& ctx,
                                            const v1::AttachRequest& req);
  absl::StatusOr<v1::PortForwardResponse> PortForward(
      const CallContext& ctx, const v1::PortForwardRequest& req);
  // Before serving (it and this object point at each other's halves).
  void SetStreamingServer(streaming::StreamingServer* server) {
    streaming_ = server;
  }

  // Resource usage from the cgroup filesystem (container_stats.cc,
  // sandbox_stats.cc).
  absl::StatusOr<v1::ContainerStatsResponse> ContainerStats(
      const CallContext& ctx, const v1::ContainerStatsRequest& req);
  absl::StatusOr<v1::ListContainerStatsResponse> ListContainerStats(
      const CallContext& ctx, const v1::ListContainerStatsRequest& req);
  absl::StatusOr<v1::PodSandboxStatsResponse> PodSandboxStats(
      const CallContext& ctx, const v1::PodSandboxStatsRequest& req);
  absl::StatusOr<v1::ListPodSandboxStatsResponse> ListPodSandboxStats(
      const CallContext& ctx, const v1::ListPodSandboxStatsRequest& req);
  // The List variants' results in batches, each handed to `send`;
  // Cancelled once `send` returns false (the client went away).
  absl::Status StreamContainerStats(
      const CallContext& ctx, const v1::StreamContainerStatsRequest& req,
      const std::function<bool(const v1::StreamContainerStatsResponse&)>& send);
  absl::Status StreamPodSandboxStats(
      const CallContext& ctx, const v1::StreamPodSandboxStatsRequest& req,
      const std::function<bool(const v1::StreamPodSandboxStatsResponse&)>&
          send);

  // cAdvisor-style metrics (metric_descriptors_list.cc, sandbox_metrics.cc).
  absl::StatusOr<v1::ListMetricDescriptorsResponse> ListMetricDescriptors(
      const CallContext& ctx, const v1::ListMetricDescriptorsRequest& req);
  absl::StatusOr<v1::ListPodSandboxMetricsResponse> ListPodSandboxMetrics(
      const CallContext& ctx, const v1::ListPodSandboxMetricsRequest& req);
  absl::Status StreamPodSandboxMetrics(
      const CallContext& ctx, const v1::StreamPodSandboxMetricsRequest& req,
      const std::function<bool(const v1::StreamPodSandboxMetricsResponse&)>&
          send);

 private:
  // A sandbox as docker and the checkpoint know it.
  struct SandboxInfo {
    std::string id;
    std::optional<docker::ContainerInspect> container;  // unset: gone
    std::optional<store::SandboxCheckpoint> checkpoint;
    bool host_network = false;
  };
  // Finds a sandbox by ID or unique ID prefix: its infra container and/or
  // its checkpoint. NotFound if neither exists; InvalidArgument if `id`
  // is empty.
  absl::StatusOr<SandboxInfo> FindSandbox(const CallContext& ctx,
                                          const std::string& id);
  // Waits until no other RunPodSandbox, StopPodSandbox or
  // RemovePodSandbox of sandbox `id` (a full ID) runs, and holds it off
  // until the lock is dropped: one pod's CNI ADD and DEL never overlap.
  // DeadlineExceeded at the call's docker deadline.
  absl::StatusOr<KeyedMutex::Lock> LockSandbox(const CallContext& ctx,
                                               const std::string& id);
  // The network plugin's view of a sandbox, for set-up and tear-down.
  network::PodNetworkRequest NetworkRequest(const SandboxInfo& sandbox) const;
  // The pod's IPs: none for host network, docker's bridge address in
  // no-op mode, else the plugin's in-process read of the netns.
  std::vector<std::string> SandboxIps(const CallContext& ctx,
                                      const SandboxInfo& sandbox);
  // All sandboxes (infra containers, plus checkpoints whose container is
  // gone) as CRI PodSandbox entries, filtered.
  absl::StatusOr<std::vector<v1::PodSandbox>> ListSandboxes(
      const CallContext& ctx, const v1::PodSandboxFilter& filter);
  absl::StatusOr<std::vector<ListItemPtr<v1::PodSandbox>>> ListSandboxItems(
      const CallContext& ctx, const v1::PodSandboxFilter& filter);
  // A CRI container (labelled as ours) by ID or unique prefix, from the
  // container view (so without raw_json while the view serves); NotFound
  // otherwise, InvalidArgument for a malformed ID.
  absl::StatusOr<docker::ContainerInspect> FindContainer(const CallContext& ctx,
                                                         const std::string& id);
  // The verbs that change containers through docker call this for each
  // container they touched (after the docker call, whatever its result):
  // the next List/Status asks docker about it even if docker's event has
  // not arrived yet.
  void ContainerChanged(const std::string& id);
  // docker's inspect JSON of `c` for a verbose Status: the view keeps
  // none, so docker is asked when `c` has none ("" if docker fails).
  std::string VerboseInfo(const CallContext& ctx,
                          const docker::ContainerInspect& c);
  // FindContainer, and FailedPrecondition unless it runs; Unavailable
  // without a streaming server.
  absl::StatusOr<docker::ContainerInspect> FindRunningContainer(
      const CallContext& ctx, const std::string& id);
  // kubelet's checks of the streams an Exec or Attach asks for.
  static absl::Status ValidateStreams(bool tty, bool stdin, bool stdout,
                                      bool stderr);
  static v1::ContainerState CriState(const docker::ContainerState& s);
  absl::StatusOr<std::vector<v1::Container>> ListCriContainers(
      const CallContext& ctx, const v1::ContainerFilter& filter);
  absl::StatusOr<std::vector<ListItemPtr<v1::Container>>> ListContainerItems(
      const CallContext& ctx, const v1::ContainerFilter& filter);
  // Writes `settings` (what docker cannot express) into the cgroup of
  // container `id`, which docker has just started or updated, through a
  // fresh inspect for its process (container_cgroup_files.cc). OK when
  // there is nothing to write or the container no longer runs; else
  // CgroupWriter::Write's errors, or the inspect's.
  absl::Status WriteCgroupFiles(const CallContext& ctx, const std::string& id,
                                const CgroupFileSettings& settings);
  // Starts copying a started container's output into its CRI log file.
  void StartLogCopy(const docker::ContainerInspect& c);
  // Tears the pod's network down, stops its containers and then the
  // infra container (StopPodSandbox, and the rollback of a failed run).
  absl::Status StopSandbox(const CallContext& ctx, const SandboxInfo& sandbox);

  // Stats of one container: `attributes` as given, cpu/memory/swap from
  // its cgroup when `running` (`inspected`: a fresh inspect, if the
  // caller has one), the writable layer from the background cache. The
  // cgroup reading goes to *sample when given and read.
  v1::ContainerStats CollectContainerStats(
      const CallContext& ctx, v1::ContainerAttributes attributes, bool running,
      const docker::ContainerInspect* inspected,
      std::optional<stats::CgroupSample>* sample = nullptr);
  // The pod's own cgroup: the parent of the infra container's cgroups
  // when that is the cgroup parent the sandbox was run with; unset when
  // the pod has none (it then sits in docker's default parent).
  static std::optional<stats::CgroupPaths> PodCgroup(
      const stats::LocatedContainer& infra);
  // The pod-level half of PodSandboxStats: cpu, memory, process count
  // and network of a running sandbox whose infra container is
  // `infra`; `container_samples` are its containers' cgroup readings.
  void CollectPodStats(
      const std::string& sandbox_id, const stats::LocatedContainer& infra,
      const std::vector<stats::CgroupSample>& container_samples,
      v1::LinuxPodSandboxStats* out);

  // Changes of one pod, in order, as clients see them (one event each):
  // the pod sandbox's status (or, for a gone sandbox, what its name and
  // labels tell) and the statuses of the pod's containers, read once
  // for all of them (events::EventDescriber).
  std::vector<v1::ContainerEventResponse> DescribeContainerEvents(
      const std::vector<events::ContainerChange>& changes);

  // The deadline for one docker call: the caller's, capped by
  // --runtime-request-timeout.
  absl::Time DockerDeadline(const CallContext& ctx) const;

  // Constant after construction.
  docker::DockerClient* const docker_;
  network::NetworkPlugin* const network_;
  NodeImages* const images_;
  store::CheckpointStore* const checkpoints_;
  const RuntimeOptions options_;
  logs::ContainerLogManager* const logs_;
  // Caches of the stats verbs (thread-safe itself).
  const std::unique_ptr<stats::Collector> stats_;
  // Writes the cgroup files docker cannot (thread-safe itself).
  const std::unique_ptr<stats::CgroupWriter> cgroup_writer_;
  // Kills timed-out execs that docker starts late (thread-safe itself).
  const std::unique_ptr<LateExecReaper> late_execs_;
  // The shim's containers as docker last reported them (thread-safe
  // itself): what the List/Status verbs and the lookups read. Verbs that
  // change containers through docker Invalidate() them.
  const std::unique_ptr<container_view::ContainerView> view_;
  // The List verbs' entries, per docker summary of view_ (thread-safe
  // themselves).
  const std::unique_ptr<ListItemCache<v1::Container>> container_items_;
  const std::unique_ptr<ListItemCache<v1::PodSandbox>> sandbox_items_;
  // One entry per sandbox that a Run, Stop or Remove works on now
  // (thread-safe itself; see LockSandbox).
  KeyedMutex sandbox_locks_;
  // Set once before serving.
  streaming::StreamingServer* streaming_ = nullptr;
  // Last: its threads call back into this object and feed view_, so it
  // goes first.
  const std::unique_ptr<events::ContainerEventSource> events_;
};

}  // namespace cri_dockerd
