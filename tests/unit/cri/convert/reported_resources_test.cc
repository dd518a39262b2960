// ReportedResources: docker's HostConfig limits as ContainerStatus reports
// them.
#include "cri/convert/reported_resources.h"

#include "gtest/gtest.h"

namespace cri_dockerd {
namespace {

TEST(ReportedResourcesTest, CopiesWhatDockerHolds) {
  docker::ContainerInspect c;
  c.resources.cpu_period = 100000;
  c.resources.cpu_quota = 50000;
  c.resources.cpu_shares = 512;
  c.resources.cpuset_cpus = "0-1";
  c.resources.cpuset_mems = "0";
  c.resources.memory = 64 << 20;
  c.resources.memory_swap = 128 << 20;
  c.oom_score_adj = 500;
  const v1::ContainerResources r = ReportedResources(c);
  ASSERT_TRUE(r.has_linux());
  EXPECT_FALSE(r.has_windows());
  EXPECT_EQ(r.linux().cpu_period(), 100000);
  EXPECT_EQ(r.linux().cpu_quota(), 50000);
  EXPECT_EQ(r.linux().cpu_shares(), 512);
  EXPECT_EQ(r.linux().cpuset_cpus(), "0-1");
  EXPECT_EQ(r.linux().cpuset_mems(), "0");
  EXPECT_EQ(r.linux().memory_limit_in_bytes(), 64 << 20);
  EXPECT_EQ(r.linux().memory_swap_limit_in_bytes(), 128 << 20);
  EXPECT_EQ(r.linux().oom_score_adj(), 500);
  EXPECT_EQ(r.linux().hugepage_limits_size(), 0);
  EXPECT_TRUE(r.linux().unified().empty());
}

TEST(ReportedResourcesTest, NoLimitsStillReportsLinux) {
  // kubelet reads a missing `linux` as "the runtime reports nothing".
  const v1::ContainerResources r = ReportedResources({});
  ASSERT_TRUE(r.has_linux());
  EXPECT_EQ(r.linux().memory_limit_in_bytes(), 0);
  EXPECT_EQ(r.linux().cpu_quota(), 0);
}

TEST(ReportedResourcesTest, UnlimitedSwapIsZero) {
  docker::ContainerInspect c;
  c.resources.memory = 64 << 20;
  c.resources.memory_swap = -1;  // docker's "unlimited"
  EXPECT_EQ(ReportedResources(c).linux().memory_swap_limit_in_bytes(), 0);
}

}  // namespace
}  // namespace cri_dockerd
