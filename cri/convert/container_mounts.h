// Turns a container's CRI mounts, devices and CDI devices into docker's
// bind mounts and device mappings, refusing what Docker Engine cannot do.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "docker_client/container_types.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "proto/cri_api.h"

namespace cri_dockerd {

namespace v1 = ::runtime::v1;

// docker bind mounts for `mounts`, in order. Every mount is checked before
// anything touches the host; then each missing host path is created as a
// directory (mkdir -p, mode 0755 less the umask), as `docker run -v` does,
// except under /proc and /sys, where a missing path is an error.
//
// Propagation: PRIVATE is docker's default ("" here: rprivate, or rslave
// for a source that holds docker's root dir, where docker refuses an
// explicit rprivate), HOST_TO_CONTAINER "rslave", BIDIRECTIONAL "rshared".
// recursive_read_only needs readonly, PRIVATE propagation, no SELinux
// relabel, and `recursive_read_only_supported` (Docker 25, API 1.44:
// EngineCapabilities::recursive_read_only_mounts).
//
// Errors name the field ("config.mounts[i].host_path"): InvalidArgument
// for bad requests (empty, relative or ".." paths, duplicate container
// paths, ID mappings, inconsistent recursive_read_only); FailedPrecondition
// for what this engine cannot do (image volumes, recursive read-only before
// Docker 25) and for host paths that cannot be inspected or created.
absl::StatusOr<std::vector<docker::BindMount>> ToDockerMounts(
    const google::protobuf::RepeatedPtrField<v1::Mount>& mounts,
    bool recursive_read_only_supported);

// docker device mappings: both paths absolute without "..", permissions a
// combination of "r", "w", "m" ("" is "rwm"). InvalidArgument naming the
// field ("config.devices[i].permissions") otherwise. The host device is
// not looked at; docker reports a missing one.
absl::StatusOr<std::vector<docker::DeviceMapping>> ToDockerDevices(
    const google::protobuf::RepeatedPtrField<v1::Device>& devices);

// CDI devices ("vendor.com/class=name"), which docker takes as
// DeviceRequests with Driver "cdi" from Docker 25 (API 1.44) when its "cdi"
// feature is on; `engine_supports_cdi` is EngineCapabilities::cdi_devices.
// InvalidArgument for a name that is not fully qualified;
// FailedPrecondition naming the devices when there are some and the engine
// cannot take them. On success `names` (if given) receives the names in
// order.
absl::Status CheckCdiDevices(
    const google::protobuf::RepeatedPtrField<v1::CDIDevice>& devices,
    bool engine_supports_cdi, std::vector<std::string>* names = nullptr);

}  // namespace cri_dockerd
