#include "cri/convert/container_resources.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/convert/cgroup_files.h"

namespace cri_dockerd {
namespace {

constexpr char kField[] = "resources";
constexpr char kSwapMax[] = "memory.swap.max";

absl::Status NonNegative(const char* name, int64_t value) {
  if (value >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(kField, ".", name, " is negative (", value, ")"));
}

bool ParseId(absl::string_view s, uint32_t* n) {
  return !s.empty() && absl::c_all_of(s, absl::ascii_isdigit) &&
         absl::SimpleAtoi(s, n);
}

// cpuset list syntax: "0-3,7" (comma-separated numbers and ranges).
absl::Status CheckCpuset(const char* name, const std::string& list) {
  if (list.empty()) return absl::OkStatus();
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    std::pair<absl::string_view, absl::string_view> range =
        absl::StrSplit(item, absl::MaxSplits('-', 1));
    uint32_t lo = 0;
    uint32_t hi = 0;
    bool ok = ParseId(range.first, &lo);
    if (ok && item.find('-') != absl::string_view::npos) {
      ok = ParseId(range.second, &hi) && lo <= hi;
    }
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(kField, ".", name, " \"", list,
                       "\" is not a cpuset list such as \"0-3,7\""));
    }
  }
  return absl::OkStatus();
}

void Ignore(std::string what, std::vector<std::string>* ignored) {
  LOG(DEBUG) << "container resources: " << what
             << " has no Docker Engine equivalent; not applied";
  if (ignored != nullptr) ignored->push_back(std::move(what));
}

absl::Status ApplyHugepages(const v1::LinuxContainerResources& r,
                            docker::Resources* out,
                            std::vector<std::string>* ignored) {
  for (int i = 0; i < r.hugepage_limits_size(); ++i) {
    const v1::HugepageLimit& h = r.hugepage_limits(i);
    const std::string field = absl::StrCat(kField, ".hugepage_limits[", i, "]");
    if (h.page_size().empty() ||
        !absl::c_all_of(h.page_size(), absl::ascii_isalnum)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".page_size \"", h.page_size(), "\" is not like \"2MB\""));
    }
    if (h.limit() > static_cast<uint64_t>(INT64_MAX)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".limit ", h.limit(), " is out of range"));
    }
    if (!out->hugepage_limits
             .emplace(h.page_size(), static_cast<int64_t>(h.limit()))
             .second) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".page_size \"", h.page_size(), "\" is repeated"));
    }
  }
  return absl::OkStatus();
}

// memory.swap.max ("max" or bytes) as a docker MemorySwap for `memory`.
absl::StatusOr<int64_t> SwapFromUnified(const std::string& value,
                                        int64_t memory) {
  if (value == "max") return -1;
  int64_t swap = 0;
  if (!absl::c_all_of(value, absl::ascii_isdigit) ||
      !absl::SimpleAtoi(value, &swap) ||
      swap > std::numeric_limits<int64_t>::max() - memory) {
    return absl::InvalidArgumentError(
        absl::StrCat(kField, ".unified[", kSwapMax, "] \"", value,
                     "\" is neither \"max\" nor a byte count"));
  }
  return memory + swap;
}

absl::Status ApplySwap(const v1::LinuxContainerResources& r,
                       bool swap_supported, docker::Resources* out,
                       std::vector<std::string>* ignored) {
  const int64_t memory = r.memory_limit_in_bytes();
  const int64_t swap_limit = r.memory_swap_limit_in_bytes();
  auto unified = r.unified().find(kSwapMax);
  const bool has_unified = unified != r.unified().end();
  if (swap_limit > 0) {
    if (memory == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          kField,
          ".memory_swap_limit_in_bytes is set without memory_limit_in_bytes: "
          "Docker Engine cannot limit swap alone"));
    }
    if (swap_limit < memory) {
      return absl::InvalidArgumentError(
          absl::StrCat(kField, ".memory_swap_limit_in_bytes (", swap_limit,
                       ") is below memory_limit_in_bytes (", memory,
                       "); it counts memory plus swap"));
    }
  }
  int64_t swap = 0;
  if (has_unified && memory > 0) {
    ASSIGN_OR_RETURN(swap, SwapFromUnified(unified->second, memory));
  }
  if (!swap_supported) {
    if (swap_limit > 0) Ignore("memory_swap_limit_in_bytes", ignored);
    if (has_unified) Ignore(absl::StrCat("unified[", kSwapMax, "]"), ignored);
    return absl::OkStatus();
  }
  if (swap_limit > 0) {
    out->memory_swap = swap_limit;
    if (has_unified) Ignore(absl::StrCat("unified[", kSwapMax, "]"), ignored);
  } else if (has_unified && memory > 0) {
    out->memory_swap = swap;
  } else if (memory > 0) {
    out->memory_swap = memory;  // no swap, as the Go shim and kubelet do
  } else if (has_unified) {
    Ignore(absl::StrCat("unified[", kSwapMax, "]"), ignored);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<docker::Resources> ToDockerResources(
    const v1::LinuxContainerResources& r, bool swap_supported,
    std::vector<std::string>* ignored) {
  RETURN_IF_ERROR(NonNegative("cpu_period", r.cpu_period()));
  RETURN_IF_ERROR(NonNegative("cpu_quota", r.cpu_quota()));
  RETURN_IF_ERROR(NonNegative("cpu_shares", r.cpu_shares()));
  RETURN_IF_ERROR(
      NonNegative("memory_limit_in_bytes", r.memory_limit_in_bytes()));
  RETURN_IF_ERROR(NonNegative("memory_swap_limit_in_bytes",
                              r.memory_swap_limit_in_bytes()));
  if (r.oom_score_adj() < -1000 || r.oom_score_adj() > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat(kField, ".oom_score_adj ", r.oom_score_adj(),
                     " is outside [-1000, 1000]"));
  }
  RETURN_IF_ERROR(CheckCpuset("cpuset_cpus", r.cpuset_cpus()));
  RETURN_IF_ERROR(CheckCpuset("cpuset_mems", r.cpuset_mems()));

  docker::Resources out;
  out.cpu_period = r.cpu_period();
  out.cpu_quota = r.cpu_quota();
  out.cpu_shares = r.cpu_shares();
  out.cpuset_cpus = r.cpuset_cpus();
  out.cpuset_mems = r.cpuset_mems();
  out.memory = r.memory_limit_in_bytes();
  RETURN_IF_ERROR(ApplySwap(r, swap_supported, &out, ignored));
  RETURN_IF_ERROR(ApplyHugepages(r, &out, ignored));
  // Sorted, so reports are stable (protobuf maps have no order).
  std::vector<std::string> keys;
  for (const auto& [key, value] : r.unified()) {
    RETURN_IF_ERROR(ValidateUnifiedKey(key));
    if (value.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(kField, ".unified[", key, "] holds a NUL byte"));
    }
    // The keys docker sets come from the CRI fields; the others are
    // written into the cgroup by the shim (cgroup_files.h).
    if (key != kSwapMax && DockerSetsUnifiedKey(key)) {
      keys.push_back(absl::StrCat("unified[", key, "]"));
    }
  }
  std::sort(keys.begin(), keys.end());
  for (std::string& key : keys) Ignore(std::move(key), ignored);
  return out;
}

}  // namespace cri_dockerd
