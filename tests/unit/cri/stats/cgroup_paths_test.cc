// Finding a process's cgroup directories from mountinfo and
// /proc/<pid>/cgroup.
#include "cri/stats/cgroup_paths.h"

#include "cri/stats/testing/fake_cgroup_tree.h"
#include "gtest/gtest.h"

namespace cri_dockerd::stats {
namespace {

using testing_util::FakeCgroupTree;

constexpr char kId[] =
    "e96ef92932ecdebf86a454229d5d5c42c8b1842068b133b2bf13576858a25453";

// As on this lab's hybrid hosts (trimmed).
constexpr char kHybridMountinfo[] =
    "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime "
    "shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
    "rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "90 22 0:50 / /var/lib/docker/overlay2/x/merged rw - overlay overlay "
    "rw,lowerdir=/a\n";

TEST(CgroupPathsTest, ParsesCgroupMountsOnly) {
  const std::vector<CgroupMount> mounts = ParseCgroupMounts(kHybridMountinfo);
  ASSERT_EQ(mounts.size(), 5u);
  EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(mounts[0].root, "/");
  EXPECT_FALSE(mounts[0].unified);
  EXPECT_EQ(mounts[0].options,
            (std::vector<std::string>{"rw", "cpu", "cpuacct"}));
  EXPECT_TRUE(mounts[4].unified);
  EXPECT_EQ(mounts[4].mount_point, "/sys/fs/cgroup/unified");
}

TEST(CgroupPathsTest, UnescapesMountPointsAndSkipsJunk) {
  const std::vector<CgroupMount> mounts = ParseCgroupMounts(
      "garbage\n"
      "1 2 0:3 /sub\\040dir /my\\040cgroups rw - cgroup2 none rw\n"
      "1 2 0:3 / /x rw - cgroup\n");  // truncated: no super options
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].mount_point, "/my cgroups");
  EXPECT_EQ(mounts[0].root, "/sub dir");
}

TEST(CgroupPathsTest, ResolvesHybridV1) {
  const CgroupPaths paths = ResolveCgroupPaths(
      ParseCgroupMounts(kHybridMountinfo),
      ParseProcCgroup(absl::StrCat(
          "12:rdma:/\n4:name=systemd:/docker/", kId, "\n3:pids:/docker/", kId,
          "\n2:memory:/docker/", kId, "\n1:cpu,cpuacct:/docker/", kId,
          "\n0::/docker/", kId, "\n")));
  EXPECT_EQ(paths.V1Dir("cpu"),
            absl::StrCat("/sys/fs/cgroup/cpu,cpuacct/docker/", kId));
  EXPECT_EQ(paths.V1Dir("cpuacct"), paths.V1Dir("cpu"));
  EXPECT_EQ(paths.V1Dir("memory"),
            absl::StrCat("/sys/fs/cgroup/memory/docker/", kId));
  EXPECT_EQ(paths.V1Dir("pids"),
            absl::StrCat("/sys/fs/cgroup/pids/docker/", kId));
  EXPECT_EQ(paths.V1Dir("name=systemd"),
            absl::StrCat("/sys/fs/cgroup/systemd/docker/", kId));
  EXPECT_EQ(paths.V1Dir("rdma"), "") << "not mounted";
  EXPECT_EQ(paths.UnifiedDir(),
            absl::StrCat("/sys/fs/cgroup/unified/docker/", kId));
  EXPECT_TRUE(paths.Mentions(kId));
  EXPECT_FALSE(paths.Mentions("0123456789abcdef"));
}

TEST(CgroupPathsTest, ResolvesV2SystemdScope) {
  const std::string path = absl::StrCat(
      "/kubepods.slice/kubepods-burstable.slice/"
      "kubepods-burstable-pod12.slice/docker-",
      kId, ".scope");
  const CgroupPaths paths = ResolveCgroupPaths(
      ParseCgroupMounts(
          "30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n"),
      ParseProcCgroup("0::" + path + "\n"));
  EXPECT_TRUE(paths.v1.empty());
  EXPECT_EQ(paths.UnifiedDir(), "/sys/fs/cgroup" + path);
  EXPECT_EQ(paths.Parent().UnifiedDir(),
            "/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/"
            "kubepods-burstable-pod12.slice");
}

TEST(CgroupPathsTest, MountOfASubtreeMapsBelowItsRoot) {
  // A cgroup namespace or bind mount exposes /kubepods at /cg; cgroups
  // outside that root cannot be reached through it.
  const std::vector<CgroupMount> mounts = ParseCgroupMounts(
      "1 0 0:1 /kubepods /cg rw - cgroup2 cgroup2 rw\n"
      "2 0 0:1 / /full rw - cgroup2 cgroup2 rw\n");
  CgroupPaths p =
      ResolveCgroupPaths(mounts, ParseProcCgroup("0::/kubepods/pod1/c1\n"));
  EXPECT_EQ(p.UnifiedDir(), "/cg/pod1/c1") << "the nearest root wins";
  EXPECT_EQ(p.Parent().Parent().UnifiedDir(), "/cg");
  EXPECT_EQ(p.Parent().Parent().Parent().UnifiedDir(), "")
      << "above the mount's root";
  p = ResolveCgroupPaths(mounts, ParseProcCgroup("0::/system.slice/x\n"));
  EXPECT_EQ(p.UnifiedDir(), "/full/system.slice/x");
}

TEST(CgroupPathsTest, ParentStopsAtTheRoot) {
  const CgroupPaths p = ResolveCgroupPaths(
      ParseCgroupMounts("1 0 0:1 / /sys/fs/cgroup rw - cgroup2 c rw\n"),
      ParseProcCgroup("0::/a\n"));
  EXPECT_EQ(p.Parent().UnifiedDir(), "/sys/fs/cgroup");
  EXPECT_EQ(p.Parent().Parent().UnifiedDir(), "/sys/fs/cgroup");
}

TEST(CgroupPathsTest, PathsMayHoldColons) {
  const std::vector<ProcCgroupEntry> e =
      ParseProcCgroup("0::/system.slice/a:b.scope\n\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].path, "/system.slice/a:b.scope");
  EXPECT_TRUE(e[0].controllers.empty());
}

TEST(CgroupFsTest, ForPidReadsTheProcTreeV1) {
  FakeCgroupTree tree(FakeCgroupTree::Mode::kV1);
  tree.AddProcess(77, absl::StrCat("/docker/", kId));
  CgroupFs fs(tree.proc_root());
  absl::StatusOr<CgroupPaths> paths = fs.ForPid(77);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_EQ(paths->V1Dir("memory"),
            absl::StrCat(tree.Hierarchy("memory"), "/docker/", kId));
  EXPECT_EQ(paths->V1Dir("cpuacct"),
            absl::StrCat(tree.Hierarchy("cpu,cpuacct"), "/docker/", kId));
  EXPECT_EQ(paths->UnifiedDir(), absl::StrCat(tree.Unified(), "/docker/", kId));
  EXPECT_TRUE(absl::IsNotFound(fs.ForPid(78).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(fs.ForPid(0).status()));
}

TEST(CgroupFsTest, ForPidReadsTheProcTreeV2) {
  FakeCgroupTree tree(FakeCgroupTree::Mode::kV2);
  tree.AddProcess(5, "/kubepods/podx/abc");
  CgroupFs fs(tree.proc_root());
  absl::StatusOr<CgroupPaths> paths = fs.ForPid(5);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_TRUE(paths->v1.empty());
  EXPECT_EQ(paths->UnifiedDir(), tree.Unified() + "/kubepods/podx/abc");
}

}  // namespace
}  // namespace cri_dockerd::stats
