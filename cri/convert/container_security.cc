#include "cri/convert/container_security.h"

#include <cctype>
#include <fstream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "cri/convert/security_context.h"

namespace cri_dockerd {
namespace {

constexpr char kField[] = "config.linux.security_context";

// Reads a deprecated string field through reflection: naming the generated
// accessor would trip -Werror=deprecated-declarations.
std::string LegacyString(const google::protobuf::Message& msg,
                         const char* name) {
  const google::protobuf::FieldDescriptor* fd =
      msg.GetDescriptor()->FindFieldByName(name);
  if (fd == nullptr) return "";
  return msg.GetReflection()->GetString(msg, fd);
}

v1::SecurityProfile Profile(v1::SecurityProfile::ProfileType type,
                            const std::string& ref = "") {
  v1::SecurityProfile p;
  p.set_profile_type(type);
  p.set_localhost_ref(ref);
  return p;
}

// `seccomp`, or the legacy seccomp_profile_path when it is unset. CRI
// documents the legacy default "" as unconfined (critest checks it).
absl::StatusOr<v1::SecurityProfile> EffectiveSeccomp(
    const v1::LinuxContainerSecurityContext& sc) {
  if (sc.has_seccomp()) return sc.seccomp();
  const std::string legacy = LegacyString(sc, "seccomp_profile_path");
  if (legacy.empty() || legacy == "unconfined") {
    return Profile(v1::SecurityProfile::Unconfined);
  }
  if (legacy == "runtime/default" || legacy == "docker/default") {
    return Profile(v1::SecurityProfile::RuntimeDefault);
  }
  if (absl::StartsWith(legacy, "localhost/")) {
    return Profile(v1::SecurityProfile::Localhost,
                   legacy.substr(sizeof("localhost/") - 1));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(kField, ".seccomp_profile_path \"", legacy,
                   "\": want runtime/default, docker/default, unconfined or "
                   "localhost/<absolute path>"));
}

// `apparmor`, or the legacy apparmor_profile when it is unset ("" is the
// runtime's default profile).
absl::StatusOr<v1::SecurityProfile> EffectiveAppArmor(
    const v1::LinuxContainerSecurityContext& sc) {
  if (sc.has_apparmor()) return sc.apparmor();
  const std::string legacy = LegacyString(sc, "apparmor_profile");
  if (legacy.empty() || legacy == "runtime/default") {
    return Profile(v1::SecurityProfile::RuntimeDefault);
  }
  if (legacy == "unconfined") return Profile(v1::SecurityProfile::Unconfined);
  if (absl::StartsWith(legacy, "localhost/")) {
    return Profile(v1::SecurityProfile::Localhost,
                   legacy.substr(sizeof("localhost/") - 1));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(kField, ".apparmor_profile \"", legacy,
                   "\": want runtime/default, unconfined or localhost/<name>"));
}

absl::Status ApplyUser(const v1::LinuxContainerSecurityContext& sc,
                       docker::ContainerCreateConfig* config) {
  ASSIGN_OR_RETURN(
      config->user,
      DockerUser(sc.has_run_as_user() ? &sc.run_as_user() : nullptr,
                 sc.run_as_username(),
                 sc.has_run_as_group() ? &sc.run_as_group() : nullptr));
  if (sc.supplemental_groups_policy() == v1::Strict) {
    return absl::InvalidArgumentError(absl::StrCat(
        kField,
        ".supplemental_groups_policy Strict is not supported by Docker "
        "Engine: it always adds the image's /etc/group memberships"));
  }
  // Only the requested groups: docker (runc) itself adds the groups the
  // primary user belongs to in the image's /etc/group (policy Merge).
  for (int64_t group : sc.supplemental_groups()) {
    config->group_add.push_back(absl::StrCat(group));
  }
  return absl::OkStatus();
}

absl::Status AppendCapabilities(
    const google::protobuf::RepeatedPtrField<std::string>& names,
    const std::string& field, std::vector<std::string>* out) {
  for (int i = 0; i < names.size(); ++i) {
    ASSIGN_OR_RETURN(
        std::string cap,
        NormalizeCapability(names[i], absl::StrCat(field, "[", i, "]")));
    out->push_back(std::move(cap));
  }
  return absl::OkStatus();
}

absl::Status ApplyCapabilities(const v1::Capability& caps,
                               docker::ContainerCreateConfig* config) {
  const std::string field = absl::StrCat(kField, ".capabilities");
  if (!caps.add_ambient_capabilities().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".add_ambient_capabilities [",
        absl::StrJoin(caps.add_ambient_capabilities(), ", "),
        "]: ambient capabilities are not supported by Docker Engine"));
  }
  RETURN_IF_ERROR(AppendCapabilities(
      caps.add_capabilities(), field + ".add_capabilities", &config->cap_add));
  return AppendCapabilities(caps.drop_capabilities(),
                            field + ".drop_capabilities", &config->cap_drop);
}

// Kubelet sends its full default lists; an empty list leaves docker's
// defaults, and privileged containers get none (docker disables them).
absl::Status ApplyPaths(const v1::LinuxContainerSecurityContext& sc,
                        docker::ContainerCreateConfig* config) {
  struct PathList {
    const char* name;
    const google::protobuf::RepeatedPtrField<std::string>& paths;
    std::optional<std::vector<std::string>>* out;
  };
  for (const PathList& list :
       {PathList{"masked_paths", sc.masked_paths(), &config->masked_paths},
        PathList{"readonly_paths", sc.readonly_paths(),
                 &config->readonly_paths}}) {
    for (int i = 0; i < list.paths.size(); ++i) {
      if (list.paths[i].empty() || list.paths[i][0] != '/') {
        return absl::InvalidArgumentError(
            absl::StrCat(kField, ".", list.name, "[", i, "] \"", list.paths[i],
                         "\" is not an absolute path"));
      }
    }
    if (sc.privileged() || list.paths.empty()) {
      list.out->reset();
    } else {
      *list.out =
          std::vector<std::string>(list.paths.begin(), list.paths.end());
    }
  }
  return absl::OkStatus();
}

absl::Status ApplySecurityOpts(const v1::LinuxContainerSecurityContext& sc,
                               docker::ContainerCreateConfig* config) {
  std::vector<std::string>& opts = config->security_opt;
  if (sc.no_new_privs()) opts.push_back("no-new-privileges");
  if (sc.has_selinux_options()) {
    for (std::string& opt : SelinuxSecurityOpts(sc.selinux_options())) {
      opts.push_back(std::move(opt));
    }
  }
  ASSIGN_OR_RETURN(v1::SecurityProfile seccomp, EffectiveSeccomp(sc));
  ASSIGN_OR_RETURN(
      std::vector<std::string> seccomp_opts,
      SeccompSecurityOpts(seccomp, absl::StrCat(kField, ".seccomp")));
  ASSIGN_OR_RETURN(v1::SecurityProfile apparmor, EffectiveAppArmor(sc));
  ASSIGN_OR_RETURN(
      std::vector<std::string> apparmor_opts,
      AppArmorSecurityOpts(apparmor, absl::StrCat(kField, ".apparmor")));
  opts.insert(opts.end(), seccomp_opts.begin(), seccomp_opts.end());
  opts.insert(opts.end(), apparmor_opts.begin(), apparmor_opts.end());
  return absl::OkStatus();
}

absl::Status ApplyNamespaces(const v1::NamespaceOption& ns,
                             const std::string& sandbox_id,
                             docker::ContainerCreateConfig* config) {
  const std::string field = absl::StrCat(kField, ".namespace_options");
  if (ns.has_userns_options() && ns.userns_options().mode() != v1::NODE) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     ".userns_options: user namespaces are not supported by "
                     "Docker Engine through the CRI"));
  }
  const std::string sandbox = absl::StrCat("container:", sandbox_id);
  // Host networking and IPC are the sandbox's; joining it gives them.
  config->network_mode = sandbox;
  config->ipc_mode = sandbox;
  // Docker gives a container that joins another's network the same
  // hostname; only a host-network pod shares the host's UTS namespace.
  config->uts_mode = ns.network() == v1::NODE ? "host" : "";
  switch (ns.pid()) {
    case v1::NODE:
      config->pid_mode = "host";
      break;
    case v1::POD:
      config->pid_mode = sandbox;
      break;
    case v1::TARGET:
      if (ns.target_id().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".target_id is empty but pid is TARGET"));
      }
      config->pid_mode = absl::StrCat("container:", ns.target_id());
      break;
    case v1::CONTAINER:
      config->pid_mode = "";
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".pid: unknown namespace mode ", static_cast<int>(ns.pid())));
  }
  return absl::OkStatus();
}

// The profile name of one "apparmor=<name>" entry; "" for anything else.
std::string AppArmorName(const std::string& opt) {
  constexpr char kPrefix[] = "apparmor=";
  if (!absl::StartsWith(opt, kPrefix)) return "";
  std::string name = opt.substr(sizeof(kPrefix) - 1);
  return name == "unconfined" ? "" : name;
}

}  // namespace

absl::StatusOr<std::string> NormalizeCapability(const std::string& name,
                                                const std::string& field) {
  std::string upper;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " \"", name, "\" is not a capability name"));
    }
    upper.push_back(
        static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  if (upper == "ALL") return upper;
  if (!absl::StartsWith(upper, "CAP_")) upper = "CAP_" + upper;
  if (upper.size() == sizeof("CAP_") - 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " \"", name, "\" is not a capability name"));
  }
  return upper;
}

absl::Status ApplyContainerSecurityContext(
    const v1::LinuxContainerSecurityContext& sc, const std::string& sandbox_id,
    docker::ContainerCreateConfig* config) {
  RETURN_IF_ERROR(ApplyUser(sc, config));
  config->privileged = sc.privileged();
  config->readonly_rootfs = sc.readonly_rootfs();
  RETURN_IF_ERROR(ApplyCapabilities(sc.capabilities(), config));
  RETURN_IF_ERROR(ApplyPaths(sc, config));
  RETURN_IF_ERROR(ApplySecurityOpts(sc, config));
  return ApplyNamespaces(sc.namespace_options(), sandbox_id, config);
}

absl::Status CheckAppArmorProfilesLoaded(
    const std::vector<std::string>& security_opt,
    const std::string& sysfs_root) {
  for (const std::string& opt : security_opt) {
    const std::string name = AppArmorName(opt);
    if (name.empty()) continue;
    std::ifstream enabled(sysfs_root + "/module/apparmor/parameters/enabled");
    std::string flag;
    if (!(enabled >> flag) || flag != "Y") {
      return absl::FailedPreconditionError(absl::StrCat(
          kField, ".apparmor: AppArmor profile \"", name,
          "\" requested but AppArmor is not enabled on this node"));
    }
    std::ifstream profiles(sysfs_root + "/kernel/security/apparmor/profiles");
    if (!profiles) continue;  // securityfs not mounted: docker decides
    bool found = false;
    // Lines are "<name> (<mode>)"; names may hold spaces.
    for (std::string line; !found && std::getline(profiles, line);) {
      const size_t mode = line.rfind(" (");
      found = line.substr(0, mode) == name;
    }
    if (!found) {
      return absl::FailedPreconditionError(
          absl::StrCat(kField, ".apparmor: AppArmor profile \"", name,
                       "\" is not loaded on this node"));
    }
  }
  return absl::OkStatus();
}

}  // namespace cri_dockerd
