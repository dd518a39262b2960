// Network counters of a network namespace, read in-process: the
// /proc/<pid>/net/dev of any process inside the namespace (the pod's
// infra container) lists that namespace's interfaces, so neither setns
// nor a helper process is needed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd::stats {

// Cumulative counters of one interface.
struct InterfaceStats {
  std::string name;
  uint64_t rx_bytes = 0;
  uint64_t rx_packets = 0;
  uint64_t rx_errors = 0;
  uint64_t rx_dropped = 0;
  uint64_t tx_bytes = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_errors = 0;
  uint64_t tx_dropped = 0;
};

// Parses the text of /proc/net/dev, in file order.
std::vector<InterfaceStats> ParseNetDev(absl::string_view text);

// The interfaces of process `pid`'s network namespace, without the
// loopback. NotFound if the process is gone.
absl::StatusOr<std::vector<InterfaceStats>> ReadNetnsInterfaces(
    const std::string& proc_root, int pid);

}  // namespace cri_dockerd::stats
