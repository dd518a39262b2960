// What the stats tests read themselves from the host's cgroup files
// (docker's cgroupfs layout, v1 or v2), to check the shim's figures
// against, and the clean-up of the pod cgroups docker leaves behind.
#pragma once

#include <cstdint>
#include <string>

namespace cri_dockerd::testing_support {

bool IsCgroupV2();

// Usage of cgroup `path` (e.g. "/crid-stats-1/<container id>").
struct CgroupUsage {
  uint64_t cpu_nanos = 0;
  uint64_t working_set = 0;  // usage minus inactive file pages (kubelet's)
};
// A test failure for a file that cannot be read or parsed.
CgroupUsage ReadCgroupUsage(const std::string& path);

// Whether cgroup `path` has used `nanos` of CPU within 60 s. Waiting for
// the CPU itself, not burning for a fixed time, gives the same usage on a
// busy machine.
bool WaitForCpu(const std::string& path, uint64_t nanos);

// Removes the (empty) cgroup `parent` docker made for the pods under it,
// in every hierarchy.
void RemoveCgroupParent(const std::string& parent);

}  // namespace cri_dockerd::testing_support
