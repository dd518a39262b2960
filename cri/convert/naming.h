// Docker container names and labels shared with the Go cri-dockerd, so a
// node can switch between the two shims without losing pods:
//   sandbox:   k8s_POD_<pod>_<namespace>_<uid>_<attempt>
//   container: k8s_<container>_<pod>_<namespace>_<uid>_<attempt>
// (a 7th "_<random>" part, which the Go shim adds after a name conflict,
// is accepted when parsing).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cri_dockerd {

// Label keys the Go shim writes (and reads back).
inline constexpr char kContainerTypeLabel[] = "io.kubernetes.docker.type";
inline constexpr char kContainerTypeSandbox[] = "podsandbox";
inline constexpr char kContainerTypeContainer[] = "container";
inline constexpr char kContainerNameLabel[] = "io.kubernetes.container.name";
inline constexpr char kSandboxIdLabel[] = "io.kubernetes.sandbox.id";
inline constexpr char kLogPathLabel[] = "io.kubernetes.container.logpath";
inline constexpr char kPodNameLabel[] = "io.kubernetes.pod.name";
inline constexpr char kPodNamespaceLabel[] = "io.kubernetes.pod.namespace";
inline constexpr char kPodUidLabel[] = "io.kubernetes.pod.uid";
inline constexpr char kAnnotationPrefix[] = "annotation.";
// The shim's own (not the Go shim's): the cgroup settings of a container
// that docker cannot express, "<prefix><key>" = value, from
// CreateContainer to StartContainer (cgroup_files.h).
inline constexpr char kUnifiedLabelPrefix[] = "io.kubernetes.docker.unified.";
inline constexpr char kHugetlbLabelPrefix[] = "io.kubernetes.docker.hugetlb.";
// The container's CRI ImageSpec beyond its image (image_spec_labels.h).
inline constexpr char kImageSpecLabelPrefix[] = "io.kubernetes.docker.image.";
// The infra container's name in io.kubernetes.container.name.
inline constexpr char kSandboxContainerName[] = "POD";

struct NameParts {
  std::string container;  // "POD" for sandboxes
  std::string pod;
  std::string ns;
  std::string uid;
  uint32_t attempt = 0;
};

std::string MakeSandboxName(const std::string& pod, const std::string& ns,
                            const std::string& uid, uint32_t attempt);
std::string MakeContainerName(const std::string& container,
                              const std::string& pod, const std::string& ns,
                              const std::string& uid, uint32_t attempt);

// Parses a name made above (leading '/' allowed). InvalidArgument for
// names not managed by kubernetes.
absl::StatusOr<NameParts> ParseName(absl::string_view name);

// CRI labels verbatim plus annotations as "annotation.<key>" labels.
std::map<std::string, std::string> MakeLabels(
    const std::map<std::string, std::string>& labels,
    const std::map<std::string, std::string>& annotations);

// Docker labels back to CRI (labels, annotations): the shim's internal
// labels dropped, "annotation.<key>" turned back into annotations.
std::pair<std::map<std::string, std::string>,
          std::map<std::string, std::string>>
ExtractLabels(const std::map<std::string, std::string>& docker_labels);

// Checks a name part that goes into a docker name (pod, namespace, uid,
// container): non-empty, no '_' (the delimiter), only [A-Za-z0-9.-].
// InvalidArgument naming `field`.
absl::Status ValidateNamePart(absl::string_view field, absl::string_view value);

// The cgroup parent in the syntax docker's cgroup driver wants: the path
// as given for cgroupfs, the last component (a slice name) for systemd.
std::string DockerCgroupParent(const std::string& parent,
                               const std::string& driver);

// Checks a container or sandbox ID (or unique prefix) from a request:
// non-empty, at most 128 of [A-Za-z0-9_.-], not starting with '.'.
// InvalidArgument naming `field`.
absl::Status ValidateId(absl::string_view field, absl::string_view id);

}  // namespace cri_dockerd
