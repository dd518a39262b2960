#include "cri/convert/container_mounts.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace cri_dockerd {
namespace {

// Absolute, no NUL byte (the kernel would cut the path there), no "..".
absl::Status CheckPath(const std::string& path, const std::string& field) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
  }
  if (path[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " \"", path, "\" is not an absolute path"));
  }
  if (path.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " \"", path, "\" contains a NUL byte"));
  }
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " \"", path, "\" has a \"..\" component"));
    }
  }
  return absl::OkStatus();
}

bool UnderDir(const std::string& path, absl::string_view dir) {
  return path == dir || absl::StartsWith(path, absl::StrCat(dir, "/"));
}

absl::Status PathError(const std::string& field, const std::string& path,
                       const char* what, int err) {
  return absl::FailedPreconditionError(absl::StrCat(
      field, " \"", path, "\": cannot ", what, ": ", strerror(err)));
}

// mkdir -p with mode 0755 (docker's MkdirAll for a missing bind source).
absl::Status MakeDirs(const std::string& path, const std::string& field) {
  for (size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
    const std::string prefix = path.substr(0, end);
    if (!prefix.empty() && mkdir(prefix.c_str(), 0755) != 0) {
      struct stat st;
      if (errno != EEXIST) return PathError(field, path, "create it", errno);
      if (stat(prefix.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return absl::FailedPreconditionError(
            absl::StrCat(field, " \"", path, "\": cannot create it: ", prefix,
                         " exists and is not a directory"));
      }
    }
    if (end == std::string::npos) return absl::OkStatus();
  }
}

absl::Status EnsureHostPath(const std::string& path, const std::string& field) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) return absl::OkStatus();
  if (errno != ENOENT) return PathError(field, path, "inspect it", errno);
  if (UnderDir(path, "/proc") || UnderDir(path, "/sys")) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " \"", path,
        "\" does not exist (paths under /proc and /sys are not created)"));
  }
  return MakeDirs(path, field);
}

absl::StatusOr<std::string> Propagation(const v1::Mount& m,
                                        const std::string& field) {
  switch (m.propagation()) {
    case v1::PROPAGATION_PRIVATE:
      return std::string();
    case v1::PROPAGATION_HOST_TO_CONTAINER:
      return std::string("rslave");
    case v1::PROPAGATION_BIDIRECTIONAL:
      return std::string("rshared");
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".propagation: unknown mode ",
                       static_cast<int>(m.propagation())));
  }
}

absl::Status CheckRecursiveReadOnly(const v1::Mount& m,
                                    const std::string& field, bool supported) {
  if (!m.recursive_read_only()) return absl::OkStatus();
  const std::string rro = absl::StrCat(field, ".recursive_read_only");
  if (!m.readonly()) {
    return absl::InvalidArgumentError(
        absl::StrCat(rro, " needs readonly to be true"));
  }
  if (m.propagation() != v1::PROPAGATION_PRIVATE) {
    return absl::InvalidArgumentError(
        absl::StrCat(rro, " needs propagation PROPAGATION_PRIVATE"));
  }
  if (m.selinux_relabel()) {
    return absl::InvalidArgumentError(
        absl::StrCat(rro,
                     " cannot be combined with selinux_relabel in "
                     "Docker Engine"));
  }
  if (!supported) {
    return absl::FailedPreconditionError(absl::StrCat(
        rro,
        ": recursive read-only mounts need Docker Engine 25 (API 1.44) and "
        "Linux 5.12 (mount_setattr)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<docker::BindMount> ToBindMount(const v1::Mount& m,
                                              const std::string& field,
                                              bool rro_supported) {
  if (!m.image().image().empty() || !m.image_sub_path().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        field, ".image: image volumes are not supported by Docker Engine"));
  }
  if (!m.uidmappings().empty() || !m.gidmappings().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     ".uidMappings/gidMappings: ID-mapped mounts are not "
                     "supported by Docker Engine"));
  }
  RETURN_IF_ERROR(CheckPath(m.container_path(), field + ".container_path"));
  if (m.container_path() == "/") {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".container_path cannot be \"/\""));
  }
  RETURN_IF_ERROR(CheckPath(m.host_path(), field + ".host_path"));
  RETURN_IF_ERROR(CheckRecursiveReadOnly(m, field, rro_supported));
  docker::BindMount bind;
  bind.source = m.host_path();
  bind.target = m.container_path();
  bind.read_only = m.readonly();
  ASSIGN_OR_RETURN(bind.propagation, Propagation(m, field));
  bind.recursive_read_only = m.recursive_read_only();
  bind.selinux_relabel = m.selinux_relabel();
  return bind;
}

}  // namespace

absl::StatusOr<std::vector<docker::BindMount>> ToDockerMounts(
    const google::protobuf::RepeatedPtrField<v1::Mount>& mounts,
    bool recursive_read_only_supported) {
  std::vector<docker::BindMount> out;
  std::set<std::string> targets;
  for (int i = 0; i < mounts.size(); ++i) {
    const std::string field = absl::StrCat("config.mounts[", i, "]");
    ASSIGN_OR_RETURN(
        docker::BindMount bind,
        ToBindMount(mounts[i], field, recursive_read_only_supported));
    if (!targets.insert(bind.target).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".container_path \"", bind.target,
                       "\" is mounted more than once"));
    }
    out.push_back(std::move(bind));
  }
  for (size_t i = 0; i < out.size(); ++i) {
    RETURN_IF_ERROR(EnsureHostPath(
        out[i].source, absl::StrCat("config.mounts[", i, "].host_path")));
  }
  return out;
}

absl::StatusOr<std::vector<docker::DeviceMapping>> ToDockerDevices(
    const google::protobuf::RepeatedPtrField<v1::Device>& devices) {
  std::vector<docker::DeviceMapping> out;
  for (int i = 0; i < devices.size(); ++i) {
    const v1::Device& d = devices[i];
    const std::string field = absl::StrCat("config.devices[", i, "]");
    RETURN_IF_ERROR(CheckPath(d.host_path(), field + ".host_path"));
    RETURN_IF_ERROR(CheckPath(d.container_path(), field + ".container_path"));
    std::string seen;
    for (char c : d.permissions()) {
      if ((c != 'r' && c != 'w' && c != 'm') ||
          seen.find(c) != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".permissions \"", d.permissions(),
                         "\" is not a combination of \"r\", \"w\" and \"m\""));
      }
      seen.push_back(c);
    }
    out.push_back({.path_on_host = d.host_path(),
                   .path_in_container = d.container_path(),
                   .cgroup_permissions =
                       d.permissions().empty() ? "rwm" : d.permissions()});
  }
  return out;
}

absl::Status CheckCdiDevices(
    const google::protobuf::RepeatedPtrField<v1::CDIDevice>& devices,
    bool engine_supports_cdi, std::vector<std::string>* names) {
  std::vector<std::string> found;
  for (int i = 0; i < devices.size(); ++i) {
    const std::string& name = devices[i].name();
    // vendor/class=device, every part non-empty.
    const size_t slash = name.find('/');
    const size_t eq = name.find('=');
    if (slash == 0 || slash == std::string::npos || eq == std::string::npos ||
        eq < slash + 2 || eq + 1 == name.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "config.cdi_devices[", i, "].name \"", name,
          "\" is not a fully qualified CDI name (vendor/class=device)"));
    }
    found.push_back(name);
  }
  if (!found.empty() && !engine_supports_cdi) {
    return absl::FailedPreconditionError(absl::StrCat(
        "config.cdi_devices [", absl::StrJoin(found, ", "),
        "]: CDI devices need Docker Engine 25 (API 1.44) with its cdi "
        "feature enabled"));
  }
  if (names != nullptr) *names = std::move(found);
  return absl::OkStatus();
}

}  // namespace cri_dockerd
