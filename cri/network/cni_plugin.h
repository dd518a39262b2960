// CNI network plugin: attaches pods with the network configuration found in
// --cni-conf-dir and the plugin binaries in --cni-bin-dir, the way libcni
// does (plugins chained with prevResult, runtimeConfig for declared
// capabilities, results cached in --cni-cache-dir for DEL). The
// configuration is re-read on every call, so a file dropped in later turns
// NetworkReady true, and is used, without a restart.
#pragma once

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cri/network/cni_capabilities.h"
#include "cri/network/cni_config.h"
#include "cri/network/cni_exec.h"
#include "cri/network/network_plugin.h"

namespace cri_dockerd::network {

class CniNetworkPlugin : public NetworkPlugin {
 public:
  explicit CniNetworkPlugin(NetworkSettings settings);

  std::string Name() const override { return "cni"; }
  absl::Status Ready() override;
  void SetPodCidr(const std::string& cidr) override;
  std::string PodCidr() const override;

  // Brings up lo in the pod's netns, then runs ADD for each plugin of the
  // current configuration in order. On failure runs DEL for the whole list
  // (reverse order) before returning the error. Caches the result.
  absl::StatusOr<PodNetworkStatus> SetUpPod(const PodNetworkRequest& pod,
                                            absl::Time deadline) override;

  // Runs DEL in reverse order with the cached config, capability args and
  // result when the ADD was cached, else with the current configuration.
  // Succeeds when there is neither. Removes the cache entry on success.
  absl::Status TearDownPod(const PodNetworkRequest& pod,
                           absl::Time deadline) override;

  // eth0's addresses read inside the netns, or the cached result's when
  // the netns is gone; empty when neither is known.
  absl::StatusOr<PodNetworkStatus> GetPodNetworkStatus(
      const PodNetworkRequest& pod, absl::Time deadline) override;

 private:
  CniInvocation Invocation(const std::string& command,
                           const std::string& container_id,
                           const std::string& netns, const CniArgs& args) const;

  // ADD for each plugin in order; the last plugin's result. Rolls back
  // (DEL of the whole list) on failure.
  absl::StatusOr<std::string> AddNetworkList(const CniConfig& config,
                                             const CniInvocation& inv,
                                             const std::string& caps,
                                             absl::Time deadline) const;

  // DEL for each plugin in reverse order, going on past a failure so as
  // much as possible is undone; the first error.
  absl::Status DelNetworkList(const CniConfig& config, CniInvocation inv,
                              const std::string& caps,
                              const std::string& prev_result,
                              absl::Time deadline) const;

  // Constant after construction.
  const NetworkSettings settings_;
  const std::vector<std::string> bin_dirs_;

  mutable absl::Mutex mu_;
  std::string pod_cidr_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::network
