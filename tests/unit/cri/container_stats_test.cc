// ContainerStats / ListContainerStats against the fake docker client and
// a fake cgroup tree.
#include <algorithm>

#include "absl/time/clock.h"
#include "tests/poll_until.h"
#include "tests/unit/cri/stats_fixture.h"

namespace cri_dockerd {
namespace {

using testing_util::FakeCgroupTree;
using testing_util::PollUntil;
using testing_util::StatsTest;

class ContainerStatsTest
    : public StatsTest,
      public testing::WithParamInterface<FakeCgroupTree::Mode> {
 protected:
  ContainerStatsTest() : StatsTest(GetParam()) {}

  absl::StatusOr<v1::ContainerStats> Stats(const std::string& id) {
    v1::ContainerStatsRequest req;
    req.set_container_id(id);
    absl::StatusOr<v1::ContainerStatsResponse> resp =
        service_->ContainerStats(Ctx(), req);
    if (!resp.ok()) return resp.status();
    return resp->stats();
  }
  std::vector<std::string> ListIds(const v1::ContainerStatsFilter& f) {
    v1::ListContainerStatsRequest req;
    *req.mutable_filter() = f;
    absl::StatusOr<v1::ListContainerStatsResponse> resp =
        service_->ListContainerStats(Ctx(), req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    std::vector<std::string> ids;
    if (resp.ok()) {
      for (const auto& s : resp->stats()) ids.push_back(s.attributes().id());
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  int InspectCalls() {
    const std::vector<std::string> calls = docker_.Calls();
    return static_cast<int>(
        std::count(calls.begin(), calls.end(), "InspectContainer"));
  }
};

TEST_P(ContainerStatsTest, RunningContainerFromItsCgroup) {
  const std::string pod = RunPod("web", "/kubepods/podx");
  const std::string id = RunContainer(pod, "app");
  FakeCgroupTree::Usage u = Usage(3'000'000, 40'000'000, 4);
  u.limit = 100'000'000;
  tree_.SetUsage(CgroupOf("/kubepods/podx", id), u);
  const absl::Time before = absl::Now();
  absl::StatusOr<v1::ContainerStats> s = Stats(id);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->attributes().id(), id);
  EXPECT_EQ(s->attributes().metadata().name(), "app");
  EXPECT_EQ(s->attributes().metadata().attempt(), 2u);
  EXPECT_EQ(s->attributes().labels().at("tier"), "front");
  EXPECT_EQ(s->attributes().labels().count("io.kubernetes.sandbox.id"), 0u);
  EXPECT_EQ(s->attributes().annotations().at("owner"), "me");
  EXPECT_GE(s->cpu().timestamp(), absl::ToUnixNanos(before));
  EXPECT_EQ(s->cpu().usage_core_nano_seconds().value(), 3'000'000'000u);
  EXPECT_FALSE(s->cpu().has_usage_nano_cores()) << "first reading";
  EXPECT_GE(s->memory().timestamp(), absl::ToUnixNanos(before));
  EXPECT_EQ(s->memory().usage_bytes().value(), 40'000'000u);
  EXPECT_EQ(s->memory().working_set_bytes().value(), 36'000'000u);
  EXPECT_EQ(s->memory().available_bytes().value(), 64'000'000u);
  EXPECT_EQ(s->memory().rss_bytes().value(), 20'000'000u);
  EXPECT_EQ(s->memory().page_faults().value(), 100u);
  EXPECT_EQ(s->memory().major_page_faults().value(), 1u);
  EXPECT_FALSE(s->has_swap());

  absl::SleepFor(absl::Milliseconds(20));
  tree_.SetUsage(CgroupOf("/kubepods/podx", id), Usage(3'500'000, 40'000'000));
  s = Stats(id);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->cpu().usage_core_nano_seconds().value(), 3'500'000'000u);
  ASSERT_TRUE(s->cpu().has_usage_nano_cores());
  // 0.5 s of CPU over >= 20 ms.
  EXPECT_GT(s->cpu().usage_nano_cores().value(), 0u);
  EXPECT_LE(s->cpu().usage_nano_cores().value(), 25'000'000'000u);
  EXPECT_FALSE(s->memory().has_available_bytes()) << "unlimited";
}

TEST_P(ContainerStatsTest, WritableLayerComesFromTheBackgroundCache) {
  const std::string pod = RunPod("web", "");
  const std::string id = RunContainer(pod, "app");
  tree_.SetUsage(CgroupOf("", id), Usage(1, 2));
  docker::DiskUsage du;
  du.containers = {{id, 123456}};
  docker_.SetDiskUsage(du);
  absl::StatusOr<v1::ContainerStats> s;
  ASSERT_TRUE(PollUntil([&] {
    s = Stats(id);
    return !s.ok() || s->has_writable_layer();
  })) << "the background cache never reported the writable layer";
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->writable_layer().used_bytes().value(), 123456u);
  EXPECT_EQ(s->writable_layer().fs_id().mountpoint(), state_dir_.path());
  EXPECT_GT(s->writable_layer().timestamp(), 0);
  EXPECT_FALSE(s->writable_layer().has_inodes_used()) << "not counted";
}

TEST_P(ContainerStatsTest, NotRunningHasNoCpuOrMemory) {
  const std::string pod = RunPod("web", "");
  const std::string created = RunContainer(pod, "new", "front", false);
  const std::string exited = RunContainer(pod, "old");
  Stop(exited);
  for (const std::string& id : {created, exited}) {
    absl::StatusOr<v1::ContainerStats> s = Stats(id);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->attributes().id(), id);
    EXPECT_FALSE(s->has_cpu());
    EXPECT_FALSE(s->has_memory());
  }
}

TEST_P(ContainerStatsTest, RunningButCgroupGoneIsNotAnError) {
  const std::string pod = RunPod("web", "");
  const std::string id = RunContainer(pod, "app");  // no usage files
  absl::StatusOr<v1::ContainerStats> s = Stats(id);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->has_cpu());
  EXPECT_FALSE(s->has_memory());
}

TEST_P(ContainerStatsTest, UnknownAndBadIds) {
  EXPECT_EQ(Stats("0123456789ab").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Stats("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Stats("../etc").status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string pod = RunPod("web", "");
  EXPECT_EQ(Stats(pod).status().code(), absl::StatusCode::kNotFound)
      << "a sandbox is not a container";
}

TEST_P(ContainerStatsTest, ListFilters) {
  const std::string web = RunPod("web", "/kubepods/pod1");
  const std::string db = RunPod("db", "/kubepods/pod2");
  const std::string a = RunContainer(web, "a", "front");
  const std::string b = RunContainer(web, "b", "back", false);
  const std::string c = RunContainer(db, "c", "back");
  tree_.SetUsage(CgroupOf("/kubepods/pod1", a), Usage(10, 20));
  tree_.SetUsage(CgroupOf("/kubepods/pod2", c), Usage(30, 40));
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(ListIds({}), sorted({a, b, c})) << "every state; no sandboxes";
  v1::ContainerStatsFilter f;
  f.set_id(a.substr(0, 12));
  EXPECT_EQ(ListIds(f), std::vector<std::string>{a}) << "ID prefix";
  f.Clear();
  f.set_pod_sandbox_id(web);
  EXPECT_EQ(ListIds(f), sorted({a, b}));
  f.set_pod_sandbox_id(web.substr(0, 8));
  EXPECT_EQ(ListIds(f), sorted({a, b})) << "pod ID prefix";
  f.Clear();
  (*f.mutable_label_selector())["tier"] = "back";
  EXPECT_EQ(ListIds(f), sorted({b, c}));
  f.set_pod_sandbox_id(db);
  EXPECT_EQ(ListIds(f), std::vector<std::string>{c});
  f.Clear();
  f.set_pod_sandbox_id("fedcba987654");
  EXPECT_TRUE(ListIds(f).empty()) << "unknown pod: nothing, no error";

  v1::ListContainerStatsRequest req;
  (*req.mutable_filter()->mutable_label_selector())["tier"] = "front";
  absl::StatusOr<v1::ListContainerStatsResponse> resp =
      service_->ListContainerStats(Ctx(), req);
  ASSERT_TRUE(resp.ok());
  ASSERT_EQ(resp->stats_size(), 1);
  EXPECT_EQ(resp->stats(0).cpu().usage_core_nano_seconds().value(), 10'000u);
  EXPECT_EQ(resp->stats(0).memory().usage_bytes().value(), 20u);
  EXPECT_EQ(resp->stats(0).attributes().metadata().name(), "a");
  EXPECT_EQ(resp->stats(0).attributes().annotations().at("owner"), "me");
}

TEST_P(ContainerStatsTest, ListingDoesNotInspectKnownContainers) {
  const std::string pod = RunPod("web", "");
  const std::string a = RunContainer(pod, "a");
  const std::string b = RunContainer(pod, "b");
  tree_.SetUsage(CgroupOf("", a), Usage(1, 1));
  tree_.SetUsage(CgroupOf("", b), Usage(2, 2));
  ASSERT_EQ(ListIds({}).size(), 2u);
  docker_.ResetCalls();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(ListIds({}).size(), 2u);
  EXPECT_EQ(InspectCalls(), 0);

  // The process went away and its pid now belongs to something else:
  // docker is asked again.
  const int pid = PidOf(a);
  tree_.AddProcess(pid, "/system.slice/other.service");
  docker::ContainerState st =
      docker_.InspectContainer(a, absl::InfiniteFuture())->state;
  st.pid = 777;
  docker_.SetContainerState(a, st);
  tree_.AddProcess(777, CgroupOf("", a));
  docker_.ResetCalls();
  v1::ListContainerStatsRequest req;
  req.mutable_filter()->set_id(a);
  absl::StatusOr<v1::ListContainerStatsResponse> resp =
      service_->ListContainerStats(Ctx(), req);
  ASSERT_TRUE(resp.ok());
  ASSERT_EQ(resp->stats_size(), 1);
  EXPECT_EQ(resp->stats(0).cpu().usage_core_nano_seconds().value(), 1'000u);
  EXPECT_EQ(InspectCalls(), 1);
}

INSTANTIATE_TEST_SUITE_P(V1AndV2, ContainerStatsTest,
                         testing::Values(FakeCgroupTree::Mode::kV1,
                                         FakeCgroupTree::Mode::kV2),
                         [](const auto& info) {
                           return info.param == FakeCgroupTree::Mode::kV1
                                      ? std::string("V1")
                                      : std::string("V2");
                         });

}  // namespace
}  // namespace cri_dockerd
