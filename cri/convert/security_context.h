// Turns CRI security contexts into docker create options: user, groups,
// privileges, seccomp, AppArmor and SELinux security options.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "docker_client/container_types.h"
#include "proto/cri_api.h"

namespace cri_dockerd {

namespace v1 = ::runtime::v1;

// docker SecurityOpt entries for a seccomp profile: RuntimeDefault (or
// unset) is docker's default profile, Unconfined "seccomp=unconfined",
// Localhost the JSON of the profile file (absolute path; read here, as
// the docker CLI does). `field` names the request field in errors.
absl::StatusOr<std::vector<std::string>> SeccompSecurityOpts(
    const v1::SecurityProfile& profile, const std::string& field);

// "apparmor=..." entries: RuntimeDefault (or unset) is docker's default,
// Unconfined "apparmor=unconfined", Localhost the named loaded profile.
absl::StatusOr<std::vector<std::string>> AppArmorSecurityOpts(
    const v1::SecurityProfile& profile, const std::string& field);

// "label=user:..", "label=role:..", "label=type:..", "label=level:..".
std::vector<std::string> SelinuxSecurityOpts(const v1::SELinuxOption& se);

// docker's "user[:group]" from run_as_user / run_as_username and
// run_as_group; a group without a user is InvalidArgument.
absl::StatusOr<std::string> DockerUser(const v1::Int64Value* run_as_user,
                                       const std::string& run_as_username,
                                       const v1::Int64Value* run_as_group);

// The pod-level security context of the infra container (no linux
// section or no security context behaves like an empty one).
absl::Status ApplySandboxSecurityContext(
    const v1::LinuxSandboxSecurityContext& sc,
    docker::ContainerCreateConfig* config);

}  // namespace cri_dockerd
