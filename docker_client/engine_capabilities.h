// What the Docker Engine in use can do, as one value: cri/ reads it (from
// DockerClient::Capabilities) instead of comparing API versions or asking
// GET /info on every call. It holds what decides how cri/ builds its
// requests to docker. Left out: facts cri/ only reports or locates
// (docker_root_dir, versions, the default runtime), which the verbs that
// need them still read from Info() or Version() as fresh as before.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "docker_client/types.h"

namespace cri_dockerd::docker {

struct EngineCapabilities {
  // The API version the client speaks with the engine (negotiated, e.g.
  // "1.41"): the value holds for this negotiation only.
  std::string api_version;
  // "cgroupfs" or "systemd": how cgroup parents are named.
  std::string cgroup_driver;
  // Names of the OCI runtimes dockerd is configured with ("runc", ...).
  std::vector<std::string> runtimes;
  // Bind mounts can be made recursively read-only (API 1.44, Docker 25).
  bool recursive_read_only_mounts = false;
  // CDI devices can be requested (API 1.44, Docker 25). Whether dockerd's
  // "cdi" feature is on is not known here: docker refuses the request
  // when it is off.
  bool cdi_devices = false;

  // True if dockerd has a runtime named `name`.
  bool HasRuntime(std::string_view name) const;
};

// The capabilities of an engine spoken to at `api_version` (negotiated)
// whose GET /info said `info`.
EngineCapabilities MakeEngineCapabilities(std::string api_version,
                                          const SystemInfo& info);

}  // namespace cri_dockerd::docker
