// cAdvisor-style pod metrics and the streaming stats verbs end to end:
// the real binary reading the cgroups of a busybox container that burns
// CPU and holds memory, checked against the cgroup files this test reads
// itself.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_daemon.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/private_dockerd.h"

namespace cri_dockerd::testing_support {
namespace {

namespace v1 = ::runtime::v1;

constexpr char kDockerSocket[] = "/var/run/docker.sock";
constexpr char kBusybox[] = "localhost:5000/busybox:1.36";
constexpr char kCgroupRoot[] = "/sys/fs/cgroup";
constexpr uint64_t kMB = 1000 * 1000;
// How much CPU the hog burns before it settles down.
constexpr uint64_t kBurnSeconds = 2;
// Generous for a loaded machine.
constexpr absl::Duration kPatience = absl::Seconds(60);

// The working set of cgroup `path` (cgroupfs layout), as kubelet
// defines it: usage minus inactive file pages.
uint64_t WorkingSet(const std::string& path) {
  const bool v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
  const std::string dir =
      v2 ? kCgroupRoot + path : absl::StrCat(kCgroupRoot, "/memory", path);
  uint64_t usage = 0;
  EXPECT_TRUE(absl::SimpleAtoi(
      absl::StripAsciiWhitespace(
          ReadFile(dir + (v2 ? "/memory.current" : "/memory.usage_in_bytes"))),
      &usage));
  const std::string key = v2 ? "inactive_file" : "total_inactive_file";
  uint64_t inactive = 0;
  for (absl::string_view line :
       absl::StrSplit(ReadFile(dir + "/memory.stat"), '\n')) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (f.size() == 2 && f[0] == key) {
      EXPECT_TRUE(absl::SimpleAtoi(f[1], &inactive));
    }
  }
  return usage > inactive ? usage - inactive : 0;
}

// The CPU time cgroup `path` (cgroupfs layout) has used, in ns.
uint64_t CpuNanos(const std::string& path) {
  const bool v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
  uint64_t v = 0;
  if (!v2) {
    absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(absl::StrCat(
                         kCgroupRoot, "/cpuacct", path, "/cpuacct.usage"))),
                     &v);
    return v;
  }
  for (absl::string_view line :
       absl::StrSplit(ReadFile(kCgroupRoot + path + "/cpu.stat"), '\n')) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (f.size() == 2 && f[0] == "usage_usec" && absl::SimpleAtoi(f[1], &v)) {
      return v * 1000;
    }
  }
  return 0;
}

using Samples = std::map<std::string, const v1::Metric*>;  // by name

class PodMetricsTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PingDocker(kDockerSocket)) << "needs the lab's dockerd";
    log_dir_ = dir_.path() + "/pods";
    ASSERT_EQ(mkdir(gate_.c_str(), 0755), 0);
    absl::StatusOr<CriDaemon> daemon = StartCriDaemon(dir_.path());
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    cri_ = *std::move(daemon);
    runtime_ = cri_.runtime.get();
    ASSERT_TRUE(PullImage(cri_.images.get(), kBusybox).ok());
  }
  void TearDown() override {
    if (!pod_.empty()) StopAndRemovePod(runtime_, pod_);
    // docker leaves the pod cgroups it made for the parent behind.
    rmdir((kCgroupRoot + cgroup_).c_str());
    if (DIR* d = opendir(kCgroupRoot)) {
      while (dirent* e = readdir(d)) {
        rmdir(absl::StrCat(kCgroupRoot, "/", e->d_name, cgroup_).c_str());
      }
      closedir(d);
    }
  }

  // A host-network pod under its own cgroup parent, with one container
  // running `sh -c <sh>`.
  void RunPodWith(const std::string& sh) {
    config_.mutable_metadata()->set_name("metered");
    config_.mutable_metadata()->set_namespace_("crid-it");
    config_.mutable_metadata()->set_uid(absl::StrCat("u", getpid(), "m"));
    config_.set_log_directory(log_dir_);
    (*config_.mutable_labels())["suite"] = "metrics";
    config_.mutable_linux()->set_cgroup_parent(cgroup_);
    config_.mutable_linux()
        ->mutable_security_context()
        ->mutable_namespace_options()
        ->set_network(v1::NODE);
    v1::RunPodSandboxRequest run;
    *run.mutable_config() = config_;
    v1::RunPodSandboxResponse ran;
    grpc::Status s =
        runtime_->RunPodSandbox(Ctx(absl::Minutes(2)).get(), run, &ran);
    ASSERT_TRUE(s.ok()) << s.error_message() << cri_.process->Output();
    pod_ = ran.pod_sandbox_id();

    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(pod_);
    v1::ContainerConfig* c = create.mutable_config();
    c->mutable_metadata()->set_name("hog");
    c->mutable_image()->set_image(kBusybox);
    c->add_command("sh");
    c->add_args("-c");
    c->add_args(sh);
    c->set_log_path("hog.log");
    auto* gate = c->add_mounts();
    gate->set_host_path(gate_);
    gate->set_container_path("/gate");
    gate->set_readonly(true);
    *create.mutable_sandbox_config() = config_;
    v1::CreateContainerResponse created;
    s = runtime_->CreateContainer(Ctx(absl::Minutes(1)).get(), create,
                                  &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
    container_ = created.container_id();
    v1::StartContainerRequest start;
    start.set_container_id(container_);
    v1::StartContainerResponse started;
    s = runtime_->StartContainer(Ctx(absl::Minutes(1)).get(), start, &started);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  bool WaitForLog(const std::string& marker) {
    const absl::Time give_up = absl::Now() + kPatience;
    while (!absl::StrContains(ReadFile(log_dir_ + "/hog.log"), marker)) {
      if (absl::Now() > give_up) return false;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return true;
  }
  // Waits until the container has used `seconds` of CPU (by its cgroup),
  // then opens the gate (a file in the mounted /gate) that ends its
  // burning. A fixed burn time would give less CPU on a busy machine.
  bool BurnFor(uint64_t seconds) {
    const std::string cg = absl::StrCat(cgroup_, "/", container_);
    const absl::Time give_up = absl::Now() + kPatience;
    while (CpuNanos(cg) < seconds * 1'000'000'000) {
      if (absl::Now() > give_up) return false;
      absl::SleepFor(absl::Milliseconds(50));
    }
    std::ofstream(gate_ + "/burnt").put('\n');
    return true;
  }

  ScratchDir dir_;
  std::string log_dir_;
  const std::string gate_ = dir_.path() + "/gate";
  const std::string cgroup_ = absl::StrCat("/crid-metrics-", getpid());
  v1::PodSandboxConfig config_;
  std::string pod_, container_;
  CriDaemon cri_;
  v1::RuntimeService::Stub* runtime_ = nullptr;
};

TEST_F(PodMetricsTest, PodMetricsFromTheCgroupsAndStreamingStats) {
  RunPodWith(
      "while [ ! -e /gate/burnt ]; do :; done; "
      "x=$(head -c 20000000 /dev/zero | tr '\\000' a); echo held; "
      "sleep 60; echo ${#x}");
  ASSERT_FALSE(container_.empty());
  ASSERT_TRUE(BurnFor(kBurnSeconds))
      << "the hog never burnt " << kBurnSeconds << " s of CPU";
  ASSERT_TRUE(WaitForLog("held")) << "the hog never got going";

  v1::ListMetricDescriptorsResponse descriptors;
  ASSERT_TRUE(
      runtime_->ListMetricDescriptors(Ctx().get(), {}, &descriptors).ok());
  std::map<std::string, int> label_count;
  for (const auto& d : descriptors.descriptors()) {
    label_count[d.name()] = d.label_keys_size();
  }
  ASSERT_EQ(label_count.count("container_cpu_usage_seconds_total"), 1u);
  ASSERT_EQ(label_count.count("container_memory_working_set_bytes"), 1u);

  const uint64_t ws_before = WorkingSet(absl::StrCat(cgroup_, "/", container_));
  v1::ListPodSandboxMetricsResponse listed;
  grpc::Status s = runtime_->ListPodSandboxMetrics(Ctx().get(), {}, &listed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const uint64_t ws_after = WorkingSet(absl::StrCat(cgroup_, "/", container_));
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
