// GetContainerEvents: a stream of CRI container events for kubelet's
// Evented PLEG, one per lifecycle change of the shim's containers AND of
// its pod sandboxes (like containerd's CRI plugin, a sandbox's events
// carry the sandbox ID as container_id): CREATED (docker "create"),
// STARTED ("start"), STOPPED ("die"), DELETED ("destroy"). Each carries
// when docker logged it, the pod sandbox's status and the statuses of
// the pod's containers, read when the event is described (so they may be
// newer than the event; a pod's changes that wait together are described
// from one read). kubelet drops events without sandbox metadata, so a
// sandbox that is already gone is described from its docker name and
// labels. Events of one pod arrive in docker's order. A stream that
// missed events (its client, or the shim, fell too far behind) ends with
// ABORTED; the client lists again and calls again. Read-only; one docker
// event watch serves every stream (see events::ContainerEventSource for
// reconnection and deduplication, events::DescribeWorkers for describing
// off the watch's threads).
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "common/logging.h"
#include "cri/convert/naming.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {
namespace {

// How often a waiting stream checks that its client is still there.
constexpr absl::Duration kCancelPoll = absl::Milliseconds(200);

}  // namespace

std::vector<v1::ContainerEventResponse> RuntimeService::DescribeContainerEvents(
    const std::vector<events::ContainerChange>& changes) {
  std::vector<v1::ContainerEventResponse> out;
  out.reserve(changes.size());
  for (const events::ContainerChange& change : changes) {
    v1::ContainerEventResponse& resp = out.emplace_back();
    resp.set_container_id(change.id);
    resp.set_container_event_type(change.type);
    resp.set_created_at(change.time_nano);
  }
  if (changes.empty() || changes.front().sandbox_id.empty()) return out;
  const std::string& sandbox_id = changes.front().sandbox_id;
  // Read once for every change: they were all reported before this read
  // began, and each one's container was marked stale in the view then,
  // so what is read is at least as new as every change.
  const CallContext ctx = CallContext::WithTimeout(options_.request_timeout);

  v1::PodSandboxStatusRequest sandbox_req;
  sandbox_req.set_pod_sandbox_id(sandbox_id);
  absl::StatusOr<v1::PodSandboxStatusResponse> sandbox =
      PodSandboxStatus(ctx, sandbox_req);
  // RemovePodSandbox drops the checkpoint after the infra container: in
  // between, the status comes from the checkpoint alone, without the uid
  // kubelet routes events by. That counts as gone.
  const bool whole =
      sandbox.ok() && !sandbox->status().metadata().uid().empty();

  std::vector<v1::ContainerStatus> statuses;
  v1::ContainerFilter filter;
  filter.set_pod_sandbox_id(sandbox_id);
  absl::StatusOr<std::vector<v1::Container>> containers =
      ListCriContainers(ctx, filter);
  if (!containers.ok()) {
    LOG(WARNING) << "container events of pod " << sandbox_id
                 << ": cannot list the pod's containers: "
                 << containers.status();
  } else {
    for (const v1::Container& c : *containers) {
      v1::ContainerStatusRequest status_req;
      status_req.set_container_id(c.id());
      absl::StatusOr<v1::ContainerStatusResponse> status =
          ContainerStatus(ctx, status_req);
      // NotFound: removed since the listing; its own event follows.
      if (status.ok()) statuses.push_back(std::move(*status->mutable_status()));
    }
  }

  for (size_t i = 0; i < changes.size(); ++i) {
    const events::ContainerChange& change = changes[i];
    v1::ContainerEventResponse& resp = out[i];
    absl::StatusOr<NameParts> parts = ParseName(change.name);
    if (whole || (sandbox.ok() && !parts.ok())) {
      *resp.mutable_pod_sandbox_status() = sandbox->status();
    } else if (parts.ok()) {
      // Gone: the pod's identity is in the name of any of its containers.
      v1::PodSandboxStatus* st = resp.mutable_pod_sandbox_status();
      st->set_id(change.sandbox_id);
      st->set_state(v1::SANDBOX_NOTREADY);
      v1::PodSandboxMetadata* meta = st->mutable_metadata();
      meta->set_name(parts->pod);
      meta->set_namespace_(parts->ns);
      meta->set_uid(parts->uid);
      if (change.is_sandbox) {
        meta->set_attempt(parts->attempt);
        auto [labels, annotations] = ExtractLabels(change.labels);
        st->mutable_labels()->insert(labels.begin(), labels.end());
        st->mutable_annotations()->insert(annotations.begin(),
                                          annotations.end());
      }
    } else {
      LOG(WARNING) << "container event for " << change.id
                   << ": no pod sandbox status: " << sandbox.status();
    }
    for (const v1::ContainerStatus& st : statuses) {
      *resp.add_containers_statuses() = st;
    }
  }
  return out;
}

absl::Status RuntimeService::GetContainerEvents(
    const CallContext& ctx, const v1::GetEventsRequest& /*req*/,
    const std::function<bool(const v1::ContainerEventResponse&)>& send) {
  std::unique_ptr<events::EventBroadcaster::Subscription> sub =
      events_->Subscribe();
  LOG(INFO) << "GetContainerEvents: client subscribed";
  for (;;) {
    if (ctx.IsCancelled()) {
      LOG(INFO) << "GetContainerEvents: client went away";
      return absl::OkStatus();
    }
    absl::StatusOr<events::EventPtr> next = sub->Next(kCancelPoll);
    if (absl::IsCancelled(next.status())) return absl::OkStatus();  // stop
    if (!next.ok()) {
      LOG(WARNING) << "GetContainerEvents: " << next.status();
      return next.status();
    }
    if (*next == nullptr) continue;
    if (!send(**next)) return absl::CancelledError("client went away");
  }
}

absl::Status RuntimeService::StartDockerWatch() { return events_->Start(); }

void RuntimeService::StopContainerEvents() { events_->Stop(); }

}  // namespace cri_dockerd
