// What the container verbs share: finding a CRI container by ID.
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "cri/naming.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {

absl::StatusOr<docker::ContainerInspect> RuntimeService::FindContainer(
    const CallContext& ctx, const std::string& id) {
  RETURN_IF_ERROR(ValidateId("container_id", id));
  absl::StatusOr<docker::ContainerInspect> c =
      docker_->InspectContainer(id, DockerDeadline(ctx));
  if (absl::IsNotFound(c.status()) || absl::IsInvalidArgument(c.status())) {
    return absl::NotFoundError(
        absl::StrCat("container \"", id, "\" not found"));
  }
  if (!c.ok()) return c.status();
  auto type = c->labels.find(kContainerTypeLabel);
  if (type == c->labels.end() || type->second != kContainerTypeContainer) {
    return absl::NotFoundError(absl::StrCat(
        "container \"", id, "\" not found (docker has it, but it is not a ",
        "CRI container)"));
  }
  return c;
}

}  // namespace cri_dockerd
