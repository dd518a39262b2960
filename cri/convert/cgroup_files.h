// The part of a container's CRI resources that Docker Engine cannot
// express and the shim writes into the container's cgroup files itself:
// cgroup v2 `unified` keys (memory.oom.group, memory.high, pids.max, ...)
// and hugepage limits. Also how they travel from CreateContainer to
// StartContainer: as docker labels, so that docker stays the source of
// truth and a shim restart between the two loses nothing.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/cri_api.h"

namespace cri_dockerd {

namespace v1 = ::runtime::v1;

struct CgroupFileSettings {
  // cgroup v2 file name -> value, e.g. "memory.oom.group" -> "1".
  std::map<std::string, std::string> unified;
  // Page size ("2MB", "1GB") -> limit in bytes (0: none may be used, as
  // kubelet sends for every size the pod did not request).
  std::map<std::string, int64_t> hugetlb;

  bool empty() const { return unified.empty() && hugetlb.empty(); }
};

// OK if `key` may be written into a container's cgroup directory: a plain
// file name "<controller>.<name>" (controller [a-z0-9_]+, name of
// [A-Za-z0-9_.-], no "..", no '/', no NUL). The cgroup core files
// ("cgroup.procs", "cgroup.kill", "cgroup.subtree_control", ...) are
// refused, since they move, kill or freeze processes or reshape the tree,
// except the limits cgroup.max.depth and cgroup.max.descendants.
// Otherwise InvalidArgument naming the key ("resources.unified[<key>]").
absl::Status ValidateUnifiedKey(absl::string_view key);

// True for the unified keys that Docker Engine sets from the CRI fields
// it is given (memory.max, memory.swap.max, cpu.max, cpu.weight,
// cpuset.cpus, cpuset.mems): they keep going through docker's API, and
// are never written directly (docker would undo or contradict them).
bool DockerSetsUnifiedKey(absl::string_view key);

// The settings of `r` the shim writes itself: the unified keys docker
// does not set, and every hugepage limit. `r` must have passed
// ToDockerResources, which validates both.
CgroupFileSettings ToCgroupFileSettings(const v1::LinuxContainerResources& r);

// Adds the settings to docker labels (kUnifiedLabelPrefix,
// kHugetlbLabelPrefix in naming.h), replacing any label with one of the
// prefixes, so that a pod's own labels never choose what is
// written.
void SetCgroupFileLabels(const CgroupFileSettings& settings,
                         std::map<std::string, std::string>* labels);

// The settings back from a container's docker labels; a key that
// ValidateUnifiedKey refuses, or a limit that is not a byte count, is
// left out (the shim never writes such labels).
CgroupFileSettings CgroupFileSettingsFromLabels(
    const std::map<std::string, std::string>& labels);

}  // namespace cri_dockerd
