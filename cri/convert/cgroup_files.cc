#include "cri/convert/cgroup_files.h"

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cri/convert/naming.h"

namespace cri_dockerd {
namespace {

bool IsControllerChar(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
}

bool IsNameChar(char c) {
  return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
}

absl::Status BadKey(absl::string_view key, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("resources.unified[", absl::CHexEscape(key), "] ", why));
}

}  // namespace

absl::Status ValidateUnifiedKey(absl::string_view key) {
  const size_t dot = key.find('.');
  if (dot == absl::string_view::npos || dot == 0 || dot + 1 == key.size()) {
    return BadKey(key, "is not a cgroup file name like \"memory.high\"");
  }
  const absl::string_view controller = key.substr(0, dot);
  const absl::string_view name = key.substr(dot + 1);
  if (!absl::c_all_of(controller, IsControllerChar) ||
      !absl::c_all_of(name, IsNameChar) || absl::StrContains(key, "..")) {
    return BadKey(key,
                  "is not a plain cgroup file name (<controller>.<name>, "
                  "without '/' or \"..\")");
  }
  if (controller == "cgroup" && name != "max.depth" &&
      name != "max.descendants") {
    return BadKey(key, "is a cgroup core file, not a resource setting");
  }
  return absl::OkStatus();
}

bool DockerSetsUnifiedKey(absl::string_view key) {
  for (const char* docker_key : {"memory.max", "memory.swap.max", "cpu.max",
                                 "cpu.weight", "cpuset.cpus", "cpuset.mems"}) {
    if (key == docker_key) return true;
  }
  return false;
}

CgroupFileSettings ToCgroupFileSettings(const v1::LinuxContainerResources& r) {
  CgroupFileSettings out;
  for (const auto& [key, value] : r.unified()) {
    if (!DockerSetsUnifiedKey(key)) out.unified[key] = value;
  }
  for (const v1::HugepageLimit& h : r.hugepage_limits()) {
    out.hugetlb[h.page_size()] = static_cast<int64_t>(h.limit());
  }
  return out;
}

void SetCgroupFileLabels(const CgroupFileSettings& settings,
                         std::map<std::string, std::string>* labels) {
  for (auto it = labels->begin(); it != labels->end();) {
    if (absl::StartsWith(it->first, kUnifiedLabelPrefix) ||
        absl::StartsWith(it->first, kHugetlbLabelPrefix)) {
      it = labels->erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [key, value] : settings.unified) {
    (*labels)[absl::StrCat(kUnifiedLabelPrefix, key)] = value;
  }
  for (const auto& [size, limit] : settings.hugetlb) {
    (*labels)[absl::StrCat(kHugetlbLabelPrefix, size)] = absl::StrCat(limit);
  }
}

CgroupFileSettings CgroupFileSettingsFromLabels(
    const std::map<std::string, std::string>& labels) {
  CgroupFileSettings out;
  for (const auto& [label, value] : labels) {
    absl::string_view key = label;
    int64_t limit = 0;
    if (absl::ConsumePrefix(&key, kUnifiedLabelPrefix)) {
      if (ValidateUnifiedKey(key).ok() && !DockerSetsUnifiedKey(key)) {
        out.unified[std::string(key)] = value;
      }
    } else if (absl::ConsumePrefix(&key, kHugetlbLabelPrefix)) {
      if (!key.empty() && absl::c_all_of(key, absl::ascii_isalnum) &&
          absl::c_all_of(value, absl::ascii_isdigit) &&
          absl::SimpleAtoi(value, &limit)) {
        out.hugetlb[std::string(key)] = limit;
      }
    }
  }
  return out;
}

}  // namespace cri_dockerd
