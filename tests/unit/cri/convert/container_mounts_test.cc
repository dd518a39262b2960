// ToDockerMounts / ToDockerDevices / CheckCdiDevices: CRI mounts and
// devices as docker takes them, host paths created like `docker -v`, and
// the refused inputs (each error naming the field).
#include "cri/convert/container_mounts.h"

#include <sys/stat.h>

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
using testing_util::TempDir;

using Mounts = google::protobuf::RepeatedPtrField<v1::Mount>;

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

v1::Mount* AddMount(Mounts* mounts, const std::string& host,
                    const std::string& container) {
  v1::Mount* m = mounts->Add();
  m->set_host_path(host);
  m->set_container_path(container);
  return m;
}

TEST(ContainerMountsTest, ConvertsBindMounts) {
  TempDir dir;
  Mounts mounts;
  AddMount(&mounts, dir.path(), "/data");
  v1::Mount* ro = AddMount(&mounts, dir.Write("f", "x"), "/etc/f");
  ro->set_readonly(true);
  ro->set_selinux_relabel(true);
  auto out = ToDockerMounts(mounts, false);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].source, dir.path());
  EXPECT_EQ((*out)[0].target, "/data");
  EXPECT_FALSE((*out)[0].read_only);
  EXPECT_EQ((*out)[0].propagation, "");
  EXPECT_FALSE((*out)[0].selinux_relabel);
  EXPECT_EQ((*out)[1].source, dir.path() + "/f");
  EXPECT_TRUE((*out)[1].read_only);
  EXPECT_TRUE((*out)[1].selinux_relabel);
  EXPECT_FALSE((*out)[1].recursive_read_only);
}

TEST(ContainerMountsTest, Propagation) {
  TempDir dir;
  const std::vector<std::pair<v1::MountPropagation, std::string>> cases = {
      // docker's default: it refuses an explicit rprivate for a source
      // holding its root dir (hostPath "/"), and picks rslave there.
      {v1::PROPAGATION_PRIVATE, ""},
      {v1::PROPAGATION_HOST_TO_CONTAINER, "rslave"},
      {v1::PROPAGATION_BIDIRECTIONAL, "rshared"},
  };
  for (const auto& [mode, want] : cases) {
    SCOPED_TRACE(want);
    Mounts mounts;
    AddMount(&mounts, dir.path(), "/data")->set_propagation(mode);
    auto out = ToDockerMounts(mounts, true);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ((*out)[0].propagation, want);
  }
  Mounts bad;
  AddMount(&bad, dir.path(), "/data")
      ->set_propagation(static_cast<v1::MountPropagation>(7));
  auto out = ToDockerMounts(bad, true);
  EXPECT_TRUE(absl::IsInvalidArgument(out.status())) << out.status();
  EXPECT_THAT(out.status().message(),
              HasSubstr("config.mounts[0].propagation"));
}

TEST(ContainerMountsTest, RecursiveReadOnlyWhenSupported) {
  TempDir dir;
  Mounts mounts;
  v1::Mount* m = AddMount(&mounts, dir.path(), "/data");
  m->set_readonly(true);
  m->set_recursive_read_only(true);
  auto out = ToDockerMounts(mounts, true);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE((*out)[0].recursive_read_only);
  EXPECT_TRUE((*out)[0].read_only);

  out = ToDockerMounts(mounts, false);
  EXPECT_TRUE(absl::IsFailedPrecondition(out.status())) << out.status();
  EXPECT_THAT(out.status().message(),
              HasSubstr("config.mounts[0].recursive_read_only"));
  EXPECT_THAT(out.status().message(), HasSubstr("Docker Engine 25"));
}

TEST(ContainerMountsTest, CreatesMissingHostDirectories) {
  TempDir dir;
  const std::string missing = dir.path() + "/a/b/c";
  const mode_t mask = umask(022);
  Mounts mounts;
  AddMount(&mounts, missing, "/data");
  AddMount(&mounts, dir.path() + "/a/b/", "/other");  // already there by then
  auto out = ToDockerMounts(mounts, false);
  umask(mask);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_TRUE(IsDir(missing));
  struct stat st;
  ASSERT_EQ(stat(missing.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST(ContainerMountsTest, ExistingFileIsLeftAlone) {
  TempDir dir;
  const std::string file = dir.Write("hosts", "127.0.0.1 localhost\n");
  Mounts mounts;
  AddMount(&mounts, file, "/etc/hosts");
  ASSERT_TRUE(ToDockerMounts(mounts, false).ok());
  EXPECT_FALSE(IsDir(file));
}

TEST(ContainerMountsTest, NothingIsCreatedWhenALaterMountIsBad) {
  TempDir dir;
  Mounts mounts;
  AddMount(&mounts, dir.path() + "/new", "/data");
  AddMount(&mounts, "relative", "/other");
  auto out = ToDockerMounts(mounts, false);
  EXPECT_TRUE(absl::IsInvalidArgument(out.status())) << out.status();
  EXPECT_THAT(out.status().message(), HasSubstr("config.mounts[1].host_path"));
  EXPECT_FALSE(Exists(dir.path() + "/new"));
}

TEST(ContainerMountsTest, MissingPathsUnderProcAndSysAreNotCreated) {
  for (const char* path : {"/proc/crid-no-such-file", "/sys/crid/no/such"}) {
    SCOPED_TRACE(path);
    Mounts mounts;
    AddMount(&mounts, "/proc", "/host/proc");  // exists: fine
    AddMount(&mounts, path, "/x");
    auto out = ToDockerMounts(mounts, false);
    EXPECT_TRUE(absl::IsInvalidArgument(out.status())) << out.status();
    EXPECT_THAT(out.status().message(),
                HasSubstr("config.mounts[1].host_path"));
    EXPECT_FALSE(Exists(path));
  }
}

TEST(ContainerMountsTest, HostPathThatCannotBeCreatedFails) {
  TempDir dir;
  const std::string file = dir.Write("file", "x");
  Mounts mounts;
  AddMount(&mounts, file + "/sub", "/data");
  auto out = ToDockerMounts(mounts, false);
  EXPECT_TRUE(absl::IsFailedPrecondition(out.status())) << out.status();
  EXPECT_THAT(out.status().message(), HasSubstr("config.mounts[0].host_path"));
}

struct BadMount {
  const char* name;
  std::function<void(v1::Mount*)> setup;  // applied to mounts[1]
  std::string field;
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
};

TEST(ContainerMountsTest, BadMountsNameTheField) {
  TempDir dir;
  const std::string host = dir.path();
  auto paths = [](std::string h, std::string c) {
    return [h, c](v1::Mount* m) {
      m->set_host_path(h);
      m->set_container_path(c);
    };
  };
  const std::vector<BadMount> cases = {
      {"empty container path", paths(host, ""),
       "config.mounts[1].container_path"},
      {"relative container path", paths(host, "data"),
       "config.mounts[1].container_path"},
      {"dotdot container path", paths(host, "/data/../etc"),
       "config.mounts[1].container_path"},
      {"root container path", paths(host, "/"),
       "config.mounts[1].container_path"},
      {"empty host path", paths("", "/b"), "config.mounts[1].host_path"},
      {"relative host path", paths("tmp/x", "/b"),
       "config.mounts[1].host_path"},
      {"dotdot host path", paths(host + "/..", "/b"),
       "config.mounts[1].host_path"},
      {"NUL in host path", paths(std::string("/tmp/a\0b", 8), "/b"),
       "config.mounts[1].host_path"},
      {"duplicate container path", paths(host, "/a"),
       "config.mounts[1].container_path"},
      {"uid mappings",
       [](v1::Mount* m) { m->add_uidmappings()->set_length(1); },
       "config.mounts[1].uidMappings"},
      {"gid mappings",
       [](v1::Mount* m) { m->add_gidmappings()->set_length(1); },
       "config.mounts[1].uidMappings/gidMappings"},
      {"image volume",
       [](v1::Mount* m) {
         m->set_host_path("");
         m->mutable_image()->set_image("sha256:abc");
       },
       "config.mounts[1].image", absl::StatusCode::kFailedPrecondition},
      {"image sub path", [](v1::Mount* m) { m->set_image_sub_path("dir"); },
       "config.mounts[1].image", absl::StatusCode::kFailedPrecondition},
      {"rro without readonly",
       [](v1::Mount* m) { m->set_recursive_read_only(true); },
       "config.mounts[1].recursive_read_only"},
      {"rro with rslave",
       [](v1::Mount* m) {
         m->set_readonly(true);
         m->set_recursive_read_only(true);
         m->set_propagation(v1::PROPAGATION_HOST_TO_CONTAINER);
       },
       "config.mounts[1].recursive_read_only"},
      {"rro with relabel",
       [](v1::Mount* m) {
         m->set_readonly(true);
         m->set_recursive_read_only(true);
         m->set_selinux_relabel(true);
       },
       "config.mounts[1].recursive_read_only"},
  };
  for (const BadMount& tc : cases) {
    SCOPED_TRACE(tc.name);
    Mounts mounts;
    AddMount(&mounts, host, "/a");
    tc.setup(AddMount(&mounts, host, "/b"));
    auto out = ToDockerMounts(mounts, true);
    EXPECT_EQ(out.status().code(), tc.code) << out.status();
    EXPECT_THAT(out.status().message(), HasSubstr(tc.field));
  }
}

TEST(ContainerDevicesTest, ConvertsDevices) {
  google::protobuf::RepeatedPtrField<v1::Device> devices;
  for (const char* perms : {"", "r", "rw", "mrw"}) {
    v1::Device* d = devices.Add();
    d->set_host_path("/dev/fuse");
    d->set_container_path("/dev/fuse");
    d->set_permissions(perms);
  }
  auto out = ToDockerDevices(devices);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 4u);
  EXPECT_EQ((*out)[0].path_on_host, "/dev/fuse");
  EXPECT_EQ((*out)[0].path_in_container, "/dev/fuse");
  EXPECT_EQ((*out)[0].cgroup_permissions, "rwm");
  EXPECT_EQ((*out)[1].cgroup_permissions, "r");
  EXPECT_EQ((*out)[2].cgroup_permissions, "rw");
  EXPECT_EQ((*out)[3].cgroup_permissions, "mrw");
}

TEST(ContainerDevicesTest, BadDevicesNameTheField) {
  struct Case {
    std::string host, container, perms, field;
  };
  const std::vector<Case> cases = {
      {"dev/null", "/dev/null", "", "config.devices[1].host_path"},
      {"", "/dev/null", "", "config.devices[1].host_path"},
      {"/dev/../etc/shadow", "/dev/x", "", "config.devices[1].host_path"},
      {"/dev/null", "", "", "config.devices[1].container_path"},
      {"/dev/null", "null", "", "config.devices[1].container_path"},
      {"/dev/null", "/dev/..", "", "config.devices[1].container_path"},
      {"/dev/null", "/dev/null", "x", "config.devices[1].permissions"},
      {"/dev/null", "/dev/null", "rr", "config.devices[1].permissions"},
      {"/dev/null", "/dev/null", "rwmx", "config.devices[1].permissions"},
      {"/dev/null", "/dev/null", "RW", "config.devices[1].permissions"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.field + " " + tc.host + " " + tc.container + " " +
                 tc.perms);
    google::protobuf::RepeatedPtrField<v1::Device> devices;
    v1::Device* ok = devices.Add();
    ok->set_host_path("/dev/zero");
    ok->set_container_path("/dev/zero");
    v1::Device* d = devices.Add();
    d->set_host_path(tc.host);
    d->set_container_path(tc.container);
    d->set_permissions(tc.perms);
    auto out = ToDockerDevices(devices);
    EXPECT_TRUE(absl::IsInvalidArgument(out.status())) << out.status();
    EXPECT_THAT(out.status().message(), HasSubstr(tc.field));
  }
}

google::protobuf::RepeatedPtrField<v1::CDIDevice> Cdi(
    std::vector<std::string> names) {
  google::protobuf::RepeatedPtrField<v1::CDIDevice> out;
  for (const std::string& n : names) out.Add()->set_name(n);
  return out;
}

TEST(ContainerCdiTest, NoneIsAlwaysFine) {
  std::vector<std::string> names = {"stale"};
  EXPECT_TRUE(CheckCdiDevices(Cdi({}), false, &names).ok());
  EXPECT_TRUE(names.empty());
  EXPECT_TRUE(CheckCdiDevices(Cdi({}), true).ok());
}

TEST(ContainerCdiTest, SupportedEngineGetsTheNames) {
  std::vector<std::string> names;
  ASSERT_TRUE(CheckCdiDevices(Cdi({"nvidia.com/gpu=0", "vendor.com/x=all"}),
                              true, &names)
                  .ok());
  EXPECT_THAT(names, ElementsAre("nvidia.com/gpu=0", "vendor.com/x=all"));
}

TEST(ContainerCdiTest, OldEngineRefusesNamingTheDevices) {
  absl::Status s =
      CheckCdiDevices(Cdi({"nvidia.com/gpu=0", "nvidia.com/gpu=1"}), false);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("config.cdi_devices"));
  EXPECT_THAT(s.message(), HasSubstr("nvidia.com/gpu=0, nvidia.com/gpu=1"));
}

TEST(ContainerCdiTest, BadNamesNameTheEntry) {
  for (const char* bad : {"", "gpu0", "nvidia.com/gpu", "/gpu=0",
                          "nvidia.com/=0", "nvidia.com/gpu=", "a=b/c"}) {
    SCOPED_TRACE(bad);
    absl::Status s = CheckCdiDevices(Cdi({"nvidia.com/gpu=0", bad}), true);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    EXPECT_THAT(s.message(), HasSubstr("config.cdi_devices[1].name"));
  }
}

}  // namespace
}  // namespace cri_dockerd
