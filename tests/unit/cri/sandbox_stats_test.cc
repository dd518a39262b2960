// PodSandboxStats / ListPodSandboxStats against the fake docker client
// and a fake cgroup tree.
#include <algorithm>

#include "tests/unit/cri/stats_fixture.h"

namespace cri_dockerd {
namespace {

using testing_util::FakeCgroupTree;
using testing_util::StatsTest;

constexpr char kNetDev[] =
    "Inter-|   Receive                            |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes "
    "   packets errs drop fifo colls carrier compressed\n"
    "    lo: 9 1 0 0 0 0 0 0 9 1 0 0 0 0 0 0\n"
    "  net9: 500 5 0 0 0 0 0 0 600 6 0 0 0 0 0 0\n"
    "  eth0: 1000 10 2 0 0 0 0 0 2000 20 3 0 0 0 0 0\n";

class SandboxStatsTest
    : public StatsTest,
      public testing::WithParamInterface<FakeCgroupTree::Mode> {
 protected:
  SandboxStatsTest() : StatsTest(GetParam()) {}

  absl::StatusOr<v1::PodSandboxStats> Stats(const std::string& id) {
    v1::PodSandboxStatsRequest req;
    req.set_pod_sandbox_id(id);
    absl::StatusOr<v1::PodSandboxStatsResponse> resp =
        service_->PodSandboxStats(Ctx(), req);
    if (!resp.ok()) return resp.status();
    return resp->stats();
  }
  std::vector<std::string> ListIds(const v1::PodSandboxStatsFilter& f) {
    v1::ListPodSandboxStatsRequest req;
    *req.mutable_filter() = f;
    absl::StatusOr<v1::ListPodSandboxStatsResponse> resp =
        service_->ListPodSandboxStats(Ctx(), req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    std::vector<std::string> ids;
    if (resp.ok()) {
      for (const auto& s : resp->stats()) ids.push_back(s.attributes().id());
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  static std::vector<std::string> ContainerIds(const v1::PodSandboxStats& s) {
    std::vector<std::string> ids;
    for (const auto& c : s.linux().containers()) {
      ids.push_back(c.attributes().id());
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }
};

TEST_P(SandboxStatsTest, PodCgroupFromTheCgroupParent) {
  const std::string pod = RunPod("web", "/kubepods/burstable/podx");
  const std::string a = RunContainer(pod, "a");
  const std::string b = RunContainer(pod, "b");
  tree_.SetUsage(CgroupOf("/kubepods/burstable/podx", a), Usage(100, 1000));
  tree_.SetUsage(CgroupOf("/kubepods/burstable/podx", b), Usage(200, 2000));
  // The pod's own cgroup: more than its containers (the infra process,
  // and kubelet's view of the pod as a whole).
  FakeCgroupTree::Usage pod_usage = Usage(5'000, 50'000, 7);
  pod_usage.limit = 80'000;
  tree_.SetUsage("/kubepods/burstable/podx", pod_usage);
  tree_.SetNetDev(PidOf(pod), kNetDev);

  absl::StatusOr<v1::PodSandboxStats> s = Stats(pod.substr(0, 12));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->attributes().id(), pod);
  EXPECT_EQ(s->attributes().metadata().name(), "web");
  EXPECT_EQ(s->attributes().metadata().namespace_(), "default");
  EXPECT_EQ(s->attributes().metadata().uid(), "uid-web");
  EXPECT_EQ(s->attributes().metadata().attempt(), 1u);
  EXPECT_EQ(s->attributes().labels().at("app"), "web");
  EXPECT_EQ(s->attributes().annotations().at("note"), "hello");
  const v1::LinuxPodSandboxStats& l = s->linux();
  EXPECT_EQ(l.cpu().usage_core_nano_seconds().value(), 5'000'000u);
  EXPECT_GT(l.cpu().timestamp(), 0);
  EXPECT_EQ(l.memory().usage_bytes().value(), 50'000u);
  EXPECT_EQ(l.memory().working_set_bytes().value(), 45'000u);
  EXPECT_EQ(l.memory().available_bytes().value(), 35'000u);
  EXPECT_EQ(l.process().process_count().value(), 7u);
  EXPECT_GT(l.process().timestamp(), 0);
  EXPECT_GT(l.network().timestamp(), 0);
  EXPECT_EQ(l.network().default_interface().name(), "eth0");
  EXPECT_EQ(l.network().default_interface().rx_bytes().value(), 1000u);
  EXPECT_EQ(l.network().default_interface().rx_errors().value(), 2u);
  EXPECT_EQ(l.network().default_interface().tx_bytes().value(), 2000u);
  EXPECT_EQ(l.network().default_interface().tx_errors().value(), 3u);
  ASSERT_EQ(l.network().interfaces_size(), 2) << "all but lo";
  EXPECT_EQ(l.network().interfaces(0).name(), "net9");
  EXPECT_EQ(l.network().interfaces(1).name(), "eth0");
  std::vector<std::string> both = {a, b};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(ContainerIds(*s), both);
  for (const auto& c : l.containers()) {
    EXPECT_EQ(c.cpu().usage_core_nano_seconds().value(),
              c.attributes().id() == a ? 100'000u : 200'000u);
  }
}

TEST_P(SandboxStatsTest, WithoutACgroupParentTheContainersAddUp) {
  // docker's default parent holds every container of the node.
  const std::string pod = RunPod("web", "");
  const std::string a = RunContainer(pod, "a");
  const std::string b = RunContainer(pod, "b");
  const std::string stopped = RunContainer(pod, "c");
  Stop(stopped);
  tree_.SetUsage(CgroupOf("", pod), Usage(1, 10, 1));
  tree_.SetUsage(CgroupOf("", a), Usage(100, 1000, 2));
  tree_.SetUsage(CgroupOf("", b), Usage(200, 2000, 3));
  tree_.SetUsage(CgroupOf("", stopped), Usage(9999, 9999, 9));  // stale
  tree_.SetUsage("/docker", Usage(1'000'000, 1'000'000, 100));
  absl::StatusOr<v1::PodSandboxStats> s = Stats(pod);
  ASSERT_TRUE(s.ok()) << s.status();
  const v1::LinuxPodSandboxStats& l = s->linux();
  EXPECT_EQ(l.cpu().usage_core_nano_seconds().value(), 301'000u);
  EXPECT_EQ(l.memory().usage_bytes().value(), 3010u);
  EXPECT_EQ(l.memory().working_set_bytes().value(), 9u + 900u + 1800u);
  EXPECT_FALSE(l.memory().has_available_bytes()) << "no one limit";
  EXPECT_EQ(l.process().process_count().value(), 6u);
  EXPECT_EQ(l.containers_size(), 3);
  EXPECT_FALSE(l.has_network()) << "no net/dev written";
}

TEST_P(SandboxStatsTest, StoppedSandbox) {
  const std::string pod = RunPod("web", "/kubepods/podx");
  const std::string a = RunContainer(pod, "a");
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod);
  ASSERT_TRUE(service_->StopPodSandbox(Ctx(), stop).ok());
  absl::StatusOr<v1::PodSandboxStats> s = Stats(pod);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->attributes().metadata().name(), "web");
  EXPECT_FALSE(s->linux().has_cpu());
  EXPECT_FALSE(s->linux().has_memory());
  EXPECT_FALSE(s->linux().has_network());
  ASSERT_EQ(s->linux().containers_size(), 1);
  EXPECT_FALSE(s->linux().containers(0).has_cpu());
  EXPECT_TRUE(ListIds({}).empty()) << "lists ready sandboxes only";
}

TEST_P(SandboxStatsTest, UnknownAndBadIds) {
  EXPECT_EQ(Stats("0123456789ab").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Stats("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(SandboxStatsTest, ListFiltersAndGroupsContainers) {
  const std::string web = RunPod("web", "/kubepods/pod1");
  const std::string db = RunPod("db", "/kubepods/pod2");
  const std::string a = RunContainer(web, "a");
  const std::string c = RunContainer(db, "c");
  tree_.SetUsage("/kubepods/pod1", Usage(11, 110));
  tree_.SetUsage("/kubepods/pod2", Usage(22, 220));
  tree_.SetUsage(CgroupOf("/kubepods/pod1", a), Usage(1, 10));
  tree_.SetUsage(CgroupOf("/kubepods/pod2", c), Usage(2, 20));
  std::vector<std::string> both = {web, db};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(ListIds({}), both);
  v1::PodSandboxStatsFilter f;
  f.set_id(db.substr(0, 10));
  EXPECT_EQ(ListIds(f), std::vector<std::string>{db});
  f.Clear();
  (*f.mutable_label_selector())["io.kubernetes.pod.name"] = "web";
  EXPECT_EQ(ListIds(f), std::vector<std::string>{web});
  (*f.mutable_label_selector())["app"] = "other";
  EXPECT_TRUE(ListIds(f).empty());

  v1::ListPodSandboxStatsRequest req;
  absl::StatusOr<v1::ListPodSandboxStatsResponse> resp =
      service_->ListPodSandboxStats(Ctx(), req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->stats_size(), 2);
  for (const v1::PodSandboxStats& s : resp->stats()) {
    const bool is_web = s.attributes().id() == web;
    EXPECT_EQ(s.attributes().metadata().name(), is_web ? "web" : "db");
    EXPECT_EQ(s.linux().cpu().usage_core_nano_seconds().value(),
              is_web ? 11'000u : 22'000u);
    ASSERT_EQ(s.linux().containers_size(), 1);
    EXPECT_EQ(s.linux().containers(0).attributes().id(), is_web ? a : c);
    EXPECT_EQ(s.linux().containers(0).memory().usage_bytes().value(),
              is_web ? 10u : 20u);
  }
}

TEST_P(SandboxStatsTest, PodCpuRateOnTheSecondReading) {
  const std::string pod = RunPod("web", "/kubepods/podx");
  tree_.SetUsage("/kubepods/podx", Usage(1'000, 1));
  ASSERT_FALSE(Stats(pod)->linux().cpu().has_usage_nano_cores());
  absl::SleepFor(absl::Milliseconds(10));
  tree_.SetUsage("/kubepods/podx", Usage(2'000, 1));
  absl::StatusOr<v1::PodSandboxStats> s = Stats(pod);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->linux().cpu().has_usage_nano_cores());
  EXPECT_GT(s->linux().cpu().usage_nano_cores().value(), 0u);
  EXPECT_LE(s->linux().cpu().usage_nano_cores().value(), 100'000'000u);
}

INSTANTIATE_TEST_SUITE_P(V1AndV2, SandboxStatsTest,
                         testing::Values(FakeCgroupTree::Mode::kV1,
                                         FakeCgroupTree::Mode::kV2),
                         [](const auto& info) {
                           return info.param == FakeCgroupTree::Mode::kV1
                                      ? std::string("V1")
                                      : std::string("V2");
                         });

}  // namespace
}  // namespace cri_dockerd
