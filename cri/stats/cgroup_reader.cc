#include "cri/stats/cgroup_reader.h"

#include <algorithm>
#include <limits>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cri/stats/proc_file.h"

namespace cri_dockerd::stats {
namespace {

std::optional<uint64_t> Limit(uint64_t raw) {
  if (raw >= kUnlimitedAbove) return std::nullopt;
  return raw;
}

// The limit in a v2 file ("max" or a number); nullopt if unreadable.
std::optional<std::optional<uint64_t>> ReadV2Limit(const std::string& path) {
  absl::StatusOr<std::string> text = ReadProcFile(path);
  uint64_t v = 0;
  if (!text.ok() || !ParseUint(*text, &v, /*max_word=*/true)) {
    return std::nullopt;
  }
  return Limit(v);
}

std::optional<MemoryStats> MemoryV1(const std::string& dir) {
  std::optional<uint64_t> usage =
      ReadOptionalUint(dir + "/memory.usage_in_bytes");
  if (!usage) return std::nullopt;
  const std::map<std::string, uint64_t> stat =
      ReadKeyedFile(dir + "/memory.stat");
  MemoryStats m;
  m.usage = *usage;
  const uint64_t inactive = KeyedValue(stat, "total_inactive_file").value_or(0);
  m.working_set = m.usage > inactive ? m.usage - inactive : 0;
  m.rss = KeyedValue(stat, "total_rss");
  m.page_faults = KeyedValue(stat, "total_pgfault");
  m.major_page_faults = KeyedValue(stat, "total_pgmajfault");
  if (std::optional<uint64_t> limit =
          ReadOptionalUint(dir + "/memory.limit_in_bytes")) {
    m.limit = Limit(*limit);
  }
  return m;
}

std::optional<MemoryStats> MemoryV2(const std::string& dir) {
  std::optional<uint64_t> usage = ReadOptionalUint(dir + "/memory.current");
  if (!usage) return std::nullopt;
  const std::map<std::string, uint64_t> stat =
      ReadKeyedFile(dir + "/memory.stat");
  MemoryStats m;
  m.usage = *usage;
  const uint64_t inactive = KeyedValue(stat, "inactive_file").value_or(0);
  m.working_set = m.usage > inactive ? m.usage - inactive : 0;
  m.rss = KeyedValue(stat, "anon");
  m.page_faults = KeyedValue(stat, "pgfault");
  m.major_page_faults = KeyedValue(stat, "pgmajfault");
  if (auto limit = ReadV2Limit(dir + "/memory.max")) m.limit = *limit;
  return m;
}

void AddTo(std::optional<uint64_t>& sum, const std::optional<uint64_t>& v) {
  if (v) sum = sum.value_or(0) + *v;
}

}  // namespace

std::optional<uint64_t> MemoryStats::available() const {
  if (!limit) return std::nullopt;
  return *limit > working_set ? *limit - working_set : 0;
}

std::optional<uint64_t> SwapStats::available() const {
  if (!limit) return std::nullopt;
  return *limit > usage ? *limit - usage : 0;
}

std::optional<uint64_t> CpuUsageNanos(const CgroupPaths& paths) {
  if (const std::string dir = paths.V1Dir("cpuacct"); !dir.empty()) {
    if (auto v = ReadOptionalUint(dir + "/cpuacct.usage")) return v;
  }
  if (const std::string dir = paths.UnifiedDir(); !dir.empty()) {
    const std::map<std::string, uint64_t> stat =
        ReadKeyedFile(dir + "/cpu.stat");
    if (auto usec = KeyedValue(stat, "usage_usec")) return *usec * 1000;
  }
  return std::nullopt;
}

std::optional<MemoryStats> ReadMemoryStats(const CgroupPaths& paths) {
  if (const std::string dir = paths.V1Dir("memory"); !dir.empty()) {
    if (auto m = MemoryV1(dir)) return m;
  }
  if (const std::string dir = paths.UnifiedDir(); !dir.empty()) {
    return MemoryV2(dir);
  }
  return std::nullopt;
}

std::optional<SwapStats> ReadSwapStats(const CgroupPaths& paths) {
  if (const std::string dir = paths.V1Dir("memory"); !dir.empty()) {
    // memory.memsw.* (memory + swap) exist only with swap accounting on.
    std::optional<uint64_t> both =
        ReadOptionalUint(dir + "/memory.memsw.usage_in_bytes");
    std::optional<uint64_t> mem =
        ReadOptionalUint(dir + "/memory.usage_in_bytes");
    if (!both || !mem) return std::nullopt;
    SwapStats s;
    s.usage = *both > *mem ? *both - *mem : 0;
    std::optional<uint64_t> both_limit =
        ReadOptionalUint(dir + "/memory.memsw.limit_in_bytes");
    std::optional<uint64_t> mem_limit =
        ReadOptionalUint(dir + "/memory.limit_in_bytes");
    if (both_limit && mem_limit && Limit(*both_limit)) {
      s.limit = *both_limit > *mem_limit ? *both_limit - *mem_limit : 0;
    }
    return s;
  }
  if (const std::string dir = paths.UnifiedDir(); !dir.empty()) {
    std::optional<uint64_t> usage =
        ReadOptionalUint(dir + "/memory.swap.current");
    if (!usage) return std::nullopt;
    SwapStats s;
    s.usage = *usage;
    if (auto limit = ReadV2Limit(dir + "/memory.swap.max")) s.limit = *limit;
    return s;
  }
  return std::nullopt;
}

std::optional<uint64_t> PidsCurrent(const CgroupPaths& paths) {
  if (const std::string dir = paths.V1Dir("pids"); !dir.empty()) {
    if (auto v = ReadOptionalUint(dir + "/pids.current")) return v;
  }
  if (const std::string dir = paths.UnifiedDir(); !dir.empty()) {
    return ReadOptionalUint(dir + "/pids.current");
  }
  return std::nullopt;
}

CgroupSample ReadCgroupSample(const CgroupPaths& paths) {
  CgroupSample s;
  s.cpu_usage_nanos = CpuUsageNanos(paths);
  s.memory = ReadMemoryStats(paths);
  s.swap = ReadSwapStats(paths);
  s.pids = PidsCurrent(paths);
  s.timestamp = absl::Now();
  return s;
}

CgroupSample SumSamples(const std::vector<CgroupSample>& samples) {
  CgroupSample sum;
  sum.timestamp = absl::InfinitePast();
  for (const CgroupSample& s : samples) {
    sum.timestamp = std::max(sum.timestamp, s.timestamp);
    AddTo(sum.cpu_usage_nanos, s.cpu_usage_nanos);
    AddTo(sum.pids, s.pids);
    if (s.memory) {
      if (!sum.memory) sum.memory.emplace();
      sum.memory->usage += s.memory->usage;
      sum.memory->working_set += s.memory->working_set;
      AddTo(sum.memory->rss, s.memory->rss);
      AddTo(sum.memory->page_faults, s.memory->page_faults);
      AddTo(sum.memory->major_page_faults, s.memory->major_page_faults);
    }
    if (s.swap) {
      if (!sum.swap) sum.swap.emplace();
      sum.swap->usage += s.swap->usage;
    }
  }
  if (samples.empty()) sum.timestamp = absl::Now();
  return sum;
}

}  // namespace cri_dockerd::stats
