// cAdvisor-style pod metrics and the streaming stats verbs end to end:
// the real binary reading the cgroups of a busybox container that burns
// CPU and holds memory, checked against the cgroup files this test reads
// itself.
#include <unistd.h>

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/cgroup_files.h"
#include "tests/integration/cri_fixture.h"

namespace cri_dockerd::testing_support {
namespace {

constexpr uint64_t kMB = 1000 * 1000;
// How much CPU the hog burns before it settles down.
constexpr uint64_t kBurnSeconds = 2;

using Samples = std::map<std::string, const v1::Metric*>;  // by name

class PodMetricsTest : public CriTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartCri()); }
  void TearDown() override {
    CriTest::TearDown();
    // docker leaves the pod cgroups it made for the parent behind.
    RemoveCgroupParent(cgroup_);
  }

  // A host-network pod under its own cgroup parent, with one container
  // running `sh -c <sh>`.
  void RunPodWith(const std::string& sh) {
    v1::PodSandboxConfig config = PodConfig("metered");
    (*config.mutable_labels())["suite"] = "metrics";
    config.mutable_linux()->set_cgroup_parent(cgroup_);
    pod_ = RunPod(config);
    ASSERT_FALSE(pod_.empty());
    v1::ContainerConfig c = Busybox("hog", sh);
    MountGate(&c);
    container_ = StartContainer(pod_, c);
  }

  const std::string cgroup_ = absl::StrCat("/crid-metrics-", getpid());
  std::string pod_, container_;
};

TEST_F(PodMetricsTest, PodMetricsFromTheCgroupsAndStreamingStats) {
  RunPodWith(
      "while [ ! -e /gate/burnt ]; do :; done; "
      "x=$(head -c 20000000 /dev/zero | tr '\\000' a); echo held; "
      "sleep 60; echo ${#x}");
  ASSERT_FALSE(container_.empty());
  ASSERT_TRUE(WaitForCpu(absl::StrCat(cgroup_, "/", container_),
                         kBurnSeconds * 1'000'000'000))
      << "the hog never burnt " << kBurnSeconds << " s of CPU";
  OpenGate("burnt");
  ASSERT_TRUE(LogShows("hog", "held")) << "the hog never got going";

  v1::ListMetricDescriptorsResponse descriptors;
  ASSERT_TRUE(
      runtime_->ListMetricDescriptors(Ctx().get(), {}, &descriptors).ok());
  std::map<std::string, int> label_count;
  for (const auto& d : descriptors.descriptors()) {
    label_count[d.name()] = d.label_keys_size();
  }
  ASSERT_EQ(label_count.count("container_cpu_usage_seconds_total"), 1u);
  ASSERT_EQ(label_count.count("container_memory_working_set_bytes"), 1u);

  const uint64_t ws_before =
      ReadCgroupUsage(absl::StrCat(cgroup_, "/", container_)).working_set;
  v1::ListPodSandboxMetricsResponse listed;
  grpc::Status s = runtime_->ListPodSandboxMetrics(Ctx().get(), {}, &listed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const uint64_t ws_after =
      ReadCgroupUsage(absl::StrCat(cgroup_, "/", container_)).working_set;
  const v1::PodSandboxMetrics* pod = nullptr;
  for (const auto& p : listed.pod_metrics()) {
    if (p.pod_sandbox_id() == pod_) pod = &p;
  }
  ASSERT_NE(pod, nullptr) << "our pod is missing";
  ASSERT_EQ(pod->container_metrics_size(), 1);
  EXPECT_EQ(pod->container_metrics(0).container_id(), container_);
  Samples c;
  for (const v1::Metric& m : pod->container_metrics(0).metrics()) {
    ASSERT_EQ(label_count.count(m.name()), 1u) << m.name();
    EXPECT_EQ(m.label_values_size(), label_count[m.name()]) << m.name();
    c.emplace(m.name(), &m);
  }
  ASSERT_EQ(c.count("container_cpu_usage_seconds_total"), 1u);
  const v1::Metric& cpu = *c["container_cpu_usage_seconds_total"];
  EXPECT_GE(cpu.value().value(), kBurnSeconds) << "burnt that much";
  EXPECT_LE(cpu.value().value(), 10u);
  EXPECT_EQ(cpu.metric_type(), v1::COUNTER);
  EXPECT_EQ(cpu.label_values(0), "metered");
  EXPECT_EQ(cpu.label_values(1), "crid-it");
  EXPECT_EQ(cpu.label_values(2), "hog");
  EXPECT_EQ(cpu.label_values(3), container_);
  EXPECT_GT(cpu.timestamp(), absl::ToUnixNanos(absl::Now() - absl::Minutes(1)));
  ASSERT_EQ(c.count("container_memory_working_set_bytes"), 1u);
  const v1::Metric& ws = *c["container_memory_working_set_bytes"];
  EXPECT_EQ(ws.metric_type(), v1::GAUGE);
  EXPECT_GE(ws.value().value(), 15 * kMB);
  EXPECT_LE(ws.value().value(), 150 * kMB);
  EXPECT_GE(ws.value().value() + 2 * kMB, std::min(ws_before, ws_after));
  EXPECT_LE(ws.value().value(), std::max(ws_before, ws_after) + 2 * kMB);
  ASSERT_EQ(c.count("container_start_time_seconds"), 1u);
  EXPECT_LE(absl::ToUnixSeconds(absl::Now()) -
                c["container_start_time_seconds"]->value().value(),
            120);
  EXPECT_GE(c.count("container_processes"), 1u);

  // Pod level: the pod cgroup and the (node's) network.
  Samples p;
  bool network = false;
  for (const v1::Metric& m : pod->metrics()) {
    EXPECT_EQ(m.label_values(2), "") << "pod level: " << m.name();
    EXPECT_EQ(m.label_values(3), pod_);
    p.emplace(m.name(), &m);
    if (m.name() == "container_network_receive_bytes_total") network = true;
  }
  ASSERT_EQ(p.count("container_cpu_usage_seconds_total"), 1u);
  EXPECT_GE(p["container_cpu_usage_seconds_total"]->value().value(),
            cpu.value().value());
  EXPECT_GE(p["container_memory_working_set_bytes"]->value().value(), 15 * kMB);
  EXPECT_TRUE(network);

  // The stream carries the same pods and containers.
  std::map<std::string, int> streamed;  // pod -> containers
  {
    auto ctx = Ctx();
    auto reader = runtime_->StreamPodSandboxMetrics(ctx.get(), {});
    v1::StreamPodSandboxMetricsResponse batch;
    while (reader->Read(&batch)) {
      for (const auto& m : batch.pod_sandbox_metrics()) {
        streamed[m.pod_sandbox_id()] = m.container_metrics_size();
      }
    }
    ASSERT_TRUE(reader->Finish().ok());
  }
  EXPECT_EQ(streamed[pod_], 1);

  // Streaming stats: the same as the List variants.
  {
    v1::StreamContainerStatsRequest req;
    req.mutable_filter()->set_pod_sandbox_id(pod_);
    auto ctx = Ctx();
    auto reader = runtime_->StreamContainerStats(ctx.get(), req);
    v1::StreamContainerStatsResponse batch;
    std::vector<std::string> ids;
    while (reader->Read(&batch)) {
      for (const auto& st : batch.container_stats()) {
        ids.push_back(st.attributes().id());
        EXPECT_GE(st.cpu().usage_core_nano_seconds().value(), 1'000'000'000u);
      }
    }
    ASSERT_TRUE(reader->Finish().ok());
    EXPECT_EQ(ids, std::vector<std::string>{container_});
  }
  {
    v1::StreamPodSandboxStatsRequest req;
    (*req.mutable_filter()->mutable_label_selector())["suite"] = "metrics";
    auto ctx = Ctx();
    auto reader = runtime_->StreamPodSandboxStats(ctx.get(), req);
    v1::StreamPodSandboxStatsResponse batch;
    std::vector<std::string> ids;
    while (reader->Read(&batch)) {
      for (const auto& st : batch.pod_sandbox_stats()) {
        ids.push_back(st.attributes().id());
        EXPECT_EQ(st.linux().containers_size(), 1);
        EXPECT_GE(st.linux().memory().working_set_bytes().value(), 15 * kMB);
      }
    }
    ASSERT_TRUE(reader->Finish().ok());
    EXPECT_EQ(ids, std::vector<std::string>{pod_});
  }
}

}  // namespace
}  // namespace cri_dockerd::testing_support
