// Turns a container's CRI security context (LinuxContainerSecurityContext)
// into docker create options: user and groups, privileges, capabilities,
// masked/read-only paths, seccomp/AppArmor/SELinux options and the
// namespaces shared with the pod's infra container.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "docker_client/container_types.h"
#include "proto/cri_api.h"

namespace cri_dockerd {

namespace v1 = ::runtime::v1;

// Applies `sc` to `config` for a container of sandbox `sandbox_id`.
// Scalars (user, privileged, readonly_rootfs, the namespace modes,
// masked/readonly paths) are assigned; lists (group_add, cap_add, cap_drop,
// security_opt) are appended to.
//
// Errors are InvalidArgument naming the field
// ("config.linux.security_context.<field>"), including what Docker Engine
// cannot do at all (ambient capabilities, supplemental_groups_policy
// Strict, a user namespace other than the host's). Nothing is read from the
// host except a Localhost seccomp profile file.
//
// An unset `seccomp` message falls back to the deprecated
// seccomp_profile_path ("" = unconfined, as CRI documents it), an unset
// `apparmor` to apparmor_profile ("" = the runtime's default): critest
// v1.26 still drives these tests through the legacy strings.
absl::Status ApplyContainerSecurityContext(
    const v1::LinuxContainerSecurityContext& sc, const std::string& sandbox_id,
    docker::ContainerCreateConfig* config);

// docker's capability name for a CRI one: "net_admin", "CAP_NET_ADMIN" and
// "cap_net_admin" all become "CAP_NET_ADMIN"; "ALL" (any case) stays "ALL".
// `field` names the entry in errors (empty or non-[A-Za-z0-9_] names).
absl::StatusOr<std::string> NormalizeCapability(const std::string& name,
                                                const std::string& field);

// Docker only notices a missing AppArmor profile when the container
// starts; CRI wants CreateContainer to fail. For each "apparmor=<name>"
// in `security_opt` (other than unconfined): FailedPrecondition when
// AppArmor is off (`<sysfs_root>/module/apparmor/parameters/enabled` not
// "Y") or the profile is not in `<sysfs_root>/kernel/security/apparmor/
// profiles`. If that list cannot be read (securityfs not mounted), docker
// is left to decide. Production callers pass "/sys".
absl::Status CheckAppArmorProfilesLoaded(
    const std::vector<std::string>& security_opt,
    const std::string& sysfs_root);

}  // namespace cri_dockerd
