// ListContainers / StreamContainers: docker's containers labelled as CRI
// containers (as the container view holds them), filtered by ID (full or
// prefix), state, pod sandbox and labels. Read-only.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "cri/base/stream_batches.h"
#include "cri/container_view/container_view.h"
#include "cri/convert/naming.h"
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

}  // namespace

absl::StatusOr<std::vector<v1::Container>> RuntimeService::ListCriContainers(
    const CallContext& ctx, const v1::ContainerFilter& filter) {
  docker::ListContainersOptions list;
  list.filters["label"] = {
      absl::StrCat(kContainerTypeLabel, "=", kContainerTypeContainer)};
  if (!filter.pod_sandbox_id().empty()) {
    // Sandbox IDs may be given as prefixes: resolve to the full ID.
    absl::StatusOr<SandboxInfo> sandbox =
        FindSandbox(ctx, filter.pod_sandbox_id());
    if (absl::IsNotFound(sandbox.status())) return std::vector<v1::Container>{};
    if (!sandbox.ok()) return sandbox.status();
    list.filters["label"].push_back(
        absl::StrCat(kSandboxIdLabel, "=", sandbox->id));
  }
  ASSIGN_OR_RETURN(std::vector<container_view::SummaryPtr> containers,
                   view_->ListContainers(list, DockerDeadline(ctx)));
  std::vector<v1::Container> out;
  for (const container_view::SummaryPtr& listed : containers) {
    const docker::ContainerSummary& s = *listed;
    if (!filter.id().empty() && !absl::StartsWith(s.id, filter.id())) continue;
    const v1::ContainerState state = StateOf(s.state);
    if (filter.has_state() && filter.state().state() != state) continue;
    auto [labels, annotations] = ExtractLabels(s.labels);
    bool selected = true;
    for (const auto& [key, value] : filter.label_selector()) {
      auto it = labels.find(key);
      selected = selected && it != labels.end() && it->second == value;
    }
    if (!selected || s.names.empty()) continue;
    absl::StatusOr<NameParts> parts = ParseName(s.names[0]);
    if (!parts.ok()) continue;
    v1::Container c;
    c.set_id(s.id);
    auto sandbox = s.labels.find(kSandboxIdLabel);
    if (sandbox != s.labels.end()) c.set_pod_sandbox_id(sandbox->second);
    c.mutable_metadata()->set_name(parts->container);
    c.mutable_metadata()->set_attempt(parts->attempt);
    c.mutable_image()->set_image(s.image);
    c.set_image_ref(s.image_id);
    c.set_image_id(s.image_id);
    c.set_state(state);
    c.set_created_at(s.created * 1000000000);
    c.mutable_labels()->insert(labels.begin(), labels.end());
    c.mutable_annotations()->insert(annotations.begin(), annotations.end());
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<v1::ListContainersResponse> RuntimeService::ListContainers(
    const CallContext& ctx, const v1::ListContainersRequest& req) {
  ASSIGN_OR_RETURN(std::vector<v1::Container> items,
                   ListCriContainers(ctx, req.filter()));
  v1::ListContainersResponse resp;
  for (v1::Container& c : items) *resp.add_containers() = std::move(c);
  return resp;
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
