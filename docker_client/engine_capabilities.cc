#include "docker_client/engine_capabilities.h"

#include <algorithm>
#include <utility>

#include "docker_client/api_version.h"

namespace cri_dockerd::docker {

bool EngineCapabilities::HasRuntime(std::string_view name) const {
  return std::find(runtimes.begin(), runtimes.end(), name) != runtimes.end();
}

EngineCapabilities MakeEngineCapabilities(std::string api_version,
                                          const SystemInfo& info) {
  EngineCapabilities caps;
  caps.recursive_read_only_mounts =
      CompareApiVersions(api_version, kRecursiveReadOnlyApiVersion) >= 0;
  caps.cdi_devices =
      CompareApiVersions(api_version, kCdiDevicesApiVersion) >= 0;
  caps.api_version = std::move(api_version);
  caps.cgroup_driver = info.cgroup_driver;
  caps.runtimes = info.runtimes;
  return caps;
}

}  // namespace cri_dockerd::docker
