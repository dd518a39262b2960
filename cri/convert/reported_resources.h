// The resources ContainerStatus reports: what docker's inspect says is in
// force, in CRI's terms. kubelet (1.33+) reads them to drive and confirm
// an in-place resize.
#pragma once

#include "docker_client/container_types.h"
#include "proto/cri_api.h"

namespace cri_dockerd {

namespace v1 = ::runtime::v1;

// ContainerResources.linux from `c`'s HostConfig: CPU period, quota and
// shares, cpusets, the memory limit, MemorySwap as
// memory_swap_limit_in_bytes (docker's -1, unlimited swap, and 0 are
// reported as 0: CRI has no "unlimited"), and OomScoreAdj. Docker holds no
// hugepage limits or cgroup v2 "unified" values, so those stay empty.
// Always has `linux` set, even with no limits (kubelet takes a missing
// `linux` as a runtime that does not report resources).
v1::ContainerResources ReportedResources(const docker::ContainerInspect& c);

}  // namespace cri_dockerd
