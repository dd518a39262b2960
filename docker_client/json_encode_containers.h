// Encoding of container requests into docker's JSON: the body of
// POST /containers/create and the filters= value of GET /containers/json.
// Internal to docker_client/; the output is plain text, so no JSON type
// leaks out.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "docker_client/container_types.h"

namespace cri_dockerd::docker {

// True if `config` has a mount that must be recursively read-only.
bool NeedsRecursiveReadOnly(const ContainerCreateConfig& config);

// docker's create body (Config fields at the top level, plus HostConfig;
// NetworkingConfig is left out) for a daemon spoken to at `api_version`.
// Following the docker CLI, AttachStdout/AttachStderr are true. Optional
// parts are sent only when set: Entrypoint, Cmd, MaskedPaths and
// ReadonlyPaths (an empty set one is sent as []), PidsLimit, ShmSize (not
// 0), Runtime and StopSignal (not ""), LogConfig (when log_driver is set).
//
// Mounts: each becomes a HostConfig.Mounts bind entry (the host path must
// exist: dockerd answers 400 "bind source path does not exist"), except
// those with selinux_relabel, which HostConfig.Mounts cannot express: they
// go to HostConfig.Binds as "src:dst[:ro],Z[,propagation]" (docker creates
// a missing source directory there). From API 1.44 on, where docker makes
// a read-only bind recursively read-only by default, a plain read-only
// Mounts entry asks for ReadOnlyNonRecursive (the CRI meaning of
// readonly) and a recursive_read_only one for ReadOnlyForceRecursive (and
// ReadOnly). Errors:
//   FailedPrecondition  recursive_read_only below API 1.44
//   InvalidArgument     recursive_read_only with selinux_relabel (no
//                       docker syntax has both), or a relabelled mount
//                       whose source or target holds ':' (Binds syntax)
// Resources.hugepage_limits is not sent: docker's API has no hugepage
// field.
absl::StatusOr<std::string> EncodeContainerCreate(
    const ContainerCreateConfig& config, std::string_view api_version);

// docker's filters JSON, {"label":{"a=b":true,"c":true},"status":{...}};
// "" when there is no filter value at all (keys with no values dropped).
// The body of POST /containers/{id}/update: the resource fields docker
// can change on a running container.
std::string EncodeContainerUpdate(const Resources& resources);

std::string EncodeContainerFilters(
    const std::map<std::string, std::vector<std::string>>& filters);

}  // namespace cri_dockerd::docker
