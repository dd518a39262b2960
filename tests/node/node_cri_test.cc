// The CRI side of the node tier: the cri-dockerd the Debian package
// installed in the systemd node (tests/harness/node_up.sh), driven from the
// host through the node's socket, CRID_NODE_ROOT/run/cri-dockerd.sock
// (CRID_NODE_ROOT = /proc/<node's init>/root). Not a test on its own:
// node_test.sh runs one phase at a time (--gtest_filter) between its
// systemctl and apt steps, in this order:
//   FirstCallStartsTheService  Version (the call that socket-activates the
//                              service), then Status ready;
//   PodsRunAndTalk             two pods on the node's CNI bridge, one serving
//                              HTTP, the other fetching it by ExecSync;
//                              container logs; their IDs and IPs are saved
//                              in CRID_NODE_STATE;
//   PodsKeepRunning            (after restarts of docker, of cri-docker) the
//                              same pods, containers and IPs, still talking;
//   PodsRemoved                stop and remove them; nothing left in the
//                              CRI, nor of their IPs in the CNI store;
//   GoPodsAdopted              (this package installed over the Go
//                              cri-dockerd's) the pod the Go shim left
//                              (go_pod_run.sh; its IDs in CRID_NODE_STATE)
//                              listed, READY and RUNNING, then stopped and
//                              removed, its checkpoint file with it.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_daemon.h"
#include "tests/integration/cri_fixture.h"
#include "tests/integration/daemon_process.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {
namespace {

namespace v1 = ::runtime::v1;

constexpr char kNamespace[] = "crid-node";
constexpr char kPage[] = "crid-node-page";

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// Saved between phases: key=value lines.
using State = std::map<std::string, std::string>;
State LoadState() {
  State state;
  for (absl::string_view line :
       absl::StrSplit(ReadFile(Env("CRID_NODE_STATE")), '\n')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, '=');
    if (!kv.first.empty()) state[kv.first] = kv.second;
  }
  return state;
}
void SaveState(const State& state) {
  std::ofstream out(Env("CRID_NODE_STATE"), std::ios::trunc);
  for (const auto& [k, v] : state) out << k << "=" << v << "\n";
}

class NodeCri : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = Env("CRID_NODE_ROOT");
    ASSERT_FALSE(root_.empty()) << "CRID_NODE_ROOT: /proc/<node pid>/root";
    ASSERT_FALSE(Env("CRID_NODE_STATE").empty()) << "CRID_NODE_STATE: a file";
    auto channel = Dial("unix://" + root_ + "/run/cri-dockerd.sock");
    runtime_ = v1::RuntimeService::NewStub(channel);
    images_ = v1::ImageService::NewStub(channel);
  }

  // A pod on the node's CNI network, logging under the node's
  // /var/log/pods as kubelet lays it out.
  static v1::PodSandboxConfig PodConfig(const std::string& name) {
    v1::PodSandboxConfig config;
    config.mutable_metadata()->set_name(name);
    config.mutable_metadata()->set_namespace_(kNamespace);
    config.mutable_metadata()->set_uid(absl::StrCat(name, "-uid"));
    config.set_log_directory(absl::StrCat("/var/log/pods/", kNamespace, "_",
                                          name, "_", name, "-uid"));
    return config;
  }
  std::string RunPod(const v1::PodSandboxConfig& config) {
    v1::RunPodSandboxRequest req;
    *req.mutable_config() = config;
    v1::RunPodSandboxResponse resp;
    grpc::Status s =
        runtime_->RunPodSandbox(Ctx(absl::Minutes(2)).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << config.metadata().name() << ": "
                        << s.error_message();
    return resp.pod_sandbox_id();
  }
  std::string RunContainer(const std::string& pod,
                           const v1::PodSandboxConfig& pod_config,
                           const v1::ContainerConfig& config) {
    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(pod);
    *create.mutable_config() = config;
    *create.mutable_sandbox_config() = pod_config;
    v1::CreateContainerResponse created;
    grpc::Status s = runtime_->CreateContainer(Ctx(absl::Minutes(1)).get(),
                                               create, &created);
    EXPECT_TRUE(s.ok()) << "create " << config.metadata().name() << ": "
                        << s.error_message();
    if (!s.ok()) return "";
    v1::StartContainerRequest start;
    start.set_container_id(created.container_id());
    v1::StartContainerResponse started;
    s = runtime_->StartContainer(Ctx(absl::Minutes(1)).get(), start, &started);
    EXPECT_TRUE(s.ok()) << "start " << config.metadata().name() << ": "
                        << s.error_message();
    return created.container_id();
  }
  v1::PodSandboxStatus PodStatus(const std::string& pod) {
    v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(pod);
    v1::PodSandboxStatusResponse resp;
    grpc::Status s = runtime_->PodSandboxStatus(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << pod << ": " << s.error_message();
    return resp.status();
  }
  v1::ContainerStatus ContainerStatus(const std::string& id) {
    v1::ContainerStatusRequest req;
    req.set_container_id(id);
    v1::ContainerStatusResponse resp;
    grpc::Status s = runtime_->ContainerStatus(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << id << ": " << s.error_message();
    return resp.status();
  }
  v1::ExecSyncResponse Exec(const std::string& id,
                            const std::vector<std::string>& cmd) {
    v1::ExecSyncRequest req;
    req.set_container_id(id);
    for (const std::string& c : cmd) req.add_cmd(c);
    req.set_timeout(20);
    v1::ExecSyncResponse resp;
    grpc::Status s = runtime_->ExecSync(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << absl::StrJoin(cmd, " ") << ": " << s.error_message();
    return resp;
  }
  // The client pod fetches the server pod's page over the CNI bridge.
  // (No wget -T: Debian's busybox 1.35 wget crashes with it; ExecSync's
  // timeout bounds the fetch.)
  void ExpectPageFetched(const std::string& client, const std::string& ip) {
    std::string out;
    bool fetched = testing_util::PollUntil(
        [&] {
          v1::ExecSyncResponse r = Exec(
              client,
              {"wget", "-q", "-O", "-", absl::StrCat("http://", ip, ":8080/")});
          out = r.stdout() + r.stderr();
          return r.exit_code() == 0 && absl::StrContains(r.stdout(), kPage);
        },
        absl::Seconds(30));
    EXPECT_TRUE(fetched) << "the client pod could not fetch http://" << ip
                         << ":8080/: " << out;
  }
  bool RuntimeReady() {
    v1::StatusResponse resp;
    if (!runtime_->Status(Ctx(absl::Seconds(5)).get(), {}, &resp).ok()) {
      return false;
    }
    for (const auto& c : resp.status().conditions()) {
      if (c.type() == "RuntimeReady" && !c.status()) return false;
    }
    return true;
  }

  std::string root_;
  std::unique_ptr<v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<v1::ImageService::Stub> images_;
};

TEST_F(NodeCri, FirstCallStartsTheService) {
  v1::VersionResponse version;
  grpc::Status s =
      runtime_->Version(Ctx(absl::Seconds(60)).get(), {}, &version);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(version.runtime_name(), "docker");
  EXPECT_EQ(version.runtime_api_version(), "v1");
  EXPECT_FALSE(version.runtime_version().empty());
  std::cout << "Version: " << version.runtime_name() << " "
            << version.runtime_version() << "\n";

  // Both conditions true: the node's dockerd answers, and the CNI
  // config node_test.sh wrote is loaded.
  std::string conditions;
  bool ready = testing_util::PollUntil(
      [&] {
        v1::StatusResponse resp;
        if (!runtime_->Status(Ctx().get(), {}, &resp).ok()) return false;
        conditions.clear();
        int ok = 0;
        for (const auto& c : resp.status().conditions()) {
          absl::StrAppend(&conditions, c.type(), "=", c.status(), " ",
                          c.reason(), " ", c.message(), "; ");
          if ((c.type() == "RuntimeReady" || c.type() == "NetworkReady") &&
              c.status()) {
            ++ok;
          }
        }
        return ok == 2;
      },
      kPatience);
  EXPECT_TRUE(ready) << conditions;
}

TEST_F(NodeCri, PodsRunAndTalk) {
  grpc::Status s = PullImage(images_.get(), kBusybox);
  ASSERT_TRUE(s.ok()) << s.error_message();

  State state;
  const v1::PodSandboxConfig server_pod = PodConfig("server");
  state["server_pod"] = RunPod(server_pod);
  ASSERT_FALSE(state["server_pod"].empty());
  state["server"] = RunContainer(
      state["server_pod"], server_pod,
      BusyboxContainer("httpd",
                       absl::StrCat("mkdir -p /www && echo ", kPage,
                                    " >/www/index.html && echo serving && "
                                    "exec httpd -f -p 8080 -h /www")));
  const v1::PodSandboxConfig client_pod = PodConfig("client");
  state["client_pod"] = RunPod(client_pod);
  ASSERT_FALSE(state["client_pod"].empty());
  state["client"] =
      RunContainer(state["client_pod"], client_pod,
                   BusyboxContainer("client",
                                    "trap 'exit 0' TERM; echo client-started; "
                                    "while :; do sleep 1; done"));
  SaveState(state);  // PodsRemoved removes them even if a check fails
  ASSERT_FALSE(state["server"].empty());
  ASSERT_FALSE(state["client"].empty());

  for (const char* pod : {"server_pod", "client_pod"}) {
    v1::PodSandboxStatus status = PodStatus(state[pod]);
    EXPECT_EQ(status.state(), v1::SANDBOX_READY) << pod;
    const std::string ip = status.network().ip();
    EXPECT_TRUE(absl::StartsWith(ip, Env("CRID_NODE_CNI_PREFIX")))
        << pod << " has IP '" << ip << "', not on the node's CNI subnet "
        << Env("CRID_NODE_CNI_PREFIX");
    state[absl::StrCat(pod, "_ip")] = ip;
  }
  SaveState(state);
  EXPECT_NE(state["server_pod_ip"], state["client_pod_ip"]);

  // The CRI log, where kubelet reads it (the node's /var/log/pods).
  const std::string log = root_ + client_pod.log_directory() + "/client.log";
  std::string text;
  EXPECT_TRUE(testing_util::PollUntil(
      [&] {
        text = ReadFile(log);
        return absl::StrContains(text, " stdout F client-started");
      },
      kPatience))
      << log << ": " << text;

  v1::ExecSyncResponse r =
      Exec(state["client"], {"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.stdout(), "out\n");
  EXPECT_EQ(r.stderr(), "err\n");
  EXPECT_EQ(r.exit_code(), 3);

  ExpectPageFetched(state["client"], state["server_pod_ip"]);
}

TEST_F(NodeCri, PodsKeepRunning) {
  State state = LoadState();
  ASSERT_FALSE(state["server_pod"].empty())
      << "no pods saved by PodsRunAndTalk";
  EXPECT_TRUE(
      testing_util::PollUntil([&] { return RuntimeReady(); }, kPatience))
      << "RuntimeReady never came back";
  for (const char* pod : {"server_pod", "client_pod"}) {
    v1::PodSandboxStatus status = PodStatus(state[pod]);
    EXPECT_EQ(status.state(), v1::SANDBOX_READY) << pod;
    EXPECT_EQ(status.network().ip(), state[absl::StrCat(pod, "_ip")]) << pod;
  }
  for (const char* c : {"server", "client"}) {
    v1::ContainerStatus status = ContainerStatus(state[c]);
    EXPECT_EQ(status.state(), v1::CONTAINER_RUNNING) << c;
  }
  ExpectPageFetched(state["client"], state["server_pod_ip"]);
}

TEST_F(NodeCri, PodsRemoved) {
  State state = LoadState();
  for (const char* pod : {"server_pod", "client_pod"}) {
    if (state[pod].empty()) continue;
    grpc::Status s = StopAndRemovePod(runtime_.get(), state[pod]);
    EXPECT_TRUE(s.ok()) << pod << ": " << s.error_message();
  }
  v1::ListPodSandboxResponse pods;
  ASSERT_TRUE(runtime_->ListPodSandbox(Ctx().get(), {}, &pods).ok());
  EXPECT_EQ(pods.items_size(), 0) << pods.DebugString();
  v1::ListContainersResponse containers;
  ASSERT_TRUE(runtime_->ListContainers(Ctx().get(), {}, &containers).ok());
  EXPECT_EQ(containers.containers_size(), 0) << containers.DebugString();
  // host-local keeps one file per leased IP: none left.
  for (const char* ip : {"server_pod_ip", "client_pod_ip"}) {
    if (state[ip].empty()) continue;
    const std::string lease = root_ + "/var/lib/cni/networks/" +
                              Env("CRID_NODE_CNI_NETWORK") + "/" + state[ip];
    EXPECT_NE(access(lease.c_str(), F_OK), 0) << lease << " still leased";
  }
}

TEST_F(NodeCri, GoPodsAdopted) {
  State state = LoadState();
  const std::string pod = state["go_pod"];
  const std::string app = state["go_container"];
  ASSERT_FALSE(pod.empty()) << "no go_pod in CRID_NODE_STATE";
  ASSERT_FALSE(app.empty()) << "no go_container in CRID_NODE_STATE";
  const std::string name = state["go_pod_name"];
  const std::string ns = state["go_pod_namespace"];
  const std::string uid = state["go_pod_uid"];
  const std::string checkpoint = root_ + "/var/lib/cri-dockerd/sandbox/" + pod;
  EXPECT_EQ(access(checkpoint.c_str(), F_OK), 0) << checkpoint;

  v1::ListPodSandboxResponse pods;
  ASSERT_TRUE(runtime_->ListPodSandbox(Ctx().get(), {}, &pods).ok());
  bool listed = false;
  for (const auto& p : pods.items()) {
    if (p.id() != pod) continue;
    listed = true;
    EXPECT_EQ(p.metadata().name(), name);
    EXPECT_EQ(p.metadata().namespace_(), ns);
    EXPECT_EQ(p.metadata().uid(), uid);
    EXPECT_EQ(p.metadata().attempt(), 0u);
    EXPECT_EQ(p.state(), v1::SANDBOX_READY);
  }
  EXPECT_TRUE(listed) << "ListPodSandbox: no " << pod << ": "
                      << pods.DebugString();

  v1::PodSandboxStatus status = PodStatus(pod);
  EXPECT_EQ(status.state(), v1::SANDBOX_READY);
  EXPECT_EQ(status.metadata().name(), name);
  EXPECT_EQ(status.linux().namespaces().options().network(), v1::NODE)
      << "a host-network pod (container and checkpoint say so)";

  v1::ListContainersResponse containers;
  ASSERT_TRUE(runtime_->ListContainers(Ctx().get(), {}, &containers).ok());
  listed = false;
  for (const auto& c : containers.containers()) {
    if (c.id() != app) continue;
    listed = true;
    EXPECT_EQ(c.pod_sandbox_id(), pod);
    EXPECT_EQ(c.metadata().name(), "app");
    EXPECT_EQ(c.state(), v1::CONTAINER_RUNNING);
  }
  EXPECT_TRUE(listed) << "ListContainers: no " << app << ": "
                      << containers.DebugString();
  v1::ContainerStatus cs = ContainerStatus(app);
  EXPECT_EQ(cs.state(), v1::CONTAINER_RUNNING);
  EXPECT_EQ(cs.metadata().name(), "app");
  EXPECT_EQ(cs.log_path(), absl::StrCat("/var/log/pods/", ns, "_", name, "_",
                                        uid, "/app/0.log"));
  auto label = cs.labels().find("io.kubernetes.pod.uid");
  EXPECT_TRUE(label != cs.labels().end() && label->second == uid)
      << cs.DebugString();

  // As kubelet ends a pod: the container, then the sandbox.
  v1::StopContainerRequest stop;
  stop.set_container_id(app);
  stop.set_timeout(10);
  v1::StopContainerResponse stopped;
  grpc::Status s =
      runtime_->StopContainer(Ctx(absl::Minutes(1)).get(), stop, &stopped);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ContainerStatus(app).state(), v1::CONTAINER_EXITED);
  v1::RemoveContainerRequest remove;
  remove.set_container_id(app);
  v1::RemoveContainerResponse removed;
  s = runtime_->RemoveContainer(Ctx(absl::Minutes(1)).get(), remove, &removed);
  EXPECT_TRUE(s.ok()) << s.error_message();
  v1::StopPodSandboxRequest stop_pod;
  stop_pod.set_pod_sandbox_id(pod);
  v1::StopPodSandboxResponse pod_stopped;
  s = runtime_->StopPodSandbox(Ctx(absl::Minutes(1)).get(), stop_pod,
                               &pod_stopped);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(PodStatus(pod).state(), v1::SANDBOX_NOTREADY);
  v1::RemovePodSandboxRequest remove_pod;
  remove_pod.set_pod_sandbox_id(pod);
  v1::RemovePodSandboxResponse pod_removed;
  s = runtime_->RemovePodSandbox(Ctx(absl::Minutes(1)).get(), remove_pod,
                                 &pod_removed);
  EXPECT_TRUE(s.ok()) << s.error_message();

  pods.Clear();
  ASSERT_TRUE(runtime_->ListPodSandbox(Ctx().get(), {}, &pods).ok());
  EXPECT_EQ(pods.items_size(), 0) << pods.DebugString();
  containers.Clear();
  ASSERT_TRUE(runtime_->ListContainers(Ctx().get(), {}, &containers).ok());
  EXPECT_EQ(containers.containers_size(), 0) << containers.DebugString();
  EXPECT_NE(access(checkpoint.c_str(), F_OK), 0)
      << checkpoint << " still there after RemovePodSandbox";
}

}  // namespace
}  // namespace cri_dockerd::testing_support
