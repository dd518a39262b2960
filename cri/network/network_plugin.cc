#include "cri/network/network_plugin.h"

#include "absl/strings/str_cat.h"
#include "cri/network/cni_plugin.h"
#include "cri/network/noop_plugin.h"

namespace cri_dockerd::network {

absl::StatusOr<std::unique_ptr<NetworkPlugin>> CreateNetworkPlugin(
    const NetworkSettings& settings) {
  std::unique_ptr<NetworkPlugin> plugin;
  const std::string& name = settings.plugin_name;
  if (name == "cni") {
    plugin = std::make_unique<CniNetworkPlugin>(settings);
  } else if (name.empty() || name == "no-op" || name == "noop") {
    plugin = std::make_unique<NoopNetworkPlugin>();
  } else if (name == "kubenet") {
    return absl::InvalidArgumentError(
        "--network-plugin=kubenet is not supported; use --network-plugin=cni "
        "with the CNI bridge and host-local plugins, which give the same "
        "node-local bridge networking");
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--network-plugin: unknown plugin \"", name,
                     "\" (want cni, or an empty value for docker's bridge)"));
  }
  plugin->SetPodCidr(settings.pod_cidr);
  return plugin;
}

}  // namespace cri_dockerd::network
