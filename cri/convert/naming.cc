#include "cri/convert/naming.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cri_dockerd {

std::string MakeSandboxName(const std::string& pod, const std::string& ns,
                            const std::string& uid, uint32_t attempt) {
  return MakeContainerName(kSandboxContainerName, pod, ns, uid, attempt);
}

std::string MakeContainerName(const std::string& container,
                              const std::string& pod, const std::string& ns,
                              const std::string& uid, uint32_t attempt) {
  return absl::StrCat("k8s_", container, "_", pod, "_", ns, "_", uid, "_",
                      attempt);
}

absl::StatusOr<NameParts> ParseName(absl::string_view name) {
  absl::ConsumePrefix(&name, "/");
  const std::vector<std::string> parts = absl::StrSplit(name, '_');
  if ((parts.size() != 6 && parts.size() != 7) || parts[0] != "k8s") {
    return absl::InvalidArgumentError(
        absl::StrCat("container name \"", name,
                     "\" is not managed by kubernetes (want "
                     "k8s_<container>_<pod>_<namespace>_<uid>_<attempt>)"));
  }
  NameParts out;
  if (!absl::SimpleAtoi(parts[5], &out.attempt)) {
    return absl::InvalidArgumentError(absl::StrCat("container name \"", name,
                                                   "\": attempt \"", parts[5],
                                                   "\" is not a number"));
  }
  out.container = parts[1];
  out.pod = parts[2];
  out.ns = parts[3];
  out.uid = parts[4];
  return out;
}

std::map<std::string, std::string> MakeLabels(
    const std::map<std::string, std::string>& labels,
    const std::map<std::string, std::string>& annotations) {
  std::map<std::string, std::string> out = labels;
  for (const auto& [key, value] : annotations) {
    out[absl::StrCat(kAnnotationPrefix, key)] = value;
  }
  return out;
}

std::pair<std::map<std::string, std::string>,
          std::map<std::string, std::string>>
ExtractLabels(const std::map<std::string, std::string>& docker_labels) {
  std::map<std::string, std::string> labels, annotations;
  const auto type = docker_labels.find(kContainerTypeLabel);
  const bool sandbox =
      type != docker_labels.end() && type->second == kContainerTypeSandbox;
  for (const auto& [key, value] : docker_labels) {
    if (key == kContainerTypeLabel || key == kLogPathLabel ||
        key == kSandboxIdLabel || (sandbox && key == kContainerNameLabel) ||
        absl::StartsWith(key, kUnifiedLabelPrefix) ||
        absl::StartsWith(key, kHugetlbLabelPrefix) ||
        absl::StartsWith(key, kImageSpecLabelPrefix)) {
      continue;  // the shim's own bookkeeping
    }
    absl::string_view k = key;
    if (absl::ConsumePrefix(&k, kAnnotationPrefix)) {
      annotations[std::string(k)] = value;
    } else {
      labels[key] = value;
    }
  }
  return {std::move(labels), std::move(annotations)};
}

absl::Status ValidateNamePart(absl::string_view field,
                              absl::string_view value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
  }
  if (value.size() > 253) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is longer than 253 characters"));
  }
  for (char c : value) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " \"", value,
                       "\" may only contain letters, digits, '.' and '-'"));
    }
  }
  return absl::OkStatus();
}

std::string DockerCgroupParent(const std::string& parent,
                               const std::string& driver) {
  if (driver != "systemd" || parent.empty()) return parent;
  std::string base = parent;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return base.substr(base.rfind('/') + 1);
}

absl::Status ValidateId(absl::string_view field, absl::string_view id) {
  if (id.empty())
    return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
  if (id.size() > 128 ||
      !std::all_of(id.begin(), id.end(),
                   [](char c) {
                     return absl::ascii_isalnum(c) || c == '_' || c == '.' ||
                            c == '-';
                   }) ||
      id[0] == '.') {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " \"", id, "\" is not a container ID"));
  }
  return absl::OkStatus();
}

}  // namespace cri_dockerd
