// Pod sandboxes end to end: the real binary, the real dockerd, the lab's
// pause image and Debian's real CNI plugins (bridge, host-local, portmap)
// on a bridge of this test's own. Traffic goes only to loopback and to
// the pods the test created.
#include <arpa/inet.h>
#include <dirent.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_daemon.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/lab_engine.h"
#include "tests/integration/private_dockerd.h"

namespace cri_dockerd::testing_support {
namespace {

namespace v1 = ::runtime::v1;

constexpr char kBusybox[] = "localhost:5000/busybox:1.36";
constexpr char kSubnetPrefix[] = "10.250.77.";  // the test's own bridge

// Entries of `dir`, dot-files aside; with `ips_only`, just host-local's
// per-address allocation files ("10.250.77.5").
int CountEntries(const std::string& dir, bool ips_only = false) {
  int n = 0;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name[0] == '.') continue;
      if (ips_only &&
          name.find_first_not_of("0123456789.:abcdef") != std::string::npos) {
        continue;  // "lock", "last_reserved_ip.0"
      }
      ++n;
    }
    closedir(d);
  }
  return n;
}

// GET / over HTTP/1.0 from `ip`:`port` (2 s bound); "" on failure.
std::string HttpGet(const std::string& ip, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string out;
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) == 1 &&
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const char req[] = "GET / HTTP/1.0\r\n\r\n";
    if (write(fd, req, sizeof(req) - 1) == sizeof(req) - 1) {
      char buf[1024];
      ssize_t n;
      while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, n);
    }
  }
  close(fd);
  return out;
}

// HttpGet until the reply contains `want`; the last reply. The server in
// the pod may take a while to come up on a loaded machine.
std::string HttpGetUntil(const std::string& ip, int port,
                         const std::string& want) {
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  std::string got = HttpGet(ip, port);
  while (!absl::StrContains(got, want) && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(100));
    got = HttpGet(ip, port);
  }
  return got;
}

class SandboxTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PingDocker(LabDockerSocket())) << "needs the lab's dockerd";
    bridge_ = absl::StrCat("crid-sb", getpid() % 100000);
    conf_dir_ = dir_.path() + "/net.d";
    ipam_dir_ = dir_.path() + "/ipam";
    mkdir(conf_dir_.c_str(), 0755);
    std::ofstream(conf_dir_ + "/10-test.conflist")
        << absl::StrCat(R"({
      "cniVersion": "0.4.0", "name": "crid-sandbox-test",
      "plugins": [
        {"type": "bridge", "bridge": ")",
                        bridge_, R"(", "isGateway": true,
         "ipMasq": false, "hairpinMode": true,
         "ipam": {"type": "host-local", "dataDir": ")",
                        ipam_dir_, R"(",
                  "ranges": [[{"subnet": ")",
                        kSubnetPrefix, R"(0/24"}]],
                  "routes": [{"dst": "0.0.0.0/0"}]}},
        {"type": "portmap", "capabilities": {"portMappings": true}}]})");
    StartDaemon();
  }
  void TearDown() override {
    for (const std::string& id : sandboxes_) {
      if (runtime_ != nullptr) StopAndRemovePod(runtime_.get(), id);
    }
    for (const std::string& c : helpers_) {
      DockerRequest(LabDockerSocket(), "DELETE",
                    absl::StrCat("/containers/", c, "?force=1"));
    }
    daemon_.reset();
    const std::string del =
        absl::StrCat("ip link del ", bridge_, " 2>/dev/null");
    if (system(del.c_str()) != 0) {
      // Never created.
    }
  }

  void StartDaemon(std::vector<std::string> extra = {}) {
    socket_ = dir_.path() + "/cri.sock";
    std::vector<std::string> flags = {"--cni-conf-dir",
                                      conf_dir_,
                                      "--cni-bin-dir",
                                      "/usr/lib/cni",
                                      "--cni-cache-dir",
                                      dir_.path() + "/cni-cache",
                                      "--cri-dockerd-root-directory",
                                      dir_.path() + "/root"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    daemon_ = DaemonProcess::StartCriDockerd(socket_, flags);
    ASSERT_TRUE(WaitUntilServing("unix://" + socket_, absl::Seconds(20)).ok())
        << daemon_->Output();
    runtime_ = v1::RuntimeService::NewStub(Dial("unix://" + socket_));
  }

  static v1::PodSandboxConfig Config(const std::string& name) {
    v1::PodSandboxConfig c;
    c.mutable_metadata()->set_name(name);
    c.mutable_metadata()->set_namespace_("crid-it");
    c.mutable_metadata()->set_uid("uid-" + name);
    c.set_hostname(name);
    (*c.mutable_labels())["crid-it"] = "sandbox";
    c.mutable_linux();
    return c;
  }

  std::string Run(const v1::PodSandboxConfig& config) {
    v1::RunPodSandboxRequest req;
    *req.mutable_config() = config;
    v1::RunPodSandboxResponse resp;
    grpc::Status s =
        runtime_->RunPodSandbox(Ctx(absl::Minutes(2)).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << daemon_->Output();
    if (s.ok()) sandboxes_.push_back(resp.pod_sandbox_id());
    return resp.pod_sandbox_id();
  }

  v1::PodSandboxStatus Status(const std::string& id) {
    v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(id);
    v1::PodSandboxStatusResponse resp;
    grpc::Status s = runtime_->PodSandboxStatus(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status();
  }

  grpc::Status Stop(const std::string& id) {
    v1::StopPodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    v1::StopPodSandboxResponse resp;
    return runtime_->StopPodSandbox(Ctx(absl::Seconds(60)).get(), req, &resp);
  }
  grpc::Status Remove(const std::string& id) {
    v1::RemovePodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    v1::RemovePodSandboxResponse resp;
    return runtime_->RemovePodSandbox(Ctx(absl::Seconds(60)).get(), req, &resp);
  }

  // Runs busybox in the pod's namespaces straight through docker (the
  // container verbs are not part of this test).
  void RunInPod(const std::string& sandbox, const std::string& cmd) {
    const std::string pulled = DockerRequest(
        LabDockerSocket(), "POST",
        "/images/create?fromImage=localhost:5000/busybox&tag=1.36");
    ASSERT_NE(pulled.find(" 200 "), std::string::npos) << pulled;
    const std::string name =
        absl::StrCat("crid-it-helper-", helpers_.size(), "-", getpid());
    const std::string created = DockerRequest(
        LabDockerSocket(), "POST", "/containers/create?name=" + name,
        absl::StrCat(R"({"Image":")", kBusybox, R"(","Cmd":["sh","-c",")", cmd,
                     R"("],"HostConfig":{"NetworkMode":"container:)", sandbox,
                     R"("}})"));
    ASSERT_NE(created.find(" 201 "), std::string::npos) << created;
    helpers_.push_back(name);
    const std::string started = DockerRequest(LabDockerSocket(), "POST",
                                              "/containers/" + name + "/start");
    ASSERT_NE(started.find(" 204 "), std::string::npos) << started;
  }

  ScratchDir dir_;
  std::string bridge_, conf_dir_, ipam_dir_, socket_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::RuntimeService::Stub> runtime_;
  std::vector<std::string> sandboxes_;
  std::vector<std::string> helpers_;
};

TEST_F(SandboxTest, RunGivesAReadyPodWithAnIpDnsAndTheGoShimsName) {
  v1::PodSandboxConfig config = Config("web");
  auto* dns = config.mutable_dns_config();
  dns->add_servers("10.96.0.10");
  dns->add_searches("crid-it.svc.cluster.local");
  dns->add_options("ndots:5");
  const std::string id = Run(config);
  ASSERT_FALSE(id.empty());
  v1::PodSandboxStatus st = Status(id);
  EXPECT_EQ(st.state(), v1::SANDBOX_READY);
  EXPECT_EQ(st.metadata().name(), "web");
  EXPECT_TRUE(absl::StartsWith(st.network().ip(), kSubnetPrefix))
      << st.network().ip();
  EXPECT_EQ(st.labels().at("crid-it"), "sandbox");

  const std::string inspect =
      DockerGet(LabDockerSocket(), absl::StrCat("/containers/", id, "/json"));
  EXPECT_NE(inspect.find("\"Name\":\"/k8s_POD_web_crid-it_uid-web_0\""),
            std::string::npos);
  EXPECT_NE(inspect.find("\"io.kubernetes.docker.type\":\"podsandbox\""),
            std::string::npos);
  const std::string key = "\"ResolvConfPath\":\"";
  const size_t at = inspect.find(key) + key.size();
  const std::string resolv =
      ReadFile(inspect.substr(at, inspect.find('"', at) - at));
  EXPECT_EQ(resolv,
            "nameserver 10.96.0.10\nsearch crid-it.svc.cluster.local\n"
            "options ndots:5\n");
}

TEST_F(SandboxTest, HostPortIsReachableOnLoopback) {
  v1::PodSandboxConfig config = Config("ports");
  auto* p = config.add_port_mappings();
  p->set_container_port(8080);
  const int host_port = 30000 + getpid() % 20000;
  p->set_host_port(host_port);
  p->set_host_ip("127.0.0.1");
  const std::string id = Run(config);
  ASSERT_FALSE(id.empty());
  RunInPod(id,
           "mkdir -p /www && echo crid-pod-says-hi > /www/index.html && "
           "exec httpd -f -p 8080 -h /www");
  const std::string pod_ip = Status(id).network().ip();
  // The pod itself (it is ours), then the hostPort on loopback.
  const std::string direct = HttpGetUntil(pod_ip, 8080, "crid-pod-says-hi");
  EXPECT_TRUE(absl::StrContains(direct, "crid-pod-says-hi"))
      << "pod " << pod_ip << ":8080 said: " << direct;
  const std::string via_host_port =
      HttpGetUntil("127.0.0.1", host_port, "crid-pod-says-hi");
  EXPECT_TRUE(absl::StrContains(via_host_port, "crid-pod-says-hi"))
      << "hostPort 127.0.0.1:" << host_port << " said: " << via_host_port;
}

TEST_F(SandboxTest, NoOpModeUsesDockersBridgeAndPublishesHostPorts) {
  daemon_.reset();
  StartDaemon({"--network-plugin="});
  v1::PodSandboxConfig config = Config("bridged");
  auto* p = config.add_port_mappings();
  p->set_container_port(8080);
  const int host_port = 30000 + (getpid() + 7) % 20000;
  p->set_host_port(host_port);
  p->set_host_ip("127.0.0.1");
  const std::string id = Run(config);
  ASSERT_FALSE(id.empty());
  const std::string inspect =
      DockerGet(LabDockerSocket(), absl::StrCat("/containers/", id, "/json"));
  // Sent as "default"; Docker 25 and later report that as "bridge".
  EXPECT_TRUE(absl::StrContains(inspect, "\"NetworkMode\":\"default\"") ||
              absl::StrContains(inspect, "\"NetworkMode\":\"bridge\""))
      << "docker's bridge: " << inspect;
  const std::string pod_ip = Status(id).network().ip();
  EXPECT_FALSE(pod_ip.empty()) << "docker's bridge address";
  EXPECT_FALSE(absl::StartsWith(pod_ip, kSubnetPrefix)) << "not CNI's";
  RunInPod(id,
           "mkdir -p /www && echo crid-bridge-pod > /www/index.html && "
           "exec httpd -f -p 8080 -h /www");
  const std::string got =
      HttpGetUntil("127.0.0.1", host_port, "crid-bridge-pod");
  EXPECT_TRUE(absl::StrContains(got, "crid-bridge-pod"))
      << "hostPort 127.0.0.1:" << host_port << " via docker: " << got;
}

TEST_F(SandboxTest, ShimRestartKeepsPodsAndIps) {
  const std::string a = Run(Config("keep-a"));
  const std::string b = Run(Config("keep-b"));
  const std::string ip_a = Status(a).network().ip();
  const std::string ip_b = Status(b).network().ip();
  ASSERT_FALSE(ip_a.empty());
  ASSERT_NE(ip_a, ip_b);
  daemon_.reset();  // SIGKILL: the harshest restart
  StartDaemon();
  EXPECT_EQ(Status(a).state(), v1::SANDBOX_READY);
  EXPECT_EQ(Status(a).network().ip(), ip_a);
  EXPECT_EQ(Status(b).network().ip(), ip_b);
}

TEST_F(SandboxTest, TwentyParallelPodsGetDistinctIpsAndLeaveNothing) {
  constexpr int kPods = 20;
  std::vector<std::string> ids(kPods);
  std::vector<std::thread> threads;
  for (int i = 0; i < kPods; ++i) {
    threads.emplace_back([&, i] {
      auto stub = v1::RuntimeService::NewStub(Dial("unix://" + socket_));
      v1::RunPodSandboxRequest req;
      *req.mutable_config() = Config(absl::StrCat("par-", i));
      v1::RunPodSandboxResponse resp;
      if (stub->RunPodSandbox(Ctx(absl::Minutes(3)).get(), req, &resp).ok()) {
        ids[i] = resp.pod_sandbox_id();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> ips;
  for (const std::string& id : ids) {
    ASSERT_FALSE(id.empty()) << daemon_->Output();
    sandboxes_.push_back(id);
    ips.insert(Status(id).network().ip());
  }
  EXPECT_EQ(ips.size(), static_cast<size_t>(kPods));
  EXPECT_EQ(CountEntries(ipam_dir_ + "/crid-sandbox-test", true), kPods);
  for (const std::string& id : ids) {
    ASSERT_TRUE(Stop(id).ok());
    ASSERT_TRUE(Remove(id).ok());
  }
  sandboxes_.clear();
  EXPECT_EQ(CountEntries(ipam_dir_ + "/crid-sandbox-test", true), 0)
      << "IPAM allocations leaked";
  const std::string listed = DockerGet(
      LabDockerSocket(),
      "/containers/json?all=1&filters=%7B%22label%22%3A%7B%22crid-it%3Dsandbox"
      "%22%3Atrue%7D%7D");
  EXPECT_EQ(listed.find("\"Id\""), std::string::npos) << "containers leaked";
  // No veth is left on the bridge.
  const std::string brif = absl::StrCat("/sys/class/net/", bridge_, "/brif");
  EXPECT_EQ(CountEntries(brif), 0) << "veths leaked";
}

TEST_F(SandboxTest, StopAndRemoveAreIdempotentAndUnknownIdsSaySo) {
  const std::string id = Run(Config("idem"));
  ASSERT_TRUE(Stop(id).ok());
  EXPECT_EQ(Status(id).state(), v1::SANDBOX_NOTREADY);
  EXPECT_TRUE(Stop(id).ok());
  ASSERT_TRUE(Remove(id).ok());
  EXPECT_TRUE(Remove(id).ok());
  sandboxes_.clear();
  EXPECT_EQ(Stop(id).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id("0123456789abcdef");
  v1::PodSandboxStatusResponse resp;
  EXPECT_EQ(runtime_->PodSandboxStatus(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  req.set_pod_sandbox_id("../../etc/passwd");
  EXPECT_EQ(runtime_->PodSandboxStatus(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// A second plugin that does not exist: ADD fails after bridge succeeded,
// and the rollback's DEL fails on that plugin too. The container and the
// address go; the checkpoint stays (the DEL did not succeed), so the pod
// is listed and kubelet's Stop and Remove run the DEL again, which works
// once the configuration is fixed.
TEST_F(SandboxTest, FailedNetworkSetupIsUndoneAndAFailedUndoIsRetried) {
  const std::string bridge_plugin = absl::StrCat(
      R"({"type": "bridge", "bridge": ")", bridge_, R"(", "ipMasq": false,
         "ipam": {"type": "host-local", "dataDir": ")",
      ipam_dir_, R"(",
                  "ranges": [[{"subnet": ")",
      kSubnetPrefix, R"(0/24"}]]}})");
  std::ofstream(conf_dir_ + "/10-test.conflist") << absl::StrCat(
      R"({"cniVersion": "0.4.0", "name": "crid-sandbox-test", "plugins": [)",
      bridge_plugin, R"(, {"type": "crid-no-such-plugin"}]})");
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = Config("doomed");
  v1::RunPodSandboxResponse resp;
  grpc::Status s =
      runtime_->RunPodSandbox(Ctx(absl::Minutes(1)).get(), req, &resp);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.error_message().find("crid-no-such-plugin"), std::string::npos)
      << s.error_message();
  const std::string listed = DockerGet(
      LabDockerSocket(),
      "/containers/json?all=1&filters=%7B%22name%22%3A%7B%22k8s_POD_doomed_"
      "%22%3Atrue%7D%7D");
  EXPECT_EQ(listed.find("\"Id\""), std::string::npos) << listed;
  EXPECT_EQ(CountEntries(ipam_dir_ + "/crid-sandbox-test", true), 0);
  EXPECT_EQ(CountEntries(dir_.path() + "/root/sandbox"), 1);

  // This pod only: the engine may run other pods meanwhile (and a
  // sandbox listed from its checkpoint has no labels to select on).
  v1::ListPodSandboxResponse all;
  ASSERT_TRUE(
      runtime_->ListPodSandbox(Ctx().get(), v1::ListPodSandboxRequest(), &all)
          .ok());
  v1::ListPodSandboxResponse pods;
  for (const v1::PodSandbox& p : all.items()) {
    if (p.metadata().namespace_() == "crid-it" &&
        p.metadata().name() == "doomed") {
      *pods.add_items() = p;
    }
  }
  ASSERT_EQ(pods.items_size(), 1);
  EXPECT_EQ(pods.items(0).metadata().name(), "doomed");
  EXPECT_EQ(pods.items(0).state(), v1::SANDBOX_NOTREADY);
  const std::string id = pods.items(0).id();
  EXPECT_FALSE(Remove(id).ok()) << "the DEL still fails";
  EXPECT_EQ(CountEntries(dir_.path() + "/root/sandbox"), 1);

  std::ofstream(conf_dir_ + "/10-test.conflist") << absl::StrCat(
      R"({"cniVersion": "0.4.0", "name": "crid-sandbox-test", "plugins": [)",
      bridge_plugin, "]}");
  EXPECT_TRUE(Stop(id).ok());
  EXPECT_TRUE(Remove(id).ok());
  EXPECT_EQ(CountEntries(dir_.path() + "/root/sandbox"), 0);
}

}  // namespace
}  // namespace cri_dockerd::testing_support
