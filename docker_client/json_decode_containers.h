// Decoding of docker's container replies (create, inspect, list) into the
// structs of container_types.h. Replies are untrusted input: malformed
// JSON or the wrong top-level type is Internal; missing, null or mistyped
// fields fall back to defaults. Nothing here throws.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "docker_client/container_types.h"

namespace cri_dockerd::docker {

// POST /containers/create: {"Id": ..., "Warnings": [...] or null}.
struct CreatedContainer {
  std::string id;
  std::vector<std::string> warnings;
};

// Internal also when the reply has no Id.
absl::StatusOr<CreatedContainer> DecodeContainerCreated(absl::string_view body);

// GET /containers/{id}/json. Name loses its leading '/'; State, Config,
// HostConfig and NetworkSettings may each be null or absent (their fields
// stay default), as may PortBindings, Networks and Mounts. PortBindings
// are listed by container port (sorted), in docker's order within one.
// raw_json is `body` itself.
absl::StatusOr<ContainerInspect> DecodeContainerInspect(absl::string_view body);

// GET /containers/json: a JSON array; Names lose their leading '/'.
absl::StatusOr<std::vector<ContainerSummary>> DecodeContainerList(
    absl::string_view body);

}  // namespace cri_dockerd::docker
