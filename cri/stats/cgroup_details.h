// The figures of a cgroup that only the cAdvisor-style metrics need, on
// top of CgroupSample (cgroup_reader.h), read on demand so the frequent
// stats polls do not pay for them. cgroup v1 or v2 per controller, as
// in cgroup_reader.h:
//   cpu      v1 cpuacct.stat (ticks), cpu.stat, cpu.shares, cpu.cfs_*
//            v2 cpu.stat, cpu.weight, cpu.max
//   memory   v1 memory.stat, memory.max_usage_in_bytes, memory.failcnt,
//               memory.oom_control, memory.soft_limit_in_bytes
//            v2 memory.stat, memory.peak, memory.events, memory.low
//   pids     pids.max; cgroup.procs of the cgroup and its descendants
// What a kernel does not offer (memory.failcnt on v2, memory.peak
// before Linux 5.19, oom_kill before 4.13) stays unset.
#pragma once

#include <cstdint>
#include <optional>

#include "cri/stats/cgroup_paths.h"

namespace cri_dockerd::stats {

struct CgroupDetails {
  // CPU time split by mode, cumulative, nanoseconds.
  std::optional<uint64_t> cpu_user_nanos;
  std::optional<uint64_t> cpu_system_nanos;
  // CFS bandwidth control; counted only while a quota is set.
  std::optional<uint64_t> cfs_periods;
  std::optional<uint64_t> cfs_throttled_periods;
  std::optional<uint64_t> cfs_throttled_nanos;

  // Memory (bytes) and events (counts).
  std::optional<uint64_t> cache;  // page cache
  std::optional<uint64_t> mapped_file;
  std::optional<uint64_t> active_file;
  std::optional<uint64_t> inactive_file;
  std::optional<uint64_t> max_usage;  // peak usage
  std::optional<uint64_t> failcnt;    // v1 only
  // Page faults of the cgroup itself and of its whole subtree (the same
  // on v2, whose memory.stat is always hierarchical).
  std::optional<uint64_t> pgfault;
  std::optional<uint64_t> pgmajfault;
  std::optional<uint64_t> hierarchy_pgfault;
  std::optional<uint64_t> hierarchy_pgmajfault;
  std::optional<uint64_t> oom_kills;

  // Processes (thread-group leaders) in the cgroup and below it.
  std::optional<uint64_t> processes;
  // pids.max; 0 when unlimited (cAdvisor's convention).
  std::optional<uint64_t> threads_max;

  // Limits as configured.
  std::optional<uint64_t> cpu_shares;  // v2: converted from cpu.weight
  std::optional<uint64_t> cpu_period_us;
  std::optional<uint64_t> cpu_quota_us;        // unset: no quota
  std::optional<uint64_t> memory_reservation;  // unset: none
};

CgroupDetails ReadCgroupDetails(const CgroupPaths& paths);

// The cpu.shares value that cpu.weight `weight` stands for (the inverse
// of the conversion runc applies to the shares kubelet asks for).
uint64_t CpuWeightToShares(uint64_t weight);

}  // namespace cri_dockerd::stats
