#include "cri/convert/security_context.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cri_dockerd {
namespace {

// Seccomp profiles are small JSON documents; anything larger is a mistake.
constexpr std::streamsize kMaxProfileBytes = 1 << 20;

absl::StatusOr<std::string> ReadProfile(const std::string& path,
                                        const std::string& field) {
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".localhost_ref \"", path, "\" must be an absolute path"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".localhost_ref: cannot read seccomp profile ", path));
  }
  std::string text(kMaxProfileBytes + 1, '\0');
  in.read(text.data(), kMaxProfileBytes + 1);
  if (in.gcount() > kMaxProfileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".localhost_ref: seccomp profile ", path, " is over 1 MiB"));
  }
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SeccompSecurityOpts(
    const v1::SecurityProfile& profile, const std::string& field) {
  switch (profile.profile_type()) {
    case v1::SecurityProfile::RuntimeDefault:
      return std::vector<std::string>{};
    case v1::SecurityProfile::Unconfined:
      return std::vector<std::string>{"seccomp=unconfined"};
    case v1::SecurityProfile::Localhost: {
      ASSIGN_OR_RETURN(std::string json,
                       ReadProfile(profile.localhost_ref(), field));
      return std::vector<std::string>{absl::StrCat("seccomp=", json)};
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": unknown seccomp profile type ",
                       static_cast<int>(profile.profile_type())));
  }
}

absl::StatusOr<std::vector<std::string>> AppArmorSecurityOpts(
    const v1::SecurityProfile& profile, const std::string& field) {
  switch (profile.profile_type()) {
    case v1::SecurityProfile::RuntimeDefault:
      return std::vector<std::string>{};
    case v1::SecurityProfile::Unconfined:
      return std::vector<std::string>{"apparmor=unconfined"};
    case v1::SecurityProfile::Localhost:
      if (profile.localhost_ref().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".localhost_ref is empty"));
      }
      return std::vector<std::string>{
          absl::StrCat("apparmor=", profile.localhost_ref())};
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": unknown AppArmor profile type ",
                       static_cast<int>(profile.profile_type())));
  }
}

std::vector<std::string> SelinuxSecurityOpts(const v1::SELinuxOption& se) {
  std::vector<std::string> out;
  if (!se.user().empty()) out.push_back("label=user:" + se.user());
  if (!se.role().empty()) out.push_back("label=role:" + se.role());
  if (!se.type().empty()) out.push_back("label=type:" + se.type());
  if (!se.level().empty()) out.push_back("label=level:" + se.level());
  return out;
}

absl::StatusOr<std::string> DockerUser(const v1::Int64Value* run_as_user,
                                       const std::string& run_as_username,
                                       const v1::Int64Value* run_as_group) {
  std::string user;
  if (run_as_user != nullptr) user = absl::StrCat(run_as_user->value());
  if (!run_as_username.empty()) user = run_as_username;
  if (run_as_group != nullptr) {
    if (user.empty()) {
      return absl::InvalidArgumentError(
          "security_context.run_as_group is set without run_as_user or "
          "run_as_username");
    }
    absl::StrAppend(&user, ":", run_as_group->value());
  }
  return user;
}

absl::Status ApplySandboxSecurityContext(
    const v1::LinuxSandboxSecurityContext& sc,
    docker::ContainerCreateConfig* config) {
  const std::string field = "config.linux.security_context";
  ASSIGN_OR_RETURN(
      config->user,
      DockerUser(sc.has_run_as_user() ? &sc.run_as_user() : nullptr, "",
                 sc.has_run_as_group() ? &sc.run_as_group() : nullptr));
  for (int64_t group : sc.supplemental_groups()) {
    config->group_add.push_back(absl::StrCat(group));
  }
  config->privileged = sc.privileged();
  config->readonly_rootfs = sc.readonly_rootfs();
  // The infra process never needs to gain privileges.
  config->security_opt.push_back("no-new-privileges");
  for (std::string& opt : SelinuxSecurityOpts(sc.selinux_options())) {
    config->security_opt.push_back(std::move(opt));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> seccomp_opts,
                   SeccompSecurityOpts(sc.seccomp(), field + ".seccomp"));
  ASSIGN_OR_RETURN(std::vector<std::string> apparmor_opts,
                   AppArmorSecurityOpts(sc.apparmor(), field + ".apparmor"));
  for (auto* opts : {&seccomp_opts, &apparmor_opts}) {
    config->security_opt.insert(config->security_opt.end(), opts->begin(),
                                opts->end());
  }
  return absl::OkStatus();
}

}  // namespace cri_dockerd
