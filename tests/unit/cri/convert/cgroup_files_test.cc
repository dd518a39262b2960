// Which settings the shim writes into cgroups itself, and their labels.
#include "cri/convert/cgroup_files.h"

#include "cri/convert/naming.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST(CgroupFilesTest, KeyNames) {
  for (const char* good :
       {"memory.oom.group", "memory.high", "pids.max", "hugetlb.2MB.max",
        "io.weight", "cgroup.max.depth", "misc.max", "rdma.max"}) {
    EXPECT_TRUE(ValidateUnifiedKey(good).ok()) << good;
  }
  for (const char* bad :
       {"", "memory", ".high", "memory.", "memory..high", "../memory.high",
        "memory.high/x", "/memory.high", "Memory.high", "memory.hi gh",
        "cgroup.procs", "cgroup.kill", "cgroup.subtree_control"}) {
    absl::Status s = ValidateUnifiedKey(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad;
    EXPECT_THAT(std::string(s.message()),
                ::testing::HasSubstr(absl::StrCat("unified[", bad, "]")));
  }
}

TEST(CgroupFilesTest, SettingsLeaveOutWhatDockerSets) {
  v1::LinuxContainerResources r;
  (*r.mutable_unified())["memory.oom.group"] = "1";
  (*r.mutable_unified())["memory.swap.max"] = "0";
  (*r.mutable_unified())["memory.max"] = "5";
  (*r.mutable_unified())["cpuset.cpus"] = "0";
  v1::HugepageLimit* h = r.add_hugepage_limits();
  h->set_page_size("2MB");
  h->set_limit(0);
  CgroupFileSettings s = ToCgroupFileSettings(r);
  EXPECT_THAT(s.unified, ElementsAre(Pair("memory.oom.group", "1")));
  EXPECT_THAT(s.hugetlb, ElementsAre(Pair("2MB", 0)));
  EXPECT_TRUE(ToCgroupFileSettings(v1::LinuxContainerResources()).empty());
}

TEST(CgroupFilesTest, LabelsRoundTripAndPodLabelsCannotChooseWrites) {
  std::map<std::string, std::string> labels = {
      {"app", "web"},
      {absl::StrCat(kUnifiedLabelPrefix, "pids.max"), "1"},  // a pod's own
      {absl::StrCat(kHugetlbLabelPrefix, "1GB"), "9"},
  };
  CgroupFileSettings in;
  in.unified["memory.oom.group"] = "1";
  in.unified["memory.high"] = "max";
  in.hugetlb["2MB"] = 4194304;
  SetCgroupFileLabels(in, &labels);
  CgroupFileSettings out = CgroupFileSettingsFromLabels(labels);
  EXPECT_EQ(out.unified, in.unified);
  EXPECT_EQ(out.hugetlb, in.hugetlb);
  // Kubelet never sees them as the container's labels.
  EXPECT_THAT(ExtractLabels(labels).first, ElementsAre(Pair("app", "web")));
  // Labels that are not ours to have written are left out.
  std::map<std::string, std::string> odd = {
      {absl::StrCat(kUnifiedLabelPrefix, "cgroup.procs"), "1"},
      {absl::StrCat(kUnifiedLabelPrefix, "memory.max"), "1"},
      {absl::StrCat(kHugetlbLabelPrefix, "2MB"), "-1"},
  };
  EXPECT_TRUE(CgroupFileSettingsFromLabels(odd).empty());
  EXPECT_THAT(ExtractLabels(odd).first, IsEmpty());
}

}  // namespace
}  // namespace cri_dockerd
