// Reading usage from cgroup v1 and v2 trees.
#include "cri/stats/cgroup_reader.h"

#include "absl/time/clock.h"
#include "cri/stats/testing/fake_cgroup_tree.h"
#include "gtest/gtest.h"

namespace cri_dockerd::stats {
namespace {

using testing_util::FakeCgroupTree;

class CgroupReaderTest : public testing::TestWithParam<FakeCgroupTree::Mode> {
 protected:
  CgroupReaderTest() : tree_(GetParam()), fs_(tree_.proc_root()) {}

  CgroupPaths Paths(int pid, const std::string& path) {
    tree_.AddProcess(pid, path);
    absl::StatusOr<CgroupPaths> p = fs_.ForPid(pid);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.value_or(CgroupPaths());
  }

  FakeCgroupTree tree_;
  CgroupFs fs_;
};

TEST_P(CgroupReaderTest, ReadsEveryFigure) {
  FakeCgroupTree::Usage u;
  u.cpu_nanos = 1'234'567'000;
  u.memory = 50'000'000;
  u.inactive_file = 8'000'000;
  u.rss = 30'000'000;
  u.pgfault = 1000;
  u.pgmajfault = 7;
  u.limit = 64 << 20;
  u.pids = 3;
  tree_.SetUsage("/docker/c1", u);
  const CgroupPaths paths = Paths(10, "/docker/c1");
  const absl::Time before = absl::Now();
  const CgroupSample s = ReadCgroupSample(paths);
  EXPECT_GE(s.timestamp, before);
  EXPECT_EQ(s.cpu_usage_nanos, 1'234'567'000u) << "v1 beats hybrid cpu.stat";
  ASSERT_TRUE(s.memory.has_value());
  EXPECT_EQ(s.memory->usage, 50'000'000u);
  EXPECT_EQ(s.memory->working_set, 42'000'000u);
  EXPECT_EQ(s.memory->rss, 30'000'000u);
  EXPECT_EQ(s.memory->page_faults, 1000u);
  EXPECT_EQ(s.memory->major_page_faults, 7u);
  EXPECT_EQ(s.memory->limit, uint64_t{64 << 20});
  EXPECT_EQ(s.memory->available(), uint64_t{64 << 20} - 42'000'000u);
  EXPECT_EQ(s.pids, 3u);
  EXPECT_FALSE(s.swap.has_value()) << "no swap files written";
}

TEST_P(CgroupReaderTest, UnlimitedMemoryHasNoAvailable) {
  FakeCgroupTree::Usage u;
  u.memory = 100;
  u.inactive_file = 500;  // can exceed usage transiently
  tree_.SetUsage("/docker/c2", u);
  const CgroupSample s = ReadCgroupSample(Paths(11, "/docker/c2"));
  ASSERT_TRUE(s.memory.has_value());
  EXPECT_EQ(s.memory->working_set, 0u) << "clamped, never negative";
  EXPECT_FALSE(s.memory->limit.has_value());
  EXPECT_FALSE(s.memory->available().has_value());
}

TEST_P(CgroupReaderTest, OverLimitIsZeroAvailable) {
  MemoryStats m;
  m.working_set = 200;
  m.limit = 100;
  EXPECT_EQ(m.available(), 0u);
}

TEST_P(CgroupReaderTest, GoneCgroupReadsNothing) {
  const CgroupSample s = ReadCgroupSample(Paths(12, "/docker/gone"));
  EXPECT_FALSE(s.cpu_usage_nanos.has_value());
  EXPECT_FALSE(s.memory.has_value());
  EXPECT_FALSE(s.pids.has_value());
}

INSTANTIATE_TEST_SUITE_P(V1AndV2, CgroupReaderTest,
                         testing::Values(FakeCgroupTree::Mode::kV1,
                                         FakeCgroupTree::Mode::kV2),
                         [](const auto& info) {
                           return info.param == FakeCgroupTree::Mode::kV1
                                      ? std::string("V1")
                                      : std::string("V2");
                         });

TEST(CgroupReaderSwapTest, V2SwapFiles) {
  FakeCgroupTree tree(FakeCgroupTree::Mode::kV2);
  tree.AddProcess(3, "/a");
  FakeCgroupTree::Put(tree.Unified() + "/a/memory.swap.current", "4096\n");
  FakeCgroupTree::Put(tree.Unified() + "/a/memory.swap.max", "10000\n");
  CgroupFs fs(tree.proc_root());
  const std::optional<SwapStats> swap = ReadSwapStats(fs.ForPid(3).value());
  ASSERT_TRUE(swap.has_value());
  EXPECT_EQ(swap->usage, 4096u);
  EXPECT_EQ(swap->available(), 10000u - 4096u);
  FakeCgroupTree::Put(tree.Unified() + "/a/memory.swap.max", "max\n");
  EXPECT_FALSE(ReadSwapStats(fs.ForPid(3).value())->available().has_value());
}

TEST(CgroupReaderSwapTest, V1MemswFiles) {
  FakeCgroupTree tree(FakeCgroupTree::Mode::kV1);
  tree.AddProcess(3, "/a");
  FakeCgroupTree::Usage u;
  u.memory = 1000;
  u.limit = 5000;
  tree.SetUsage("/a", u);
  const std::string mem = tree.Hierarchy("memory") + "/a";
  CgroupFs fs(tree.proc_root());
  EXPECT_FALSE(ReadSwapStats(fs.ForPid(3).value()).has_value())
      << "no swap accounting";
  FakeCgroupTree::Put(mem + "/memory.memsw.usage_in_bytes", "1500\n");
  FakeCgroupTree::Put(mem + "/memory.memsw.limit_in_bytes", "8000\n");
  const std::optional<SwapStats> swap = ReadSwapStats(fs.ForPid(3).value());
  ASSERT_TRUE(swap.has_value());
  EXPECT_EQ(swap->usage, 500u);
  EXPECT_EQ(swap->limit, 3000u);
}

TEST(CgroupReaderV2Test, CpuFromUsageUsec) {
  FakeCgroupTree tree(FakeCgroupTree::Mode::kV2);
  tree.AddProcess(3, "/a");
  FakeCgroupTree::Put(tree.Unified() + "/a/cpu.stat",
                      "usage_usec 2500001\nuser_usec 2000000\n");
  CgroupFs fs(tree.proc_root());
  EXPECT_EQ(CpuUsageNanos(fs.ForPid(3).value()), 2'500'001'000u);
}

TEST(SumSamplesTest, AddsCountersAndDropsLimits) {
  CgroupSample a, b;
  a.timestamp = absl::FromUnixSeconds(10);
  b.timestamp = absl::FromUnixSeconds(11);
  a.cpu_usage_nanos = 5;
  b.cpu_usage_nanos = 7;
  a.pids = 1;
  a.memory.emplace();
  a.memory->usage = 100;
  a.memory->working_set = 80;
  a.memory->rss = 10;
  a.memory->limit = 1000;
  b.memory.emplace();
  b.memory->usage = 50;
  b.memory->working_set = 40;
  b.memory->page_faults = 3;
  const CgroupSample sum = SumSamples({a, b});
  EXPECT_EQ(sum.timestamp, absl::FromUnixSeconds(11));
  EXPECT_EQ(sum.cpu_usage_nanos, 12u);
  EXPECT_EQ(sum.pids, 1u);
  ASSERT_TRUE(sum.memory.has_value());
  EXPECT_EQ(sum.memory->usage, 150u);
  EXPECT_EQ(sum.memory->working_set, 120u);
  EXPECT_EQ(sum.memory->rss, 10u);
  EXPECT_EQ(sum.memory->page_faults, 3u);
  EXPECT_FALSE(sum.memory->major_page_faults.has_value());
  EXPECT_FALSE(sum.memory->limit.has_value());
  EXPECT_FALSE(sum.swap.has_value());
  EXPECT_FALSE(SumSamples({}).cpu_usage_nanos.has_value());
}

}  // namespace
}  // namespace cri_dockerd::stats
