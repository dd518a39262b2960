// ListPodSandbox / StreamPodSandboxes: every infra container docker has
// (label io.kubernetes.docker.type=podsandbox; read from the container
// view), plus sandboxes that exist only as checkpoints (container gone)
// as NOTREADY, so kubelet cleans them up. Filters: ID (full or unique
// prefix), state, label selector. Read-only. Each infra container's
// entry is converted once per docker summary (ListItemCache).
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/base/stream_batches.h"
#include "cri/container_view/container_view.h"
#include "cri/convert/naming.h"
#include "cri/list_item_cache.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {
namespace {

std::optional<v1::PodSandbox> ToCriSandbox(const docker::ContainerSummary& c) {
  if (c.names.empty()) return std::nullopt;
  absl::StatusOr<NameParts> parts = ParseName(c.names[0]);
  if (!parts.ok()) return std::nullopt;  // not made by a kubernetes shim
  v1::PodSandbox s;
  s.set_id(c.id);
  s.mutable_metadata()->set_name(parts->pod);
  s.mutable_metadata()->set_namespace_(parts->ns);
  s.mutable_metadata()->set_uid(parts->uid);
  s.mutable_metadata()->set_attempt(parts->attempt);
  s.set_state(c.state == "running" ? v1::SANDBOX_READY : v1::SANDBOX_NOTREADY);
  s.set_created_at(c.created * 1000000000);
  auto [labels, annotations] = ExtractLabels(c.labels);
  s.mutable_labels()->insert(labels.begin(), labels.end());
  s.mutable_annotations()->insert(annotations.begin(), annotations.end());
  return s;
}

}  // namespace

absl::StatusOr<std::vector<ListItemPtr<v1::PodSandbox>>>
RuntimeService::ListSandboxItems(const CallContext& ctx,
                                 const v1::PodSandboxFilter& filter) {
  docker::ListContainersOptions list;
  list.filters["label"] = {
      absl::StrCat(kContainerTypeLabel, "=", kContainerTypeSandbox)};
  ASSIGN_OR_RETURN(std::vector<container_view::SummaryPtr> containers,
                   view_->ListContainers(list, DockerDeadline(ctx)));
  std::vector<ListItemPtr<v1::PodSandbox>> out;
  out.reserve(containers.size());
  absl::flat_hash_set<absl::string_view> seen;
  for (const container_view::SummaryPtr& listed : containers) {
    seen.insert(listed->id);
    ListItemPtr<v1::PodSandbox> item =
        sandbox_items_->Get(listed, ToCriSandbox);
    if (item != nullptr && MatchesListFilter(item->message, filter)) {
      out.push_back(std::move(item));
    }
  }
  // Checkpoints whose container is gone.
  ASSIGN_OR_RETURN(std::vector<std::string> ids, checkpoints_->List());
  for (const std::string& id : ids) {
    if (seen.contains(id)) continue;
    absl::StatusOr<store::SandboxCheckpoint> cp = checkpoints_->Read(id);
    if (!cp.ok()) continue;  // a corrupt one was logged and removed
    v1::PodSandbox s;
    s.set_id(id);
    s.mutable_metadata()->set_name(cp->name);
    s.mutable_metadata()->set_namespace_(cp->ns);
    s.set_state(v1::SANDBOX_NOTREADY);
    if (MatchesListFilter(s, filter)) out.push_back(MakeListItem(std::move(s)));
  }
  return out;
}

absl::StatusOr<std::vector<v1::PodSandbox>> RuntimeService::ListSandboxes(
    const CallContext& ctx, const v1::PodSandboxFilter& filter) {
  ASSIGN_OR_RETURN(std::vector<ListItemPtr<v1::PodSandbox>> items,
                   ListSandboxItems(ctx, filter));
  return MessagesOf(items);
}

absl::StatusOr<v1::ListPodSandboxResponse> RuntimeService::ListPodSandbox(
    const CallContext& ctx, const v1::ListPodSandboxRequest& req) {
  ASSIGN_OR_RETURN(std::vector<ListItemPtr<v1::PodSandbox>> items,
                   ListSandboxItems(ctx, req.filter()));
  v1::ListPodSandboxResponse resp;
  for (const ListItemPtr<v1::PodSandbox>& item : items) {
    *resp.add_items() = item->message;
  }
  return resp;
}

absl::StatusOr<v1::ListPodSandboxResponse>
RuntimeService::ListPodSandboxEncoded(const CallContext& ctx,
                                      const v1::ListPodSandboxRequest& req) {
  ASSIGN_OR_RETURN(std::vector<ListItemPtr<v1::PodSandbox>> items,
                   ListSandboxItems(ctx, req.filter()));
  return EncodedReply<v1::ListPodSandboxResponse>(
      items, v1::ListPodSandboxResponse::kItemsFieldNumber);
}

absl::Status RuntimeService::StreamPodSandboxes(
    const CallContext& ctx, const v1::StreamPodSandboxesRequest& req,
    const std::function<bool(const v1::StreamPodSandboxesResponse&)>& send) {
  ASSIGN_OR_RETURN(std::vector<v1::PodSandbox> items,
                   ListSandboxes(ctx, req.filter()));
  return SendInBatches(
      items,
      [](v1::StreamPodSandboxesResponse& b) {
        return b.mutable_pod_sandboxes();
      },
      send);
}

}  // namespace cri_dockerd
