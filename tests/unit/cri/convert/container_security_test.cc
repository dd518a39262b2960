// ApplyContainerSecurityContext: what a container's CRI security context
// becomes in docker's create config, and which requests it refuses (each
// error naming the field). Also the AppArmor "is it loaded" check.
#include "cri/convert/container_security.h"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_util::TempDir;

constexpr char kSandbox[] = "sb0123";

// Deprecated fields are set through reflection, as the code reads them.
void SetLegacy(v1::LinuxContainerSecurityContext* sc, const char* field,
               const std::string& value) {
  sc->GetReflection()->SetString(
      sc, sc->GetDescriptor()->FindFieldByName(field), value);
}

absl::StatusOr<docker::ContainerCreateConfig> Apply(
    const v1::LinuxContainerSecurityContext& sc) {
  docker::ContainerCreateConfig config;
  absl::Status s = ApplyContainerSecurityContext(sc, kSandbox, &config);
  if (!s.ok()) return s;
  return config;
}

TEST(ContainerSecurityTest, EmptyContextJoinsThePodWithDefaults) {
  auto c = Apply(v1::LinuxContainerSecurityContext());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->user, "");
  EXPECT_FALSE(c->privileged);
  EXPECT_FALSE(c->readonly_rootfs);
  EXPECT_EQ(c->network_mode, "container:sb0123");
  EXPECT_EQ(c->ipc_mode, "container:sb0123");
  EXPECT_EQ(c->pid_mode, "container:sb0123");  // CRI's default mode is POD
  EXPECT_EQ(c->uts_mode, "");
  EXPECT_THAT(c->cap_add, IsEmpty());
  EXPECT_THAT(c->group_add, IsEmpty());
  EXPECT_FALSE(c->masked_paths.has_value());
  EXPECT_FALSE(c->readonly_paths.has_value());
  // No seccomp at all is CRI's "unconfined"; AppArmor stays docker's.
  EXPECT_THAT(c->security_opt, ElementsAre("seccomp=unconfined"));
}

struct UserCase {
  const char* name;
  std::function<void(v1::LinuxContainerSecurityContext*)> setup;
  std::string user;  // expected, or the error's substring
  bool ok = true;
};

TEST(ContainerSecurityTest, UserAndGroup) {
  const std::vector<UserCase> cases = {
      {"uid", [](auto* sc) { sc->mutable_run_as_user()->set_value(1000); },
       "1000"},
      {"uid 0", [](auto* sc) { sc->mutable_run_as_user()->set_value(0); }, "0"},
      {"name", [](auto* sc) { sc->set_run_as_username("nobody"); }, "nobody"},
      {"uid:gid",
       [](auto* sc) {
         sc->mutable_run_as_user()->set_value(1000);
         sc->mutable_run_as_group()->set_value(2000);
       },
       "1000:2000"},
      {"name:gid",
       [](auto* sc) {
         sc->set_run_as_username("nobody");
         sc->mutable_run_as_group()->set_value(0);
       },
       "nobody:0"},
      {"gid alone",
       [](auto* sc) { sc->mutable_run_as_group()->set_value(2000); },
       "run_as_group", false},
  };
  for (const UserCase& tc : cases) {
    SCOPED_TRACE(tc.name);
    v1::LinuxContainerSecurityContext sc;
    tc.setup(&sc);
    auto c = Apply(sc);
    if (tc.ok) {
      ASSERT_TRUE(c.ok()) << c.status();
      EXPECT_EQ(c->user, tc.user);
    } else {
      EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << c.status();
      EXPECT_THAT(c.status().message(), HasSubstr(tc.user));
    }
  }
}

TEST(ContainerSecurityTest, SupplementalGroupsAreAdded) {
  v1::LinuxContainerSecurityContext sc;
  sc.add_supplemental_groups(1234);
  sc.add_supplemental_groups(0);
  auto c = Apply(sc);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->group_add, ElementsAre("1234", "0"));
}

TEST(ContainerSecurityTest, StrictSupplementalGroupsPolicyIsRefused) {
  v1::LinuxContainerSecurityContext sc;
  sc.set_supplemental_groups_policy(v1::Strict);
  auto c = Apply(sc);
  EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << c.status();
  EXPECT_THAT(c.status().message(),
              HasSubstr("security_context.supplemental_groups_policy"));
}

TEST(ContainerSecurityTest, CapabilitiesAreNormalised) {
  v1::LinuxContainerSecurityContext sc;
  for (const char* cap :
       {"NET_ADMIN", "cap_sys_admin", "CAP_CHOWN", "all", "Sys_Time", "ALL"}) {
    sc.mutable_capabilities()->add_add_capabilities(cap);
  }
  for (const char* cap : {"net_raw", "CAP_MKNOD", "ALL"}) {
    sc.mutable_capabilities()->add_drop_capabilities(cap);
  }
  auto c = Apply(sc);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->cap_add,
              ElementsAre("CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_CHOWN", "ALL",
                          "CAP_SYS_TIME", "ALL"));
  EXPECT_THAT(c->cap_drop, ElementsAre("CAP_NET_RAW", "CAP_MKNOD", "ALL"));
}

TEST(ContainerSecurityTest, BadCapabilityNamesNameTheEntry) {
  for (const char* bad : {"", "NET ADMIN", "CAP_", "cap_", "net-admin",
                          "NET_ADMIN\n", "cap_sys_admin;rm"}) {
    SCOPED_TRACE(bad);
    v1::LinuxContainerSecurityContext sc;
    sc.mutable_capabilities()->add_add_capabilities("NET_ADMIN");
    sc.mutable_capabilities()->add_add_capabilities(bad);
    auto c = Apply(sc);
    EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << c.status();
    EXPECT_THAT(c.status().message(),
                HasSubstr("capabilities.add_capabilities[1]"));

    v1::LinuxContainerSecurityContext drop;
    drop.mutable_capabilities()->add_drop_capabilities(bad);
    c = Apply(drop);
    EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << c.status();
    EXPECT_THAT(c.status().message(),
                HasSubstr("capabilities.drop_capabilities[0]"));
  }
}

TEST(ContainerSecurityTest, AmbientCapabilitiesAreRefused) {
  v1::LinuxContainerSecurityContext sc;
  sc.mutable_capabilities()->add_add_ambient_capabilities("NET_BIND_SERVICE");
  auto c = Apply(sc);
  EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << c.status();
  EXPECT_THAT(c.status().message(),
              HasSubstr("capabilities.add_ambient_capabilities"));
  EXPECT_THAT(c.status().message(),
              HasSubstr("ambient capabilities are not supported by Docker "
                        "Engine"));
}

TEST(ContainerSecurityTest, MaskedAndReadonlyPaths) {
  v1::LinuxContainerSecurityContext sc;
  sc.add_masked_paths("/proc/kcore");
  sc.add_masked_paths("/bin/ls");
  sc.add_readonly_paths("/proc/sys");
  auto c = Apply(sc);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->masked_paths.has_value());
  EXPECT_THAT(*c->masked_paths, ElementsAre("/proc/kcore", "/bin/ls"));
  ASSERT_TRUE(c->readonly_paths.has_value());
  EXPECT_THAT(*c->readonly_paths, ElementsAre("/proc/sys"));

  // Privileged: docker unmasks everything, whatever was asked.
  sc.set_privileged(true);
  c = Apply(sc);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->privileged);
  EXPECT_FALSE(c->masked_paths.has_value());
  EXPECT_FALSE(c->readonly_paths.has_value());
}

TEST(ContainerSecurityTest, RelativeMaskedOrReadonlyPathIsRefused) {
  v1::LinuxContainerSecurityContext masked;
  masked.add_masked_paths("/proc/kcore");
  masked.add_masked_paths("proc/keys");
  auto c = Apply(masked);
  EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr("masked_paths[1]"));

  v1::LinuxContainerSecurityContext readonly;
  readonly.add_readonly_paths("");
  c = Apply(readonly);
  EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr("readonly_paths[0]"));
}

TEST(ContainerSecurityTest, ReadonlyRootfsNoNewPrivsAndSelinux) {
  v1::LinuxContainerSecurityContext sc;
  sc.set_readonly_rootfs(true);
  sc.set_no_new_privs(true);
  sc.mutable_selinux_options()->set_user("system_u");
  sc.mutable_selinux_options()->set_level("s0:c1,c2");
  sc.mutable_seccomp()->set_profile_type(v1::SecurityProfile::RuntimeDefault);
  docker::ContainerCreateConfig config;
  config.security_opt = {"label=disable"};  // appended to, not replaced
  ASSERT_TRUE(ApplyContainerSecurityContext(sc, kSandbox, &config).ok());
  EXPECT_TRUE(config.readonly_rootfs);
  EXPECT_THAT(config.security_opt,
              ElementsAre("label=disable", "no-new-privileges",
                          "label=user:system_u", "label=level:s0:c1,c2"));
}

struct ProfileCase {
  const char* name;
  std::function<void(v1::LinuxContainerSecurityContext*)> setup;
  std::vector<std::string> opts;  // expected security_opt
  std::string error;              // substring of InvalidArgument, or ""
};

TEST(ContainerSecurityTest, SeccompAndAppArmorProfiles) {
  TempDir dir;
  const std::string profile =
      dir.Write("block.json", R"({"defaultAction":"SCMP_ACT_ALLOW"})");
  const std::string json = R"({"defaultAction":"SCMP_ACT_ALLOW"})";
  using P = v1::SecurityProfile;
  auto seccomp = [](P::ProfileType t, std::string ref = "") {
    return [t, ref](v1::LinuxContainerSecurityContext* sc) {
      sc->mutable_seccomp()->set_profile_type(t);
      sc->mutable_seccomp()->set_localhost_ref(ref);
    };
  };
  auto apparmor = [](P::ProfileType t, std::string ref = "") {
    return [t, ref](v1::LinuxContainerSecurityContext* sc) {
      sc->mutable_seccomp()->set_profile_type(P::RuntimeDefault);
      sc->mutable_apparmor()->set_profile_type(t);
      sc->mutable_apparmor()->set_localhost_ref(ref);
    };
  };
  auto legacy = [](const char* field, std::string value) {
    return [field, value](v1::LinuxContainerSecurityContext* sc) {
      SetLegacy(sc, field, value);
    };
  };
  const std::vector<ProfileCase> cases = {
      {"seccomp runtime default", seccomp(P::RuntimeDefault), {}, ""},
      {"seccomp unconfined",
       seccomp(P::Unconfined),
       {"seccomp=unconfined"},
       ""},
      {"seccomp localhost",
       seccomp(P::Localhost, profile),
       {"seccomp=" + json},
       ""},
      {"seccomp localhost relative",
       seccomp(P::Localhost, "block.json"),
       {},
       "security_context.seccomp.localhost_ref"},
      {"seccomp localhost missing",
       seccomp(P::Localhost, dir.path() + "/nope.json"),
       {},
       "security_context.seccomp.localhost_ref"},
      {"legacy seccomp empty is unconfined",
       legacy("seccomp_profile_path", ""),
       {"seccomp=unconfined"},
       ""},
      {"legacy seccomp unconfined",
       legacy("seccomp_profile_path", "unconfined"),
       {"seccomp=unconfined"},
       ""},
      {"legacy seccomp docker/default",
       legacy("seccomp_profile_path", "docker/default"),
       {},
       ""},
      {"legacy seccomp runtime/default",
       legacy("seccomp_profile_path", "runtime/default"),
       {},
       ""},
      {"legacy seccomp localhost",
       legacy("seccomp_profile_path", "localhost/" + profile),
       {"seccomp=" + json},
       ""},
      {"legacy seccomp path without localhost/",
       legacy("seccomp_profile_path", profile),
       {},
       "seccomp_profile_path"},
      {"legacy seccomp localhost relative",
       legacy("seccomp_profile_path", "localhost/block.json"),
       {},
       "localhost_ref"},
      {"apparmor runtime default", apparmor(P::RuntimeDefault), {}, ""},
      {"apparmor unconfined",
       apparmor(P::Unconfined),
       {"apparmor=unconfined"},
       ""},
      {"apparmor localhost",
       apparmor(P::Localhost, "deny-write"),
       {"apparmor=deny-write"},
       ""},
      {"apparmor localhost empty",
       apparmor(P::Localhost),
       {},
       "security_context.apparmor.localhost_ref"},
      {"legacy apparmor localhost",
       [](auto* sc) {
         sc->mutable_seccomp()->set_profile_type(P::RuntimeDefault);
         SetLegacy(sc, "apparmor_profile", "localhost/deny-write");
       },
       {"apparmor=deny-write"},
       ""},
      {"legacy apparmor unconfined",
       [](auto* sc) {
         sc->mutable_seccomp()->set_profile_type(P::RuntimeDefault);
         SetLegacy(sc, "apparmor_profile", "unconfined");
       },
       {"apparmor=unconfined"},
       ""},
      {"legacy apparmor runtime/default",
       [](auto* sc) {
         sc->mutable_seccomp()->set_profile_type(P::RuntimeDefault);
         SetLegacy(sc, "apparmor_profile", "runtime/default");
       },
       {},
       ""},
      {"legacy apparmor bogus",
       legacy("apparmor_profile", "deny-write"),
       {},
       "security_context.apparmor_profile"},
      {"new field wins over legacy",
       [](auto* sc) {
         sc->mutable_seccomp()->set_profile_type(P::RuntimeDefault);
         SetLegacy(sc, "seccomp_profile_path", "unconfined");
       },
       {},
       ""},
  };
  for (const ProfileCase& tc : cases) {
    SCOPED_TRACE(tc.name);
    v1::LinuxContainerSecurityContext sc;
    tc.setup(&sc);
    auto c = Apply(sc);
    if (tc.error.empty()) {
      ASSERT_TRUE(c.ok()) << c.status();
      EXPECT_EQ(c->security_opt, tc.opts);
    } else {
      EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << c.status();
      EXPECT_THAT(c.status().message(), HasSubstr(tc.error));
    }
  }
}

struct NamespaceCase {
  const char* name;
  v1::NamespaceMode network;
  v1::NamespaceMode pid;
  std::string target_id;
  std::string pid_mode;  // expected
  std::string uts_mode;  // expected
};

TEST(ContainerSecurityTest, Namespaces) {
  const std::vector<NamespaceCase> cases = {
      {"pod pid", v1::POD, v1::POD, "", "container:sb0123", ""},
      {"own pid", v1::POD, v1::CONTAINER, "", "", ""},
      {"host pid", v1::POD, v1::NODE, "", "host", ""},
      {"target pid", v1::POD, v1::TARGET, "c42", "container:c42", ""},
      {"host network", v1::NODE, v1::CONTAINER, "", "", "host"},
  };
  for (const NamespaceCase& tc : cases) {
    SCOPED_TRACE(tc.name);
    v1::LinuxContainerSecurityContext sc;
    sc.mutable_namespace_options()->set_network(tc.network);
    sc.mutable_namespace_options()->set_pid(tc.pid);
    sc.mutable_namespace_options()->set_ipc(v1::NODE);
    sc.mutable_namespace_options()->set_target_id(tc.target_id);
    auto c = Apply(sc);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->pid_mode, tc.pid_mode);
    EXPECT_EQ(c->uts_mode, tc.uts_mode);
    // Network and IPC are always the sandbox's (host ones included).
    EXPECT_EQ(c->network_mode, "container:sb0123");
    EXPECT_EQ(c->ipc_mode, "container:sb0123");
  }
}

TEST(ContainerSecurityTest, TargetPidWithoutTargetIdIsRefused) {
  v1::LinuxContainerSecurityContext sc;
  sc.mutable_namespace_options()->set_pid(v1::TARGET);
  auto c = Apply(sc);
  EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr("namespace_options.target_id"));
}

TEST(ContainerSecurityTest, OnlyTheHostUserNamespaceIsAccepted) {
  v1::LinuxContainerSecurityContext sc;
  sc.mutable_namespace_options()->mutable_userns_options()->set_mode(v1::NODE);
  EXPECT_TRUE(Apply(sc).ok());
  for (v1::NamespaceMode mode : {v1::POD, v1::CONTAINER, v1::TARGET}) {
    sc.mutable_namespace_options()->mutable_userns_options()->set_mode(mode);
    auto c = Apply(sc);
    EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << c.status();
    EXPECT_THAT(c.status().message(),
                HasSubstr("namespace_options.userns_options"));
    EXPECT_THAT(c.status().message(),
                HasSubstr("user namespaces are not supported"));
  }
}

class AppArmorLoadedTest : public ::testing::Test {
 protected:
  void Enable(const std::string& flag) {
    Mkdirs("/module/apparmor/parameters");
    sys_.Write("module/apparmor/parameters/enabled", flag + "\n");
  }
  void Profiles(const std::string& text) {
    Mkdirs("/kernel/security/apparmor");
    sys_.Write("kernel/security/apparmor/profiles", text);
  }
  absl::Status Check(std::vector<std::string> opts) {
    return CheckAppArmorProfilesLoaded(opts, sys_.path());
  }
  void Mkdirs(const std::string& rel) {
    std::error_code ec;
    std::filesystem::create_directories(sys_.path() + rel, ec);
    ASSERT_FALSE(ec) << ec.message();
  }
  TempDir sys_;
};

TEST_F(AppArmorLoadedTest, LoadedProfilesPass) {
  Enable("Y");
  Profiles("docker-default (enforce)\ncri test profile (complain)\n");
  EXPECT_TRUE(Check({"seccomp=unconfined", "apparmor=docker-default"}).ok());
  EXPECT_TRUE(Check({"apparmor=cri test profile"}).ok());
  EXPECT_TRUE(Check({}).ok());
}

TEST_F(AppArmorLoadedTest, MissingProfileFailsNamingIt) {
  Enable("Y");
  Profiles("docker-default (enforce)\n");
  absl::Status s = Check({"apparmor=non-existent-profile"});
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("non-existent-profile"));
  EXPECT_THAT(s.message(), HasSubstr("security_context.apparmor"));
  // A prefix of a loaded name is not that name.
  EXPECT_TRUE(absl::IsFailedPrecondition(Check({"apparmor=docker"})));
}

TEST_F(AppArmorLoadedTest, DisabledAppArmorFails) {
  for (const char* flag : {"N", ""}) {
    SCOPED_TRACE(flag);
    Enable(flag);
    Profiles("docker-default (enforce)\n");
    absl::Status s = Check({"apparmor=docker-default"});
    EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
    EXPECT_THAT(s.message(), HasSubstr("not enabled"));
  }
}

TEST_F(AppArmorLoadedTest, NoAppArmorModuleFails) {
  absl::Status s = Check({"apparmor=docker-default"});
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
}

TEST_F(AppArmorLoadedTest, UnreadableProfileListLeavesItToDocker) {
  Enable("Y");
  EXPECT_TRUE(Check({"apparmor=anything"}).ok());
}

TEST_F(AppArmorLoadedTest, UnconfinedNeedsNoAppArmor) {
  EXPECT_TRUE(Check({"apparmor=unconfined", "no-new-privileges"}).ok());
}

}  // namespace
}  // namespace cri_dockerd
