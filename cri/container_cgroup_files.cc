// The cgroup settings docker cannot express (cgroup v2 `unified` keys,
// hugepage limits; cri/convert/cgroup_files.h), written by the shim into
// a container's own cgroup once docker has made it: at StartContainer
// from the labels CreateContainer left, at UpdateContainerResources from
// the request.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "cri/convert/cgroup_files.h"
#include "cri/runtime_service.h"
#include "cri/stats/cgroup_writer.h"

namespace cri_dockerd {

absl::Status RuntimeService::WriteCgroupFiles(
    const CallContext& ctx, const std::string& id,
    const CgroupFileSettings& settings) {
  if (settings.empty()) return absl::OkStatus();
  // The view's copy may predate the start: docker knows the process.
  absl::StatusOr<docker::ContainerInspect> c =
      docker_->InspectContainer(id, DockerDeadline(ctx));
  if (absl::IsNotFound(c.status())) return absl::OkStatus();
  if (!c.ok()) {
    return absl::Status(c.status().code(),
                        absl::StrCat("container ", id,
                                     ": finding its process for its cgroup "
                                     "settings: ",
                                     c.status().message()));
  }
  if (!c->state.running || c->state.pid <= 0) return absl::OkStatus();
  return cgroup_writer_->Write(id, c->state.pid, settings.unified,
                               settings.hugetlb);
}

}  // namespace cri_dockerd
