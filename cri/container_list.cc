// ListContainers / StreamContainers: docker's containers labelled as CRI
// containers (as the container view holds them), filtered by ID (full or
// prefix), state, pod sandbox and labels. Read-only. Each entry is
// converted once per docker summary (ListItemCache).
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "cri/base/stream_batches.h"
#include "cri/container_view/container_view.h"
#include "cri/convert/image_spec_labels.h"
#include "cri/convert/naming.h"
#include "cri/list_item_cache.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {
namespace {

v1::ContainerState StateOf(const std::string& docker_state) {
  if (docker_state == "running" || docker_state == "paused" ||
      docker_state == "restarting") {
    return v1::CONTAINER_RUNNING;
  }
  if (docker_state == "created") return v1::CONTAINER_CREATED;
  if (docker_state == "exited" || docker_state == "dead") {
    return v1::CONTAINER_EXITED;
  }
  return v1::CONTAINER_UNKNOWN;
}

std::optional<v1::Container> ToCriContainer(const docker::ContainerSummary& s) {
  if (s.names.empty()) return std::nullopt;
  absl::StatusOr<NameParts> parts = ParseName(s.names[0]);
  if (!parts.ok()) return std::nullopt;
  v1::Container c;
  c.set_id(s.id);
  auto sandbox = s.labels.find(kSandboxIdLabel);
  if (sandbox != s.labels.end()) c.set_pod_sandbox_id(sandbox->second);
  c.mutable_metadata()->set_name(parts->container);
  c.mutable_metadata()->set_attempt(parts->attempt);
  c.mutable_image()->set_image(s.image);
  FillImageSpecFromLabels(s.labels, c.mutable_image());
  c.set_image_ref(s.image_id);
  c.set_image_id(s.image_id);
  c.set_state(StateOf(s.state));
  c.set_created_at(s.created * 1000000000);
  auto [labels, annotations] = ExtractLabels(s.labels);
  c.mutable_labels()->insert(labels.begin(), labels.end());
  c.mutable_annotations()->insert(annotations.begin(), annotations.end());
  return c;
}

}  // namespace

absl::StatusOr<std::vector<ListItemPtr<v1::Container>>>
RuntimeService::ListContainerItems(const CallContext& ctx,
                                   const v1::ContainerFilter& filter) {
  docker::ListContainersOptions list;
  list.filters["label"] = {
      absl::StrCat(kContainerTypeLabel, "=", kContainerTypeContainer)};
  if (!filter.pod_sandbox_id().empty()) {
    // Sandbox IDs may be given as prefixes: resolve to the full ID.
    absl::StatusOr<SandboxInfo> sandbox =
        FindSandbox(ctx, filter.pod_sandbox_id());
    if (absl::IsNotFound(sandbox.status())) {
      return std::vector<ListItemPtr<v1::Container>>{};
    }
    if (!sandbox.ok()) return sandbox.status();
    list.filters["label"].push_back(
        absl::StrCat(kSandboxIdLabel, "=", sandbox->id));
  }
  ASSIGN_OR_RETURN(std::vector<container_view::SummaryPtr> containers,
                   view_->ListContainers(list, DockerDeadline(ctx)));
  std::vector<ListItemPtr<v1::Container>> out;
  out.reserve(containers.size());
  for (const container_view::SummaryPtr& listed : containers) {
    ListItemPtr<v1::Container> item =
        container_items_->Get(listed, ToCriContainer);
    if (item != nullptr && MatchesListFilter(item->message, filter)) {
      out.push_back(std::move(item));
    }
  }
  return out;
}

absl::StatusOr<std::vector<v1::Container>> RuntimeService::ListCriContainers(
    const CallContext& ctx, const v1::ContainerFilter& filter) {
  ASSIGN_OR_RETURN(std::vector<ListItemPtr<v1::Container>> items,
                   ListContainerItems(ctx, filter));
  return MessagesOf(items);
}

absl::StatusOr<v1::ListContainersResponse> RuntimeService::ListContainers(
    const CallContext& ctx, const v1::ListContainersRequest& req) {
  ASSIGN_OR_RETURN(std::vector<ListItemPtr<v1::Container>> items,
                   ListContainerItems(ctx, req.filter()));
  v1::ListContainersResponse resp;
  for (const ListItemPtr<v1::Container>& item : items) {
    *resp.add_containers() = item->message;
  }
  return resp;
}

absl::StatusOr<v1::ListContainersResponse>
RuntimeService::ListContainersEncoded(const CallContext& ctx,
                                      const v1::ListContainersRequest& req) {
  ASSIGN_OR_RETURN(std::vector<ListItemPtr<v1::Container>> items,
                   ListContainerItems(ctx, req.filter()));
  return EncodedReply<v1::ListContainersResponse>(
      items, v1::ListContainersResponse::kContainersFieldNumber);
}

absl::Status RuntimeService::StreamContainers(
    const CallContext& ctx, const v1::StreamContainersRequest& req,
    const std::function<bool(const v1::StreamContainersResponse&)>& send) {
  ASSIGN_OR_RETURN(std::vector<v1::Container> items,
                   ListCriContainers(ctx, req.filter()));
  return SendInBatches(
      items,
      [](v1::StreamContainersResponse& b) { return b.mutable_containers(); },
      send);
}

}  // namespace cri_dockerd
