// Parsing a netns's /proc/<pid>/net/dev.
#include "cri/stats/netns_stats.h"

#include "cri/stats/testing/fake_cgroup_tree.h"
#include "gtest/gtest.h"

namespace cri_dockerd::stats {
namespace {

using testing_util::FakeCgroupTree;

constexpr char kNetDev[] =
    "Inter-|   Receive                                                |  "
    "Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes "
    "   packets errs drop fifo colls carrier compressed\n"
    "    lo:     100       2    0    0    0     0          0         0      "
    "100       2    0    0    0     0       0          0\n"
    "  eth0:    3272      50    1    0    0     0          0         0       "
    "42       1    2    0    0     0       0          0\n"
    "net1:12345678901234 9 0 4 0 0 0 0 5 6 7 8 0 0 0 0\n"
    "  bad: 1 2 3\n";

TEST(NetnsStatsTest, ParsesEveryInterface) {
  const std::vector<InterfaceStats> all = ParseNetDev(kNetDev);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].name, "lo");
  EXPECT_EQ(all[1].name, "eth0");
  EXPECT_EQ(all[1].rx_bytes, 3272u);
  EXPECT_EQ(all[1].rx_errors, 1u);
  EXPECT_EQ(all[1].tx_bytes, 42u);
  EXPECT_EQ(all[1].tx_errors, 2u);
  EXPECT_EQ(all[1].rx_packets, 50u);
  EXPECT_EQ(all[1].tx_packets, 1u);
  EXPECT_EQ(all[2].rx_packets, 9u);
  EXPECT_EQ(all[2].tx_packets, 6u);
  EXPECT_EQ(all[2].name, "net1") << "name glued to a wide number";
  EXPECT_EQ(all[2].rx_bytes, 12345678901234u);
  EXPECT_EQ(all[2].tx_bytes, 5u);
  EXPECT_EQ(all[2].tx_errors, 7u);
  EXPECT_EQ(all[2].rx_dropped, 4u);
  EXPECT_EQ(all[2].tx_dropped, 8u);
}

TEST(NetnsStatsTest, ReadsAProcessNetnsWithoutLoopback) {
  FakeCgroupTree tree(FakeCgroupTree::Mode::kV2);
  tree.SetNetDev(42, kNetDev);
  absl::StatusOr<std::vector<InterfaceStats>> got =
      ReadNetnsInterfaces(tree.proc_root(), 42);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].name, "eth0");
  EXPECT_EQ((*got)[1].name, "net1");
  EXPECT_TRUE(
      absl::IsNotFound(ReadNetnsInterfaces(tree.proc_root(), 43).status()));
  EXPECT_FALSE(ReadNetnsInterfaces(tree.proc_root(), 0).ok());
}

TEST(NetnsStatsTest, ReadsThisProcessForReal) {
  absl::StatusOr<std::vector<InterfaceStats>> got =
      ReadNetnsInterfaces("/proc", getpid());
  ASSERT_TRUE(got.ok()) << got.status();
  for (const InterfaceStats& s : *got) EXPECT_NE(s.name, "lo");
}

}  // namespace
}  // namespace cri_dockerd::stats
