// Container and pod stats end to end: the real binary reading the real
// cgroups of busybox containers that hold memory or burn CPU, checked
// against the cgroup files this test reads itself.
#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/cgroup_files.h"
#include "tests/integration/cri_fixture.h"

namespace cri_dockerd::testing_support {
namespace {

constexpr uint64_t kMB = 1000 * 1000;
// How much CPU the burner uses before it idles.
constexpr uint64_t kBurnNanos = 1'000'000'000;

uint64_t Diff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

class StatsTest : public CriTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartCri()); }
  void TearDown() override {
    CriTest::TearDown();
    // docker leaves the pod cgroups it made for the parents behind.
    if (!pod_cgroup_.empty()) RemoveCgroupParent(pod_cgroup_);
  }

  // Runs a host-network pod, under cgroup parent `parent` if not empty
  // (as kubelet does with its pod cgroups).
  std::string RunPod(const std::string& name, const std::string& parent) {
    v1::PodSandboxConfig config = PodConfig(name);
    (*config.mutable_labels())["suite"] = "stats";
    (*config.mutable_labels())["pod"] = name;
    config.mutable_linux()->set_cgroup_parent(parent);
    return CriTest::RunPod(config);
  }
  // Creates and starts container `name` running `sh -c <sh>`, with the
  // gate mounted.
  std::string Start(const std::string& pod, const std::string& name,
                    const std::string& sh) {
    v1::ContainerConfig c = Busybox(name, sh);
    (*c.mutable_labels())["role"] = name;
    MountGate(&c);
    return StartContainer(pod, c);
  }
  v1::ContainerStats Stats(const std::string& id) {
    v1::ContainerStatsRequest req;
    req.set_container_id(id);
    v1::ContainerStatsResponse resp;
    grpc::Status s = runtime_->ContainerStats(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.stats();
  }
  std::vector<v1::ContainerStats> List(const v1::ContainerStatsFilter& f) {
    v1::ListContainerStatsRequest req;
    *req.mutable_filter() = f;
    v1::ListContainerStatsResponse resp;
    grpc::Status s = runtime_->ListContainerStats(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.stats().begin(), resp.stats().end()};
  }
  v1::PodSandboxStats PodStats(const std::string& id) {
    v1::PodSandboxStatsRequest req;
    req.set_pod_sandbox_id(id);
    v1::PodSandboxStatsResponse resp;
    grpc::Status s = runtime_->PodSandboxStats(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.stats();
  }

  std::string pod_cgroup_;  // e.g. "/crid-stats-123", removed at the end
};

TEST_F(StatsTest, ContainersAndPodFromTheirCgroups) {
  pod_cgroup_ = absl::StrCat("/crid-stats-", getpid());
  const std::string pod = RunPod("busy", pod_cgroup_);
  ASSERT_FALSE(pod.empty());
  // /blob is written before any stats call starts the writable-layer
  // refresher. The shell must outlive `sleep` (not exec it as its last
  // command), or the 20 MB in $x go with it.
  const std::string mem =
      Start(pod, "mem",
            "head -c 3000000 /dev/zero > /blob; echo ready; "
            "x=$(head -c 20000000 /dev/zero | tr '\\000' a); echo held; "
            "sleep 30; echo ${#x}");
  ASSERT_TRUE(LogShows("mem", "held")) << "memory hog never got going";
  const std::string burner =
      Start(pod, "burner",
            "while [ ! -e /gate/burnt ]; do :; done; echo burnt; sleep 30");
  const std::string mem_cg = absl::StrCat(pod_cgroup_, "/", mem);
  const std::string burner_cg = absl::StrCat(pod_cgroup_, "/", burner);
  ASSERT_TRUE(WaitForCpu(burner_cg, kBurnNanos))
      << "the burner never used " << kBurnNanos << " ns of CPU";
  OpenGate("burnt");
  ASSERT_TRUE(LogShows("burner", "burnt"));

  // Memory: the working set as the cgroup files give it.
  const CgroupUsage mem_before = ReadCgroupUsage(mem_cg);
  v1::ContainerStats m = Stats(mem);
  const CgroupUsage mem_after = ReadCgroupUsage(mem_cg);
  EXPECT_EQ(m.attributes().id(), mem);
  EXPECT_EQ(m.attributes().metadata().name(), "mem");
  EXPECT_EQ(m.attributes().labels().at("role"), "mem");
  ASSERT_TRUE(m.has_memory());
  const uint64_t ws = m.memory().working_set_bytes().value();
  EXPECT_GE(ws, 15 * kMB);
  EXPECT_LE(ws, 100 * kMB);
  EXPECT_LE(Diff(ws, mem_before.working_set), 2 * kMB)
      << "cgroup files say " << mem_before.working_set;
  EXPECT_LE(Diff(ws, mem_after.working_set), 2 * kMB);
  EXPECT_GE(m.memory().usage_bytes().value(), ws);
  EXPECT_GT(m.memory().rss_bytes().value(), 15 * kMB) << "anonymous memory";
  EXPECT_GT(m.memory().page_faults().value(), 0u);
  EXPECT_FALSE(m.memory().has_available_bytes()) << "no limit set";
  EXPECT_GT(m.memory().timestamp(), 0);

  // CPU: at least what was burnt, between two readings of the file.
  const CgroupUsage burn_before = ReadCgroupUsage(burner_cg);
  v1::ContainerStats b = Stats(burner);
  const CgroupUsage burn_after = ReadCgroupUsage(burner_cg);
  ASSERT_TRUE(b.has_cpu());
  const uint64_t cpu = b.cpu().usage_core_nano_seconds().value();
  EXPECT_GE(cpu, kBurnNanos);
  EXPECT_GE(cpu, burn_before.cpu_nanos);
  EXPECT_LE(cpu, burn_after.cpu_nanos);
  EXPECT_FALSE(b.cpu().has_usage_nano_cores()) << "first reading";
  absl::SleepFor(absl::Milliseconds(1200));
  b = Stats(burner);
  ASSERT_TRUE(b.cpu().has_usage_nano_cores()) << "second reading";
  EXPECT_LT(b.cpu().usage_nano_cores().value(), 200'000'000u) << "idle now";

  // Filters.
  v1::ContainerStatsFilter f;
  f.set_pod_sandbox_id(pod);
  EXPECT_EQ(List(f).size(), 2u);
  f.Clear();
  (*f.mutable_label_selector())["role"] = "burner";
  std::vector<v1::ContainerStats> only = List(f);
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0].attributes().id(), burner);
  EXPECT_GE(only[0].cpu().usage_core_nano_seconds().value(), cpu);

  // The pod: its own cgroup, its containers, the node's network (host
  // network).
  const CgroupUsage pod_before = ReadCgroupUsage(pod_cgroup_);
  v1::PodSandboxStats p = PodStats(pod);
  const CgroupUsage pod_after = ReadCgroupUsage(pod_cgroup_);
  EXPECT_EQ(p.attributes().id(), pod);
  EXPECT_EQ(p.attributes().metadata().name(), "busy");
  EXPECT_EQ(p.attributes().labels().at("pod"), "busy");
  const v1::LinuxPodSandboxStats& l = p.linux();
  EXPECT_EQ(l.containers_size(), 2);
  const uint64_t pod_cpu = l.cpu().usage_core_nano_seconds().value();
  EXPECT_GE(pod_cpu, cpu);
  EXPECT_GE(pod_cpu, pod_before.cpu_nanos);
  EXPECT_LE(pod_cpu, pod_after.cpu_nanos);
  const uint64_t pod_ws = l.memory().working_set_bytes().value();
  EXPECT_GE(pod_ws, 15 * kMB);
  EXPECT_LE(Diff(pod_ws, pod_before.working_set), 2 * kMB);
  EXPECT_GE(l.process().process_count().value(), 3u)
      << "pause, two shells, sleeps";
  EXPECT_GT(l.network().timestamp(), 0);
  EXPECT_GE(l.network().interfaces_size(), 1);
  EXPECT_FALSE(l.network().default_interface().name().empty());
  for (const auto& i : l.network().interfaces()) EXPECT_NE(i.name(), "lo");

  v1::ListPodSandboxStatsRequest list;
  (*list.mutable_filter()->mutable_label_selector())["pod"] = "busy";
  v1::ListPodSandboxStatsResponse listed;
  ASSERT_TRUE(runtime_->ListPodSandboxStats(Ctx().get(), list, &listed).ok());
  ASSERT_EQ(listed.stats_size(), 1);
  EXPECT_EQ(listed.stats(0).attributes().id(), pod);
  EXPECT_EQ(listed.stats(0).linux().containers_size(), 2);

  // The writable layer, from docker's disk usage in the background (a
  // docker busy with many containers answers slowly; a failed round is
  // retried 30 s later).
  const absl::Time give_up = absl::Now() + absl::Seconds(90);
  while (!m.has_writable_layer() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(100));
    m = Stats(mem);
  }
  ASSERT_TRUE(m.has_writable_layer()) << "no writable-layer figure came";
  EXPECT_GE(m.writable_layer().used_bytes().value(), 3'000'000u);
  EXPECT_FALSE(m.writable_layer().fs_id().mountpoint().empty());
}

TEST_F(StatsTest, PodWithoutCgroupParentAddsUpItsContainers) {
  const std::string pod = RunPod("plain", "");
  ASSERT_FALSE(pod.empty());
  const std::string c = Start(pod, "sleeper", "echo up; sleep 30");
  ASSERT_TRUE(LogShows("sleeper", "up")) << "the sleeper never got going";
  v1::PodSandboxStats p = PodStats(pod);
  const v1::LinuxPodSandboxStats& l = p.linux();
  ASSERT_EQ(l.containers_size(), 1);
  const v1::ContainerStats& cs = l.containers(0);
  EXPECT_EQ(cs.attributes().id(), c);
  ASSERT_TRUE(l.has_memory());
  EXPECT_GE(l.memory().usage_bytes().value(),
            cs.memory().usage_bytes().value());
  EXPECT_GE(l.cpu().usage_core_nano_seconds().value(),
            cs.cpu().usage_core_nano_seconds().value());
  EXPECT_GE(l.process().process_count().value(), 2u) << "pause + sleep";
  // Stopped: stats without cpu or memory, not an error.
  v1::StopContainerRequest stop;
  stop.set_container_id(c);
  stop.set_timeout(1);
  v1::StopContainerResponse sr;
  ASSERT_TRUE(
      runtime_->StopContainer(Ctx(absl::Seconds(30)).get(), stop, &sr).ok());
  v1::ContainerStats stopped = Stats(c);
  EXPECT_EQ(stopped.attributes().id(), c);
  EXPECT_FALSE(stopped.has_cpu());
  EXPECT_FALSE(stopped.has_memory());
  v1::ContainerStatsRequest req;
  req.set_container_id("0123456789abcdef");
  v1::ContainerStatsResponse resp;
  EXPECT_EQ(runtime_->ContainerStats(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace cri_dockerd::testing_support
