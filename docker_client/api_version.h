// Docker Engine API version numbers: the range this shim speaks, how two
// versions compare, which version to speak with a daemon, and the first
// versions of features more than one file of docker_client/ tests for.
// Only docker_client/ compares versions; cri/ reads EngineCapabilities.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "docker_client/types.h"

namespace cri_dockerd::docker {

// The API range this shim speaks: Docker 20.10 (Debian 12's docker.io)
// through Docker 28.x.
inline constexpr char kMinApiVersion[] = "1.41";
inline constexpr char kMaxApiVersion[] = "1.51";

// The first API version (Docker 25) whose bind mounts take
// BindOptions.ReadOnlyNonRecursive / ReadOnlyForceRecursive.
inline constexpr char kRecursiveReadOnlyApiVersion[] = "1.44";
// The first API version (Docker 25) that takes CDI device requests
// (DeviceRequests with Driver "cdi").
inline constexpr char kCdiDevicesApiVersion[] = "1.44";

// Numeric comparison of "major.minor" API versions (so "1.9" < "1.41"):
// negative, zero or positive like strcmp. Unparseable text sorts lowest.
int CompareApiVersions(std::string_view a, std::string_view b);

// The API version to speak with a daemon that reported `daemon` from
// GET /version: min(daemon.api_version, kMaxApiVersion).
// FailedPrecondition if the daemon is older than kMinApiVersion, if its
// MinAPIVersion is above what we can speak, or if it reports no version.
absl::StatusOr<std::string> ChooseApiVersion(const VersionInfo& daemon);

}  // namespace cri_dockerd::docker
