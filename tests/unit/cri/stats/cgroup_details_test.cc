// Reading the metrics-only figures from cgroup v1 and v2 trees.
#include "cri/stats/cgroup_details.h"

#include <unistd.h>

#include "cri/stats/testing/fake_cgroup_tree.h"
#include "gtest/gtest.h"

namespace cri_dockerd::stats {
namespace {

using testing_util::FakeCgroupTree;

class CgroupDetailsTest : public testing::TestWithParam<FakeCgroupTree::Mode> {
 protected:
  CgroupDetailsTest() : tree_(GetParam()), fs_(tree_.proc_root()) {}

  bool v1() const { return GetParam() == FakeCgroupTree::Mode::kV1; }
  CgroupPaths Paths(int pid, const std::string& path) {
    tree_.AddProcess(pid, path);
    absl::StatusOr<CgroupPaths> p = fs_.ForPid(pid);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.value_or(CgroupPaths());
  }
  // Where a controller's files of cgroup `path` live.
  std::string Dir(const char* v1_hierarchy, const std::string& path) const {
    return (v1() ? tree_.Hierarchy(v1_hierarchy) : tree_.Unified()) + path;
  }

  FakeCgroupTree tree_;
  CgroupFs fs_;
};

TEST_P(CgroupDetailsTest, ReadsEveryFigure) {
  const std::string cg = "/kubepods/pod1/c1";
  const std::string cpu = Dir("cpu,cpuacct", cg);
  const std::string mem = Dir("memory", cg);
  const std::string pids = Dir("pids", cg);
  if (v1()) {
    const long hz = sysconf(_SC_CLK_TCK);
    FakeCgroupTree::Put(cpu + "/cpuacct.stat",
                        absl::StrCat("user ", 3 * hz, "\nsystem ", hz, "\n"));
    FakeCgroupTree::Put(cpu + "/cpu.stat",
                        "nr_periods 50\nnr_throttled 5\n"
                        "throttled_time 2500000000\n");
    FakeCgroupTree::Put(cpu + "/cpu.shares", "512\n");
    FakeCgroupTree::Put(cpu + "/cpu.cfs_period_us", "100000\n");
    FakeCgroupTree::Put(cpu + "/cpu.cfs_quota_us", "50000\n");
    FakeCgroupTree::Put(
        mem + "/memory.stat",
        "cache 1\nmapped_file 2\npgfault 30\npgmajfault 3\n"
        "total_cache 100\ntotal_mapped_file 20\ntotal_active_file 40\n"
        "total_inactive_file 60\ntotal_pgfault 300\ntotal_pgmajfault 33\n");
    FakeCgroupTree::Put(mem + "/memory.max_usage_in_bytes", "999\n");
    FakeCgroupTree::Put(mem + "/memory.failcnt", "4\n");
    FakeCgroupTree::Put(mem + "/memory.oom_control",
                        "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    FakeCgroupTree::Put(mem + "/memory.soft_limit_in_bytes",
                        "9223372036854771712\n");
  } else {
    FakeCgroupTree::Put(cpu + "/cpu.stat",
                        "usage_usec 4000000\nuser_usec 3000000\n"
                        "system_usec 1000000\nnr_periods 50\n"
                        "nr_throttled 5\nthrottled_usec 2500000\n");
    FakeCgroupTree::Put(cpu + "/cpu.weight", "20\n");
    FakeCgroupTree::Put(cpu + "/cpu.max", "50000 100000\n");
    FakeCgroupTree::Put(mem + "/memory.stat",
                        "anon 5\nfile 100\nfile_mapped 20\nactive_file 40\n"
                        "inactive_file 60\npgfault 300\npgmajfault 33\n");
    FakeCgroupTree::Put(mem + "/memory.peak", "999\n");
    FakeCgroupTree::Put(mem + "/memory.events",
                        "low 0\nhigh 0\nmax 7\noom 3\noom_kill 2\n");
    FakeCgroupTree::Put(mem + "/memory.low", "0\n");
  }
  FakeCgroupTree::Put(pids + "/pids.max", "1024\n");
  FakeCgroupTree::Put(pids + "/cgroup.procs", "10\n11\n");
  FakeCgroupTree::Put(pids + "/sub/cgroup.procs", "12\n");  // below it
  const CgroupDetails d = ReadCgroupDetails(Paths(10, cg));

  EXPECT_EQ(d.cpu_user_nanos, 3'000'000'000u);
  EXPECT_EQ(d.cpu_system_nanos, 1'000'000'000u);
  EXPECT_EQ(d.cfs_periods, 50u);
  EXPECT_EQ(d.cfs_throttled_periods, 5u);
  EXPECT_EQ(d.cfs_throttled_nanos, 2'500'000'000u);
  EXPECT_EQ(d.cpu_period_us, 100'000u);
  EXPECT_EQ(d.cpu_quota_us, 50'000u);
  // cpu.weight 20 is what runc makes of cpu.shares 512.
  EXPECT_EQ(d.cpu_shares, v1() ? 512u : CpuWeightToShares(20));
  EXPECT_EQ(d.cache, 100u);
  EXPECT_EQ(d.mapped_file, 20u);
  EXPECT_EQ(d.active_file, 40u);
  EXPECT_EQ(d.inactive_file, 60u);
  EXPECT_EQ(d.max_usage, 999u);
  if (v1()) {
    EXPECT_EQ(d.failcnt, 4u);
    EXPECT_EQ(d.pgfault, 30u) << "the cgroup's own";
    EXPECT_EQ(d.pgmajfault, 3u);
  } else {
    EXPECT_FALSE(d.failcnt.has_value()) << "cgroup v2 has no failcnt";
    EXPECT_EQ(d.pgfault, 300u) << "v2 memory.stat is hierarchical";
    EXPECT_EQ(d.pgmajfault, 33u);
  }
  EXPECT_EQ(d.hierarchy_pgfault, 300u);
  EXPECT_EQ(d.hierarchy_pgmajfault, 33u);
  EXPECT_EQ(d.oom_kills, 2u);
  EXPECT_FALSE(d.memory_reservation.has_value()) << "none set";
  EXPECT_EQ(d.threads_max, 1024u);
  EXPECT_EQ(d.processes, 3u) << "the cgroup and its descendants";
}

TEST_P(CgroupDetailsTest, UnlimitedAndMissing) {
  const std::string cg = "/docker/c2";
  const std::string cpu = Dir("cpu,cpuacct", cg);
  if (v1()) {
    FakeCgroupTree::Put(cpu + "/cpu.cfs_period_us", "100000\n");
    FakeCgroupTree::Put(cpu + "/cpu.cfs_quota_us", "-1\n");
    FakeCgroupTree::Put(Dir("memory", cg) + "/memory.soft_limit_in_bytes",
                        "268435456\n");
  } else {
    FakeCgroupTree::Put(cpu + "/cpu.max", "max 100000\n");
    FakeCgroupTree::Put(Dir("memory", cg) + "/memory.low", "268435456\n");
  }
  FakeCgroupTree::Put(Dir("pids", cg) + "/pids.max", "max\n");
  const CgroupDetails d = ReadCgroupDetails(Paths(20, cg));
  EXPECT_EQ(d.cpu_period_us, 100'000u);
  EXPECT_FALSE(d.cpu_quota_us.has_value());
  EXPECT_EQ(d.memory_reservation, 268'435'456u);
  EXPECT_EQ(d.threads_max, 0u) << "unlimited, as cAdvisor reports it";
  EXPECT_FALSE(d.cpu_user_nanos.has_value());
  EXPECT_FALSE(d.cache.has_value());
  EXPECT_FALSE(d.max_usage.has_value());
  EXPECT_FALSE(d.oom_kills.has_value());
  EXPECT_FALSE(d.processes.has_value()) << "no cgroup.procs";
}

TEST(CpuWeightToSharesTest, InvertsRuncsConversion) {
  // runc: weight = 1 + ((shares - 2) * 9999) / 262142.
  for (uint64_t shares : {2u, 1024u, 262144u}) {
    const uint64_t weight = 1 + ((shares - 2) * 9999) / 262142;
    const uint64_t back = CpuWeightToShares(weight);
    EXPECT_LE(back, shares);
    EXPECT_GT(back + 27, shares) << shares;  // one weight step
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, CgroupDetailsTest,
                         testing::Values(FakeCgroupTree::Mode::kV1,
                                         FakeCgroupTree::Mode::kV2));

}  // namespace
}  // namespace cri_dockerd::stats
