// Turns CRI LinuxContainerResources into docker's Resources (CPU, cpuset,
// memory and swap, hugepages), and says what docker cannot express.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "docker_client/container_types.h"
#include "proto/cri_api.h"

namespace cri_dockerd {

namespace v1 = ::runtime::v1;

// docker's Resources for `r`. `swap_supported` is whether the engine can
// limit swap (`docker info` SwapLimit); without it no swap limit is sent
// (docker would only warn and drop it). It defaults to true: the Go shim
// always sent MemorySwap = Memory.
//
// Memory and swap, as kubelet expects (and as the Go shim did): with a
// memory limit, MemorySwap (memory + swap) is memory_swap_limit_in_bytes
// when set, else memory + unified["memory.swap.max"] (kubelet's cgroup v2
// swap setting; "max" = unlimited swap), else the memory limit itself
// (no swap). Docker cannot limit swap without a memory limit.
//
// Not in the result: oom_score_adj (validated to [-1000, 1000] here; the
// caller copies it to HostConfig.OomScoreAdj). hugepage_limits are kept in
// Resources, though docker's API has no field for them; they and the
// `unified` keys docker does not set are the shim's to write into the
// container's cgroup (cgroup_files.h). Unified keys docker sets from the
// CRI fields (memory.max, cpu.max, ...; DockerSetsUnifiedKey) other than
// memory.swap.max are not applied: the CRI fields are.
//
// When `ignored` is given, it receives one entry per requested setting
// that will not be applied ("unified[memory.max]",
// "memory_swap_limit_in_bytes"), for the caller to report; each is also
// logged at DEBUG.
//
// Errors: InvalidArgument naming the field ("resources.<field>") for
// negative values, malformed cpusets, out-of-range values, a swap limit
// below the memory limit or without one, a unified key ValidateUnifiedKey
// refuses and a unified value holding a NUL byte.
absl::StatusOr<docker::Resources> ToDockerResources(
    const v1::LinuxContainerResources& r, bool swap_supported = true,
    std::vector<std::string>* ignored = nullptr);

}  // namespace cri_dockerd
