// cri/stats readings as CRI messages (shared by the container and pod
// stats verbs). Timestamps are the readings' own, in Unix nanoseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "cri/stats/cgroup_reader.h"
#include "cri/stats/netns_stats.h"
#include "proto/cri_api.h"

namespace cri_dockerd {

namespace v1 = ::runtime::v1;

// A listed container's identity, moved out of `c`.
v1::ContainerAttributes TakeAttributes(v1::Container& c);

// Sets out's cpu, memory and swap from what the sample has;
// `nano_cores` is the rate since the previous reading, if known.
void FillCgroupUsage(const stats::CgroupSample& sample,
                     std::optional<uint64_t> nano_cores, v1::CpuUsage* cpu,
                     v1::MemoryUsage* memory, v1::SwapUsage* swap);

// The pod's interfaces: eth0 (else the first one) as the default, and
// every one in `interfaces`.
void FillNetworkUsage(const std::vector<stats::InterfaceStats>& interfaces,
                      absl::Time at, v1::NetworkUsage* out);

}  // namespace cri_dockerd
