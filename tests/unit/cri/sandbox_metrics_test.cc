// ListMetricDescriptors / ListPodSandboxMetrics / StreamPodSandboxMetrics
// and the Stream variants of the stats verbs, against the fake docker
// client and a fake cgroup tree.
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
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
    "  eth0: 1000 10 2 4 0 0 0 0 2000 20 3 5 0 0 0 0\n";

// A sample as "name{v1,v2,...}" -> value.
using Samples = std::map<std::string, uint64_t>;

Samples ToSamples(const google::protobuf::RepeatedPtrField<v1::Metric>& ms,
                  bool skip_last_seen = false) {
  Samples out;
  for (const v1::Metric& m : ms) {
    if (skip_last_seen && m.name() == "container_last_seen") continue;
    const std::string key =
        absl::StrCat(m.name(), "{", absl::StrJoin(m.label_values(), ","), "}");
    EXPECT_EQ(out.count(key), 0u) << "duplicate " << key;
    out[key] = m.value().value();
  }
  return out;
}

// The value of sample `key`; a failure listing what there is if absent.
uint64_t At(const Samples& samples, const std::string& key) {
  auto it = samples.find(key);
  if (it != samples.end()) return it->second;
  std::string have;
  for (const auto& [k, v] : samples) absl::StrAppend(&have, "\n  ", k);
  ADD_FAILURE() << "no " << key << " among:" << have;
  return 0;
}

class SandboxMetricsTest
    : public StatsTest,
      public testing::WithParamInterface<FakeCgroupTree::Mode> {
 protected:
  SandboxMetricsTest() : StatsTest(GetParam()) {}

  std::map<std::string, v1::MetricDescriptor> Descriptors() {
    absl::StatusOr<v1::ListMetricDescriptorsResponse> resp =
        service_->ListMetricDescriptors(Ctx(), {});
    EXPECT_TRUE(resp.ok()) << resp.status();
    std::map<std::string, v1::MetricDescriptor> out;
    if (resp.ok()) {
      for (const auto& d : resp->descriptors()) out[d.name()] = d;
    }
    return out;
  }
  v1::ListPodSandboxMetricsResponse Metrics() {
    absl::StatusOr<v1::ListPodSandboxMetricsResponse> resp =
        service_->ListPodSandboxMetrics(Ctx(), {});
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.value_or(v1::ListPodSandboxMetricsResponse());
  }
  // Every sample names a descriptor and has a value for each of its
  // label keys, stamped around now.
  void ExpectWellFormed(const v1::ListPodSandboxMetricsResponse& resp) {
    const auto descriptors = Descriptors();
    const int64_t now = absl::ToUnixNanos(absl::Now());
    auto check = [&](const v1::Metric& m) {
      auto it = descriptors.find(m.name());
      ASSERT_NE(it, descriptors.end()) << m.name();
      EXPECT_EQ(m.label_values_size(), it->second.label_keys_size())
          << m.name();
      EXPECT_TRUE(m.has_value()) << m.name();
      EXPECT_GT(m.timestamp(), now - int64_t{60'000'000'000}) << m.name();
      EXPECT_LE(m.timestamp(), now) << m.name();
    };
    for (const auto& pod : resp.pod_metrics()) {
      for (const auto& m : pod.metrics()) check(m);
      for (const auto& c : pod.container_metrics()) {
        for (const auto& m : c.metrics()) check(m);
      }
    }
  }
};

TEST_P(SandboxMetricsTest, DescriptorsAreWellFormed) {
  absl::StatusOr<v1::ListMetricDescriptorsResponse> resp =
      service_->ListMetricDescriptors(Ctx(), {});
  ASSERT_TRUE(resp.ok()) << resp.status();
  std::set<std::string> names;
  for (const auto& d : resp->descriptors()) {
    EXPECT_TRUE(names.insert(d.name()).second) << "duplicate " << d.name();
    EXPECT_TRUE(absl::StartsWith(d.name(), "container_")) << d.name();
    EXPECT_FALSE(d.help().empty()) << d.name();
    std::set<std::string> keys(d.label_keys().begin(), d.label_keys().end());
    EXPECT_EQ(keys.size(), static_cast<size_t>(d.label_keys_size()))
        << d.name();
    ASSERT_GE(d.label_keys_size(), 5) << d.name();
    EXPECT_EQ(d.label_keys(0), "pod");
    EXPECT_EQ(d.label_keys(1), "namespace");
    EXPECT_EQ(d.label_keys(2), "container");
    EXPECT_EQ(d.label_keys(3), "id");
    EXPECT_EQ(d.label_keys(4), "image");
  }
  for (const char* name : {"container_cpu_usage_seconds_total",
                           "container_cpu_user_seconds_total",
                           "container_cpu_system_seconds_total",
                           "container_memory_usage_bytes",
                           "container_memory_working_set_bytes",
                           "container_memory_rss",
                           "container_memory_cache",
                           "container_memory_swap",
                           "container_memory_failcnt",
                           "container_memory_failures_total",
                           "container_spec_memory_limit_bytes",
                           "container_spec_cpu_shares",
                           "container_spec_cpu_period",
                           "container_spec_cpu_quota",
                           "container_processes",
                           "container_threads",
                           "container_fs_usage_bytes",
                           "container_network_receive_bytes_total",
                           "container_network_transmit_bytes_total",
                           "container_network_receive_packets_total",
                           "container_network_transmit_packets_total",
                           "container_network_receive_errors_total",
                           "container_network_receive_packets_dropped_total",
                           "container_last_seen",
                           "container_start_time_seconds",
                           "container_oom_events_total"}) {
    EXPECT_EQ(names.count(name), 1u) << name;
  }
  const auto d = Descriptors();
  EXPECT_EQ(d.at("container_network_receive_bytes_total").label_keys(5),
            "interface");
  EXPECT_EQ(d.at("container_memory_failures_total").label_keys_size(), 7);
}

TEST_P(SandboxMetricsTest, PodAndContainersFromTheirCgroups) {
  const std::string parent = "/kubepods/burstable/podx";
  const std::string pod = RunPod("web", parent);
  const std::string a = RunContainer(pod, "a");
  const std::string stopped = RunContainer(pod, "b");
  Stop(stopped);
  FakeCgroupTree::Usage ua = Usage(3'500'000, 40'000'000, 4);
  ua.limit = 100'000'000;
  tree_.SetUsage(CgroupOf(parent, a), ua);
  tree_.SetUsage(parent, Usage(9'000'000, 60'000'000, 6));
  tree_.SetNetDev(PidOf(pod), kNetDev);
  const std::string pids_dir =
      GetParam() == FakeCgroupTree::Mode::kV1
          ? tree_.Hierarchy("pids") + CgroupOf(parent, a)
          : tree_.Unified() + CgroupOf(parent, a);
  FakeCgroupTree::Put(pids_dir + "/cgroup.procs", "100\n101\n");

  const v1::ListPodSandboxMetricsResponse resp = Metrics();
  ExpectWellFormed(resp);
  ASSERT_EQ(resp.pod_metrics_size(), 1);
  const v1::PodSandboxMetrics& pm = resp.pod_metrics(0);
  EXPECT_EQ(pm.pod_sandbox_id(), pod);
  ASSERT_EQ(pm.container_metrics_size(), 1) << "running containers only";
  EXPECT_EQ(pm.container_metrics(0).container_id(), a);

  // image: the container's image as ListContainers reports it.
  const std::string c =
      absl::StrCat("web,default,a,", a, ",", testing_util::kStatsImageId);
  const Samples cs = ToSamples(pm.container_metrics(0).metrics());
  EXPECT_EQ(At(cs, "container_cpu_usage_seconds_total{" + c + "}"), 3u)
      << "3.5 s, whole seconds";
  EXPECT_EQ(At(cs, "container_memory_usage_bytes{" + c + "}"), 40'000'000u);
  EXPECT_EQ(At(cs, "container_memory_working_set_bytes{" + c + "}"),
            36'000'000u);
  EXPECT_EQ(At(cs, "container_memory_rss{" + c + "}"), 20'000'000u);
  EXPECT_EQ(At(cs, "container_spec_memory_limit_bytes{" + c + "}"),
            100'000'000u);
  EXPECT_EQ(At(cs, "container_threads{" + c + "}"), 4u);
  EXPECT_EQ(At(cs, "container_processes{" + c + "}"), 2u);
  EXPECT_EQ(
      At(cs, "container_memory_failures_total{" + c + ",pgfault,hierarchy}"),
      100u);
  EXPECT_EQ(
      At(cs, "container_memory_failures_total{" + c + ",pgmajfault,hierarchy}"),
      1u);
  const uint64_t now = absl::ToUnixSeconds(absl::Now());
  EXPECT_LE(now - At(cs, "container_last_seen{" + c + "}"), 5u);
  EXPECT_LE(now - At(cs, "container_start_time_seconds{" + c + "}"), 60u);

  const std::string p = absl::StrCat("web,default,,", pod, ",");
  const Samples ps = ToSamples(pm.metrics());
  EXPECT_EQ(At(ps, "container_cpu_usage_seconds_total{" + p + "}"), 9u);
  EXPECT_EQ(At(ps, "container_memory_working_set_bytes{" + p + "}"),
            54'000'000u);
  EXPECT_EQ(At(ps, "container_threads{" + p + "}"), 6u);
  EXPECT_EQ(At(ps, "container_network_receive_bytes_total{" + p + ",eth0}"),
            1000u);
  EXPECT_EQ(At(ps, "container_network_receive_packets_total{" + p + ",eth0}"),
            10u);
  EXPECT_EQ(At(ps, "container_network_receive_errors_total{" + p + ",eth0}"),
            2u);
  EXPECT_EQ(
      At(ps, "container_network_receive_packets_dropped_total{" + p + ",eth0}"),
      4u);
  EXPECT_EQ(At(ps, "container_network_transmit_bytes_total{" + p + ",eth0}"),
            2000u);
  EXPECT_EQ(At(ps, "container_network_transmit_packets_total{" + p + ",eth0}"),
            20u);
  EXPECT_EQ(At(ps, "container_network_transmit_errors_total{" + p + ",eth0}"),
            3u);
  EXPECT_EQ(At(ps, "container_network_transmit_packets_dropped_total{" + p +
                       ",eth0}"),
            5u);
  EXPECT_EQ(ps.count("container_network_receive_bytes_total{" + p + ",lo}"),
            0u);
}

TEST_P(SandboxMetricsTest, WithoutAPodCgroupTheContainersAddUp) {
  const std::string pod = RunPod("web", "");
  const std::string a = RunContainer(pod, "a");
  const std::string b = RunContainer(pod, "b");
  tree_.SetUsage(CgroupOf("", pod), Usage(1'000'000, 1000, 1));
  tree_.SetUsage(CgroupOf("", a), Usage(2'000'000, 2000, 2));
  tree_.SetUsage(CgroupOf("", b), Usage(3'000'000, 3000, 3));
  tree_.SetUsage("/docker", Usage(900'000'000, 900'000, 90));  // the node's
  const v1::ListPodSandboxMetricsResponse resp = Metrics();
  ExpectWellFormed(resp);
  ASSERT_EQ(resp.pod_metrics_size(), 1);
  EXPECT_EQ(resp.pod_metrics(0).container_metrics_size(), 2);
  const std::string p = absl::StrCat("web,default,,", pod, ",");
  const Samples ps = ToSamples(resp.pod_metrics(0).metrics());
  EXPECT_EQ(At(ps, "container_cpu_usage_seconds_total{" + p + "}"), 6u);
  EXPECT_EQ(At(ps, "container_memory_usage_bytes{" + p + "}"), 6000u);
  EXPECT_EQ(At(ps, "container_threads{" + p + "}"), 6u);
  EXPECT_EQ(ps.count("container_spec_memory_limit_bytes{" + p + "}"), 0u)
      << "limits do not add up";
}

TEST_P(SandboxMetricsTest, NotReadyPodsAreLeftOut) {
  const std::string pod = RunPod("web", "");
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod);
  ASSERT_TRUE(service_->StopPodSandbox(Ctx(), stop).ok());
  EXPECT_EQ(Metrics().pod_metrics_size(), 0);
}

TEST_P(SandboxMetricsTest, StreamEqualsList) {
  const std::string parent = "/kubepods/podx";
  const std::string pod = RunPod("web", parent);
  const std::string a = RunContainer(pod, "a");
  tree_.SetUsage(CgroupOf(parent, a), Usage(2'000'000, 5000));
  tree_.SetUsage(parent, Usage(3'000'000, 6000));
  tree_.SetNetDev(PidOf(pod), kNetDev);
  const v1::ListPodSandboxMetricsResponse list = Metrics();
  std::vector<v1::StreamPodSandboxMetricsResponse> batches;
  ASSERT_TRUE(service_
                  ->StreamPodSandboxMetrics(
                      Ctx(), {},
                      [&](const v1::StreamPodSandboxMetricsResponse& b) {
                        batches.push_back(b);
                        return true;
                      })
                  .ok());
  ASSERT_EQ(batches.size(), 1u);
  ASSERT_EQ(batches[0].pod_sandbox_metrics_size(), list.pod_metrics_size());
  const v1::PodSandboxMetrics& s = batches[0].pod_sandbox_metrics(0);
  const v1::PodSandboxMetrics& l = list.pod_metrics(0);
  EXPECT_EQ(s.pod_sandbox_id(), l.pod_sandbox_id());
  EXPECT_EQ(ToSamples(s.metrics()), ToSamples(l.metrics()));
  ASSERT_EQ(s.container_metrics_size(), l.container_metrics_size());
  EXPECT_EQ(ToSamples(s.container_metrics(0).metrics(), true),
            ToSamples(l.container_metrics(0).metrics(), true));
}

TEST_P(SandboxMetricsTest, StatsStreamsEqualTheirLists) {
  const std::string pod = RunPod("web", "/kubepods/podx");
  const std::string a = RunContainer(pod, "a", "front");
  const std::string b = RunContainer(pod, "b", "back");
  tree_.SetUsage(CgroupOf("/kubepods/podx", a), Usage(100, 1000));
  tree_.SetUsage(CgroupOf("/kubepods/podx", b), Usage(200, 2000));
  tree_.SetUsage("/kubepods/podx", Usage(500, 5000));

  v1::ListContainerStatsRequest list;
  (*list.mutable_filter()->mutable_label_selector())["tier"] = "back";
  absl::StatusOr<v1::ListContainerStatsResponse> listed =
      service_->ListContainerStats(Ctx(), list);
  ASSERT_TRUE(listed.ok()) << listed.status();
  v1::StreamContainerStatsRequest stream;
  *stream.mutable_filter() = list.filter();
  std::vector<v1::ContainerStats> streamed;
  ASSERT_TRUE(service_
                  ->StreamContainerStats(
                      Ctx(), stream,
                      [&](const v1::StreamContainerStatsResponse& r) {
                        streamed.insert(streamed.end(),
                                        r.container_stats().begin(),
                                        r.container_stats().end());
                        return true;
                      })
                  .ok());
  ASSERT_EQ(listed->stats_size(), 1);
  ASSERT_EQ(streamed.size(), 1u);
  EXPECT_EQ(streamed[0].attributes().DebugString(),
            listed->stats(0).attributes().DebugString());
  EXPECT_EQ(streamed[0].cpu().usage_core_nano_seconds().value(), 200'000u);
  EXPECT_EQ(streamed[0].memory().usage_bytes().value(),
            listed->stats(0).memory().usage_bytes().value());

  v1::ListPodSandboxStatsRequest plist;
  (*plist.mutable_filter()->mutable_label_selector())["app"] = "web";
  absl::StatusOr<v1::ListPodSandboxStatsResponse> plisted =
      service_->ListPodSandboxStats(Ctx(), plist);
  ASSERT_TRUE(plisted.ok()) << plisted.status();
  v1::StreamPodSandboxStatsRequest pstream;
  *pstream.mutable_filter() = plist.filter();
  std::vector<v1::PodSandboxStats> pstreamed;
  ASSERT_TRUE(service_
                  ->StreamPodSandboxStats(
                      Ctx(), pstream,
                      [&](const v1::StreamPodSandboxStatsResponse& r) {
                        pstreamed.insert(pstreamed.end(),
                                         r.pod_sandbox_stats().begin(),
                                         r.pod_sandbox_stats().end());
                        return true;
                      })
                  .ok());
  ASSERT_EQ(plisted->stats_size(), 1);
  ASSERT_EQ(pstreamed.size(), 1u);
  EXPECT_EQ(pstreamed[0].attributes().DebugString(),
            plisted->stats(0).attributes().DebugString());
  EXPECT_EQ(pstreamed[0].linux().cpu().usage_core_nano_seconds().value(),
            500'000u);
  EXPECT_EQ(pstreamed[0].linux().containers_size(),
            plisted->stats(0).linux().containers_size());

  // Nothing matches: one empty message.
  (*pstream.mutable_filter()->mutable_label_selector())["app"] = "none";
  int messages = 0;
  ASSERT_TRUE(service_
                  ->StreamPodSandboxStats(
                      Ctx(), pstream,
                      [&](const v1::StreamPodSandboxStatsResponse& r) {
                        EXPECT_EQ(r.pod_sandbox_stats_size(), 0);
                        ++messages;
                        return true;
                      })
                  .ok());
  EXPECT_EQ(messages, 1);
}

INSTANTIATE_TEST_SUITE_P(Modes, SandboxMetricsTest,
                         testing::Values(FakeCgroupTree::Mode::kV1,
                                         FakeCgroupTree::Mode::kV2));

}  // namespace
}  // namespace cri_dockerd
