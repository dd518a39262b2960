#include "cri/stats/cgroup_details.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "cri/stats/proc_file.h"

namespace cri_dockerd::stats {
namespace {

using Keyed = std::map<std::string, uint64_t>;

// A limit: unset when unlimited ("max", a huge number) or unreadable.
std::optional<uint64_t> ReadLimit(const std::string& path) {
  absl::StatusOr<std::string> text = ReadProcFile(path);
  uint64_t v = 0;
  if (!text.ok() || !ParseUint(*text, &v, /*max_word=*/true)) {
    return std::nullopt;
  }
  if (v >= kUnlimitedAbove) return std::nullopt;
  return v;
}

std::optional<uint64_t> Times1000(std::optional<uint64_t> v) {
  if (!v) return std::nullopt;
  return *v * 1000;
}

// Counts the processes listed in cgroup.procs of `dir` and of every
// cgroup below it.
std::optional<uint64_t> CountProcesses(const std::string& dir) {
  if (dir.empty()) return std::nullopt;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return std::nullopt;
  uint64_t count = 0;
  bool any = false;
  std::vector<std::string> todo = {dir};
  while (!todo.empty()) {
    const std::string d = std::move(todo.back());
    todo.pop_back();
    if (absl::StatusOr<std::string> procs = ReadProcFile(d + "/cgroup.procs");
        procs.ok()) {
      any = true;
      for (absl::string_view line : absl::StrSplit(*procs, '\n')) {
        if (!absl::StripAsciiWhitespace(line).empty()) ++count;
      }
    }
    for (std::filesystem::directory_iterator it(d, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) {
        todo.push_back(it->path().string());
      }
    }
    ec.clear();
  }
  if (!any) return std::nullopt;
  return count;
}

void CpuV1(const CgroupPaths& paths, CgroupDetails& d) {
  if (const std::string dir = paths.V1Dir("cpuacct"); !dir.empty()) {
    const Keyed stat = ReadKeyedFile(dir + "/cpuacct.stat");
    const long hz = sysconf(_SC_CLK_TCK);
    if (hz > 0) {
      const uint64_t ns_per_tick = 1'000'000'000 / static_cast<uint64_t>(hz);
      if (auto v = KeyedValue(stat, "user"))
        d.cpu_user_nanos = *v * ns_per_tick;
      if (auto v = KeyedValue(stat, "system"))
        d.cpu_system_nanos = *v * ns_per_tick;
    }
  }
  const std::string dir = paths.V1Dir("cpu");
  if (dir.empty()) return;
  const Keyed stat = ReadKeyedFile(dir + "/cpu.stat");
  d.cfs_periods = KeyedValue(stat, "nr_periods");
  d.cfs_throttled_periods = KeyedValue(stat, "nr_throttled");
  d.cfs_throttled_nanos = KeyedValue(stat, "throttled_time");
  d.cpu_shares = ReadOptionalUint(dir + "/cpu.shares");
  d.cpu_period_us = ReadOptionalUint(dir + "/cpu.cfs_period_us");
  d.cpu_quota_us = ReadOptionalUint(dir + "/cpu.cfs_quota_us");  // "-1": none
}

void CpuV2(const std::string& dir, CgroupDetails& d) {
  const Keyed stat = ReadKeyedFile(dir + "/cpu.stat");
  d.cpu_user_nanos = Times1000(KeyedValue(stat, "user_usec"));
  d.cpu_system_nanos = Times1000(KeyedValue(stat, "system_usec"));
  d.cfs_periods = KeyedValue(stat, "nr_periods");
  d.cfs_throttled_periods = KeyedValue(stat, "nr_throttled");
  d.cfs_throttled_nanos = Times1000(KeyedValue(stat, "throttled_usec"));
  if (auto weight = ReadOptionalUint(dir + "/cpu.weight")) {
    d.cpu_shares = CpuWeightToShares(*weight);
  }
  // "<quota|max> <period>"
  if (absl::StatusOr<std::string> max = ReadProcFile(dir + "/cpu.max");
      max.ok()) {
    std::vector<absl::string_view> f =
        absl::StrSplit(absl::StripAsciiWhitespace(*max), ' ');
    uint64_t v = 0;
    if (f.size() == 2 && absl::SimpleAtoi(f[1], &v)) d.cpu_period_us = v;
    if (!f.empty() && absl::SimpleAtoi(f[0], &v)) d.cpu_quota_us = v;
  }
}

void MemoryV1(const std::string& dir, CgroupDetails& d) {
  const Keyed stat = ReadKeyedFile(dir + "/memory.stat");
  d.cache = KeyedValue(stat, "total_cache");
  d.mapped_file = KeyedValue(stat, "total_mapped_file");
  d.active_file = KeyedValue(stat, "total_active_file");
  d.inactive_file = KeyedValue(stat, "total_inactive_file");
  d.pgfault = KeyedValue(stat, "pgfault");
  d.pgmajfault = KeyedValue(stat, "pgmajfault");
  d.hierarchy_pgfault = KeyedValue(stat, "total_pgfault");
  d.hierarchy_pgmajfault = KeyedValue(stat, "total_pgmajfault");
  d.max_usage = ReadOptionalUint(dir + "/memory.max_usage_in_bytes");
  d.failcnt = ReadOptionalUint(dir + "/memory.failcnt");
  d.oom_kills =
      KeyedValue(ReadKeyedFile(dir + "/memory.oom_control"), "oom_kill");
  d.memory_reservation = ReadLimit(dir + "/memory.soft_limit_in_bytes");
}

void MemoryV2(const std::string& dir, CgroupDetails& d) {
  const Keyed stat = ReadKeyedFile(dir + "/memory.stat");
  d.cache = KeyedValue(stat, "file");
  d.mapped_file = KeyedValue(stat, "file_mapped");
  d.active_file = KeyedValue(stat, "active_file");
  d.inactive_file = KeyedValue(stat, "inactive_file");
  d.pgfault = KeyedValue(stat, "pgfault");
  d.pgmajfault = KeyedValue(stat, "pgmajfault");
  d.hierarchy_pgfault = d.pgfault;
  d.hierarchy_pgmajfault = d.pgmajfault;
  d.max_usage = ReadOptionalUint(dir + "/memory.peak");
  d.oom_kills = KeyedValue(ReadKeyedFile(dir + "/memory.events"), "oom_kill");
  d.memory_reservation = ReadLimit(dir + "/memory.low");
  if (d.memory_reservation == 0u) d.memory_reservation.reset();
}

}  // namespace

uint64_t CpuWeightToShares(uint64_t weight) {
  if (weight == 0) return 0;
  return 2 + ((weight - 1) * 262142) / 9999;
}

CgroupDetails ReadCgroupDetails(const CgroupPaths& paths) {
  CgroupDetails d;
  const std::string unified = paths.UnifiedDir();
  if (!paths.V1Dir("cpuacct").empty() || !paths.V1Dir("cpu").empty()) {
    CpuV1(paths, d);
  } else if (!unified.empty()) {
    CpuV2(unified, d);
  }
  if (const std::string dir = paths.V1Dir("memory"); !dir.empty()) {
    MemoryV1(dir, d);
  } else if (!unified.empty()) {
    MemoryV2(unified, d);
  }
  std::string pids = paths.V1Dir("pids");
  if (pids.empty()) pids = unified;
  if (!pids.empty()) {
    if (absl::StatusOr<std::string> max = ReadProcFile(pids + "/pids.max");
        max.ok()) {
      uint64_t v = 0;
      if (ParseUint(*max, &v, /*max_word=*/true)) {
        d.threads_max = v == UINT64_MAX ? 0 : v;
      }
    }
  }
  // Any hierarchy lists the same processes; take the first there is.
  for (const std::string& dir : {paths.V1Dir("pids"), paths.V1Dir("memory"),
                                 paths.V1Dir("cpuacct"), unified}) {
    if (auto n = CountProcesses(dir)) {
      d.processes = n;
      break;
    }
  }
  return d;
}

}  // namespace cri_dockerd::stats
