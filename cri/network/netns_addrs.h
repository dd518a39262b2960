// In-process work inside a pod's network namespace: bringing up `lo` and
// reading an interface's addresses, with no helper process (the Go shim
// forks `nsenter ip` for this). Each call runs on a dedicated short-lived
// thread that enters the namespace with setns(2) and then exits, so no
// thread of the daemon ever carries a pod's namespace into other work.
#pragma once

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cri_dockerd::network {

// Runs `fn` on a new thread inside the network namespace at `netns_path`
// (e.g. /proc/<pid>/ns/net or /run/netns/<name>) and waits for it.
// NotFound if the path does not exist (the pod's netns is gone).
absl::Status RunInNetns(const std::string& netns_path,
                        absl::FunctionRef<absl::Status()> fn);

// Sets IFF_UP on "lo" inside the namespace.
absl::Status BringUpLoopback(const std::string& netns_path);

// The addresses of `ifname` inside the namespace (no prefix length),
// IPv4 first, then IPv6, without link-local IPv6 (fe80::/10).
absl::StatusOr<std::vector<std::string>> InterfaceAddresses(
    const std::string& netns_path, const std::string& ifname);

}  // namespace cri_dockerd::network
