// Container and pod stats end to end: the real binary reading the real
// cgroups of busybox containers that hold memory or burn CPU, checked
// against the cgroup files this test reads itself.
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
// How much CPU the burner uses before it idles.
constexpr uint64_t kBurnNanos = 1'000'000'000;
// Generous for a loaded machine.
constexpr absl::Duration kPatience = absl::Seconds(60);

bool IsCgroupV2() {
  return access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
}

// A number from a cgroup file, or from a "key value" line of one.
uint64_t ReadNumber(const std::string& path, const std::string& key = "") {
  const std::string text = ReadFile(path);
  uint64_t v = 0;
  if (key.empty()) {
    EXPECT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &v))
        << path << ": " << text;
    return v;
  }
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (f.size() == 2 && f[0] == key && absl::SimpleAtoi(f[1], &v)) return v;
  }
  ADD_FAILURE() << "no " << key << " in " << path;
  return 0;
}

// What this test reads itself from cgroup `path` (cgroupfs layout).
struct Independent {
  uint64_t cpu_nanos = 0;
  uint64_t working_set = 0;
};
Independent ReadCgroup(const std::string& path) {
  Independent r;
  if (IsCgroupV2()) {
    const std::string dir = kCgroupRoot + path;
    r.cpu_nanos = ReadNumber(dir + "/cpu.stat", "usage_usec") * 1000;
    const uint64_t usage = ReadNumber(dir + "/memory.current");
    const uint64_t inactive = ReadNumber(dir + "/memory.stat", "inactive_file");
    r.working_set = usage > inactive ? usage - inactive : 0;
  } else {
    r.cpu_nanos = ReadNumber(
        absl::StrCat(kCgroupRoot, "/cpuacct", path, "/cpuacct.usage"));
    const std::string mem = absl::StrCat(kCgroupRoot, "/memory", path);
    const uint64_t usage = ReadNumber(mem + "/memory.usage_in_bytes");
    const uint64_t inactive =
        ReadNumber(mem + "/memory.stat", "total_inactive_file");
    r.working_set = usage > inactive ? usage - inactive : 0;
  }
  return r;
}

uint64_t Diff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

class StatsTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PingDocker(kDockerSocket)) << "needs the lab's dockerd";
    log_dir_ = dir_.path() + "/pods";
    gate_ = dir_.path() + "/gate";
    ASSERT_EQ(mkdir(gate_.c_str(), 0755), 0);
    absl::StatusOr<CriDaemon> daemon = StartCriDaemon(dir_.path());
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    cri_ = *std::move(daemon);
    daemon_ = cri_.process.get();
    runtime_ = cri_.runtime.get();
    socket_ = cri_.socket;
    ASSERT_TRUE(PullImage(cri_.images.get(), kBusybox).ok());
  }
  void TearDown() override {
    for (const std::string& id : sandboxes_) StopAndRemovePod(runtime_, id);
    // docker leaves the pod cgroups it made for the parents behind.
    if (!pod_cgroup_.empty()) {
      rmdir((kCgroupRoot + pod_cgroup_).c_str());
      if (DIR* d = opendir(kCgroupRoot)) {
        while (dirent* e = readdir(d)) {
          rmdir(absl::StrCat(kCgroupRoot, "/", e->d_name, pod_cgroup_).c_str());
        }
        closedir(d);
      }
    }
  }

  // Runs a host-network pod, under cgroup parent `parent` if not empty
  // (as kubelet does with its pod cgroups).
  std::string RunPod(const std::string& name, const std::string& parent) {
    v1::PodSandboxConfig& config = configs_[name];
    config.mutable_metadata()->set_name(name);
    config.mutable_metadata()->set_namespace_("crid-it");
    config.mutable_metadata()->set_uid(absl::StrCat("u", getpid(), name));
    config.set_log_directory(log_dir_);
    (*config.mutable_labels())["suite"] = "stats";
    (*config.mutable_labels())["pod"] = name;
    config.mutable_linux()->set_cgroup_parent(parent);
    config.mutable_linux()
        ->mutable_security_context()
        ->mutable_namespace_options()
        ->set_network(v1::NODE);
    v1::RunPodSandboxRequest run;
    *run.mutable_config() = config;
    v1::RunPodSandboxResponse resp;
    grpc::Status s =
        runtime_->RunPodSandbox(Ctx(absl::Minutes(2)).get(), run, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message() << daemon_->Output();
    if (s.ok()) sandboxes_.push_back(resp.pod_sandbox_id());
    pods_[resp.pod_sandbox_id()] = name;
    return resp.pod_sandbox_id();
  }
  // Creates and starts container `name` running `sh -c <sh>`, with the
  // gate directory mounted at /gate.
  std::string Start(const std::string& pod, const std::string& name,
                    const std::string& sh) {
    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(pod);
    v1::ContainerConfig* c = create.mutable_config();
    c->mutable_metadata()->set_name(name);
    c->mutable_image()->set_image(kBusybox);
    c->add_command("sh");
    c->add_args("-c");
    c->add_args(sh);
    c->set_log_path(name + ".log");
    (*c->mutable_labels())["role"] = name;
    auto* gate = c->add_mounts();
    gate->set_host_path(gate_);
    gate->set_container_path("/gate");
    gate->set_readonly(true);
    *create.mutable_sandbox_config() = configs_[pods_[pod]];
    v1::CreateContainerResponse created;
    grpc::Status s = runtime_->CreateContainer(Ctx(absl::Minutes(1)).get(),
                                               create, &created);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) return "";
    v1::StartContainerRequest start;
    start.set_container_id(created.container_id());
    v1::StartContainerResponse started;
    s = runtime_->StartContainer(Ctx(absl::Minutes(1)).get(), start, &started);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return created.container_id();
  }
  bool WaitForLog(const std::string& name, const std::string& marker) {
    const absl::Time give_up = absl::Now() + kPatience;
    while (
        !absl::StrContains(ReadFile(log_dir_ + "/" + name + ".log"), marker)) {
      if (absl::Now() > give_up) return false;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return true;
  }
  // Waits until cgroup `path` has used `nanos` of CPU, then opens the gate
  // (creates /gate/`gate`). Burning for a fixed time instead would give
  // less CPU on a busy machine.
  bool BurnUntil(const std::string& path, uint64_t nanos,
                 const std::string& gate) {
    const absl::Time give_up = absl::Now() + kPatience;
    while (ReadCgroup(path).cpu_nanos < nanos) {
      if (absl::Now() > give_up) return false;
      absl::SleepFor(absl::Milliseconds(50));
    }
    std::ofstream(gate_ + "/" + gate).put('\n');
    return true;
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

  ScratchDir dir_;
  std::string socket_, log_dir_;
  std::string gate_;        // mounted at /gate in every container
  std::string pod_cgroup_;  // e.g. "/crid-stats-123", removed at the end
  std::map<std::string, v1::PodSandboxConfig> configs_;  // by pod name
  std::map<std::string, std::string> pods_;  // sandbox ID -> pod name
  std::vector<std::string> sandboxes_;
  CriDaemon cri_;
  DaemonProcess* daemon_ = nullptr;
  v1::RuntimeService::Stub* runtime_ = nullptr;
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
  ASSERT_TRUE(WaitForLog("mem", "held")) << "memory hog never got going";
  const std::string burner =
      Start(pod, "burner",
            "while [ ! -e /gate/burnt ]; do :; done; echo burnt; sleep 30");
  const std::string mem_cg = absl::StrCat(pod_cgroup_, "/", mem);
  const std::string burner_cg = absl::StrCat(pod_cgroup_, "/", burner);
  ASSERT_TRUE(BurnUntil(burner_cg, kBurnNanos, "burnt"))
      << "the burner never used " << kBurnNanos << " ns of CPU";
  ASSERT_TRUE(WaitForLog("burner", "burnt"));

  // Memory: the working set as the cgroup files give it.
  const Independent mem_before = ReadCgroup(mem_cg);
  v1::ContainerStats m = Stats(mem);
  const Independent mem_after = ReadCgroup(mem_cg);
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
  const Independent burn_before = ReadCgroup(burner_cg);
  v1::ContainerStats b = Stats(burner);
  const Independent burn_after = ReadCgroup(burner_cg);
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
  const Independent pod_before = ReadCgroup(pod_cgroup_);
  v1::PodSandboxStats p = PodStats(pod);
  const Independent pod_after = ReadCgroup(pod_cgroup_);
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
  ASSERT_TRUE(WaitForLog("sleeper", "up")) << "the sleeper never got going";
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
