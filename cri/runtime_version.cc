// Version: reports the CRI API this shim serves and the Docker Engine
// version behind it. Read-only; one GET /version.
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {
namespace {
// The kubelet-facing "version" of the runtime API, as dockershim reported.
constexpr char kKubeApiVersion[] = "0.1.0";
constexpr char kRuntimeName[] = "docker";
constexpr char kCriApiVersion[] = "v1";
}  // namespace

absl::StatusOr<v1::VersionResponse> RuntimeService::Version(
    const CallContext& ctx, const v1::VersionRequest& req) {
  ASSIGN_OR_RETURN(docker::VersionInfo version,
                   docker_->Version(DockerDeadline(ctx)));
  v1::VersionResponse resp;
  resp.set_version(kKubeApiVersion);
  resp.set_runtime_name(kRuntimeName);
  resp.set_runtime_version(version.version);
  resp.set_runtime_api_version(kCriApiVersion);
  return resp;
}

}  // namespace cri_dockerd
