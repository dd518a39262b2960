// Reads a cgroup's resource usage from the cgroup filesystem, cgroup v1
// or v2 per controller (a v1 controller wins over the unified hierarchy,
// which on hybrid systems carries no controllers):
//   cpu     v1 cpuacct.usage              v2 cpu.stat usage_usec
//   memory  v1 memory.usage_in_bytes,     v2 memory.current,
//              memory.limit_in_bytes,        memory.max,
//              memory.stat total_*           memory.stat
//   swap    v1 memory.memsw.*             v2 memory.swap.{current,max}
//   pids    pids.current (both)
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "cri/stats/cgroup_paths.h"

namespace cri_dockerd::stats {

struct MemoryStats {
  uint64_t usage = 0;
  // usage minus inactive file pages (what the kernel reclaims last),
  // as kubelet and cAdvisor define it.
  uint64_t working_set = 0;
  std::optional<uint64_t> rss;  // anonymous memory
  std::optional<uint64_t> page_faults;
  std::optional<uint64_t> major_page_faults;
  std::optional<uint64_t> limit;  // unset: unlimited

  // limit - working_set (0 if over), unset when unlimited.
  std::optional<uint64_t> available() const;
};

struct SwapStats {
  uint64_t usage = 0;
  std::optional<uint64_t> limit;  // unset: unlimited
  std::optional<uint64_t> available() const;
};

// One reading of a cgroup; what could not be read is unset.
struct CgroupSample {
  absl::Time timestamp;
  std::optional<uint64_t> cpu_usage_nanos;  // cumulative, all cores
  std::optional<MemoryStats> memory;
  std::optional<SwapStats> swap;
  std::optional<uint64_t> pids;  // processes (tasks) now
};

std::optional<uint64_t> CpuUsageNanos(const CgroupPaths& paths);
std::optional<MemoryStats> ReadMemoryStats(const CgroupPaths& paths);
std::optional<SwapStats> ReadSwapStats(const CgroupPaths& paths);
std::optional<uint64_t> PidsCurrent(const CgroupPaths& paths);

// All of the above, stamped now.
CgroupSample ReadCgroupSample(const CgroupPaths& paths);

// The total over several cgroups (a pod without a cgroup of its own):
// counters and usage add up, limits are dropped; a figure is set if any
// sample has it. The timestamp is the latest one.
CgroupSample SumSamples(const std::vector<CgroupSample>& samples);

}  // namespace cri_dockerd::stats
