// What the runtime tells CNI plugins about a pod: the CNI_ARGS pairs and
// the capability args (portMappings, bandwidth, ipRanges, dns) that libcni
// passes on as "runtimeConfig" to plugins declaring the capability.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cri/network/network_plugin.h"

namespace cri_dockerd::network {

using CniArgs = std::vector<std::pair<std::string, std::string>>;

// A Kubernetes resource quantity ("1M", "10Mi", "1.5k", "5e3", "100m") as
// an integer, rounded up like resource.Quantity.Value(). InvalidArgument
// for malformed text or values beyond int64.
absl::StatusOr<int64_t> ParseQuantity(absl::string_view text);

// IgnoreUnknown=1 and the K8S_POD_* pairs kubelet passes, in its order.
CniArgs PodCniArgs(const PodNetworkRequest& pod);

// "K1=V1;K2=V2" for the CNI_ARGS variable.
std::string JoinCniArgs(const CniArgs& args);

// The capability args for `pod` as a JSON object ("{}" when it has none):
// portMappings for ports with a host port, bandwidth from the
// kubernetes.io/{ingress,egress}-bandwidth annotations (bits per second,
// burst math.MaxInt32 as kubelet sets it), ipRanges from `pod_cidr`, dns.
// InvalidArgument when a bandwidth annotation is malformed or outside
// [1k, 1P] as kubelet checks.
absl::StatusOr<std::string> BuildCapabilityArgs(const PodNetworkRequest& pod,
                                                const std::string& pod_cidr);

}  // namespace cri_dockerd::network
