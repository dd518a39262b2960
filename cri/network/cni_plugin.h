// CNI network plugin: finds the network configuration in --cni-conf-dir and
// the plugin binaries in --cni-bin-dir. Readiness is re-evaluated on every
// call, so a configuration dropped in later turns NetworkReady true without
// a restart.
#pragma once

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cri/network/network_plugin.h"

namespace cri_dockerd::network {

// A network configuration as found on disk (a .conflist, or a single-plugin
// .conf/.json wrapped as a one-element list).
struct CniConfig {
  std::string file;
  std::string name;
  std::string cni_version;
  std::vector<std::string> plugin_types;
};

// Parses one configuration file's text. Errors name what is missing.
absl::StatusOr<CniConfig> ParseCniConfig(const std::string& file,
                                         const std::string& text);

// The first valid configuration in `dir` in lexical file-name order, as
// libcni orders them; NotFound when there is none.
absl::StatusOr<CniConfig> FindCniConfig(const std::string& dir);

class CniNetworkPlugin : public NetworkPlugin {
 public:
  explicit CniNetworkPlugin(NetworkSettings settings);

  std::string Name() const override { return "cni"; }
  absl::Status Ready() override;
  void SetPodCidr(const std::string& cidr) override;
  std::string PodCidr() const override;

 private:
  // Constant after construction.
  const NetworkSettings settings_;
  const std::vector<std::string> bin_dirs_;

  mutable absl::Mutex mu_;
  std::string pod_cidr_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::network
