// Running one CNI plugin per the CNI spec: find its binary in the bin dirs,
// set the CNI_* environment, feed the config on stdin, and turn its stdout
// into a result or its error JSON into a status.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cri_dockerd::network {

// The parts of a plugin call shared by every plugin of a list.
struct CniInvocation {
  std::string command;  // "ADD" or "DEL"
  std::string container_id;
  std::string netns;  // may be empty for DEL
  std::string ifname = "eth0";
  std::string cni_args;  // CNI_ARGS, "K=V;K=V"
  std::vector<std::string> bin_dirs;
};

// The first `dir/type` that is executable; NotFound naming the dirs.
absl::StatusOr<std::string> FindPluginBinary(
    const std::string& type, const std::vector<std::string>& bin_dirs);

// The environment of a plugin call: the CNI_* variables and PATH.
std::vector<std::string> CniEnvironment(const CniInvocation& inv);

// Runs plugin `type` of network `network` with `stdin_conf`, by
// `deadline`, and returns its stdout (for ADD, a result JSON object; for
// DEL, usually empty). The plugin's stderr is logged at WARNING. A failing
// plugin's error JSON ({"code","msg","details"}) becomes a status naming
// the network, the plugin, the code and msg (code 11, "try again later",
// is Unavailable). A plugin still running at `deadline` is killed:
// DeadlineExceeded.
absl::StatusOr<std::string> ExecCniPlugin(const CniInvocation& inv,
                                          const std::string& network,
                                          const std::string& type,
                                          const std::string& stdin_conf,
                                          absl::Time deadline);

// The addresses (without prefix length) a CNI result assigns to `ifname`
// (or to no named interface), IPv4 first, then IPv6.
std::vector<std::string> ResultIps(const std::string& result_json,
                                   const std::string& ifname);

// Orders addresses IPv4 first, then IPv6, keeping the order within each.
void SortIpv4First(std::vector<std::string>* ips);

}  // namespace cri_dockerd::network
