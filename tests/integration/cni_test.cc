// The CNI driver with the real plugins (Debian's containernetworking-plugins
// in /usr/lib/cni: bridge + host-local + portmap) and real network
// namespaces made by the test. Traffic goes only to the pods the test made.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cri/network/cni_plugin.h"
#include "cri/network/netns_addrs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/daemon_process.h"

namespace cri_dockerd::network {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using testing_support::RunToExit;
using testing_support::ScratchDir;

constexpr char kBridge[] = "crid-cni0";
constexpr char kNetwork[] = "crid-cni-test";
constexpr char kSubnetPrefix[] = "10.250.0.";
constexpr char kPluginDir[] = "/usr/lib/cni";

std::string Cmd(const std::vector<std::string>& argv) {
  return RunToExit(argv, absl::Seconds(30)).output;
}

// Entries of a directory, without . and ..
std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
  }
  return names;
}

// Addresses host-local still holds (its files named after the IP).
std::vector<std::string> IpamAllocations(const std::string& data_dir) {
  std::vector<std::string> ips;
  for (const std::string& n : List(data_dir + "/" + kNetwork)) {
    if (absl::StartsWith(n, kSubnetPrefix)) ips.push_back(n);
  }
  return ips;
}

class CniTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0) << "needs root";
    ASSERT_EQ(access((std::string(kPluginDir) + "/bridge").c_str(), X_OK), 0)
        << "install containernetworking-plugins "
           "(tests/harness/install_deps.sh)";
    Cmd({"/usr/sbin/ip", "link", "del", kBridge});  // a crashed run's
    std::ofstream(dir_.path() + "/10-crid-cni-test.conflist")
        << R"({"cniVersion": "1.0.0", "name": ")" << kNetwork
        << R"(", "plugins": [
      {"type": "bridge", "bridge": ")"
        << kBridge << R"(", "isGateway": true, "ipMasq": false,
       "ipam": {"type": "host-local", "dataDir": ")"
        << DataDir() << R"(",
                "ranges": [[{"subnet": ")"
        << kSubnetPrefix << R"(0/24"}]]}},
      {"type": "portmap", "capabilities": {"portMappings": true}}]})";
    NetworkSettings s;
    s.cni_conf_dir = dir_.path();
    s.cni_bin_dirs = kPluginDir;
    s.cni_cache_dir = dir_.path() + "/cache";
    plugin_ = std::make_unique<CniNetworkPlugin>(s);
  }
  void TearDown() override {
    for (const std::string& ns : netns_) {
      Cmd({"/usr/sbin/ip", "netns", "del", ns});
    }
    Cmd({"/usr/sbin/ip", "link", "del", kBridge});
  }

  std::string DataDir() const { return dir_.path() + "/ipam"; }

  // A new named netns for pod `i`, and the request attaching it.
  PodNetworkRequest NewPod(int i) {
    const std::string ns = absl::StrCat("crid-cni-test-", getpid(), "-", i);
    const std::string out = Cmd({"/usr/sbin/ip", "netns", "add", ns});
    EXPECT_EQ(access(("/run/netns/" + ns).c_str(), F_OK), 0) << out;
    netns_.push_back(ns);
    PodNetworkRequest pod;
    pod.pod_namespace = "default";
    pod.pod_name = absl::StrCat("pod-", i);
    pod.pod_uid = absl::StrCat("uid-", i);
    pod.sandbox_id = absl::StrCat("c0ffee", getpid(), "0", i);
    pod.sandbox_id.resize(64, 'a');
    pod.netns_path = "/run/netns/" + ns;
    return pod;
  }

  std::vector<std::string> BridgePorts() const {
    return List(absl::StrCat("/sys/class/net/", kBridge, "/brif"));
  }

  absl::Time Deadline() const { return absl::Now() + absl::Seconds(60); }

  ScratchDir dir_;
  std::vector<std::string> netns_;
  std::unique_ptr<CniNetworkPlugin> plugin_;
};

// Listens on 0.0.0.0:port inside the pod's netns (the socket stays there).
int ListenInPod(const std::string& netns, int port) {
  int fd = -1;
  absl::Status s = RunInNetns(netns, [&]() -> absl::Status {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        listen(fd, 4) != 0) {
      return absl::InternalError("bind/listen");
    }
    return absl::OkStatus();
  });
  return s.ok() ? fd : -1;
}

std::string NatRules() {
  return Cmd({"/usr/sbin/iptables", "-w", "-t", "nat", "-S"});
}

bool ConnectTo(const std::string& ip, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

TEST_F(CniTest, SetUpStatusTearDownWithTheRealPlugins) {
  PodNetworkRequest pod = NewPod(0);
  pod.port_mappings = {{"tcp", 80, 38080, ""}};
  auto up = plugin_->SetUpPod(pod, Deadline());
  ASSERT_TRUE(up.ok()) << up.status();
  ASSERT_EQ(up->ips.size(), 1u);
  const std::string ip = up->ips[0];
  EXPECT_THAT(ip, StartsWith(kSubnetPrefix));

  auto status = plugin_->GetPodNetworkStatus(pod, Deadline());
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->ips, up->ips) << "read from eth0 inside the netns";
  EXPECT_THAT(
      Cmd({"/usr/sbin/ip", "-n", netns_[0], "-o", "link", "show", "lo"}),
      HasSubstr("LOOPBACK,UP"));
  EXPECT_EQ(IpamAllocations(DataDir()), std::vector<std::string>{ip});
  EXPECT_EQ(BridgePorts().size(), 1u);
  EXPECT_THAT(NatRules(), HasSubstr("--dport 38080"))
      << "portmap got the runtimeConfig";

  // The host reaches the pod it made, on the pod's own address.
  const int listener = ListenInPod(pod.netns_path, 8080);
  ASSERT_GE(listener, 0);
  EXPECT_TRUE(ConnectTo(ip, 8080));
  close(listener);

  ASSERT_TRUE(plugin_->TearDownPod(pod, Deadline()).ok());
  EXPECT_TRUE(IpamAllocations(DataDir()).empty());
  EXPECT_TRUE(BridgePorts().empty()) << "veth gone";
  EXPECT_THAT(NatRules(), Not(HasSubstr("--dport 38080")));
  EXPECT_TRUE(List(dir_.path() + "/cache/results").empty());
  auto gone = plugin_->GetPodNetworkStatus(pod, Deadline());
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->ips.empty()) << "eth0 went with the veth";

  EXPECT_TRUE(plugin_->TearDownPod(pod, Deadline()).ok()) << "idempotent";
  Cmd({"/usr/sbin/ip", "netns", "del", netns_[0]});
  pod.netns_path = "";
  EXPECT_TRUE(plugin_->TearDownPod(pod, Deadline()).ok())
      << "no netns, no cache";
}

TEST_F(CniTest, TenPodsInParallelGetDistinctAddressesAndLeaveNothing) {
  constexpr int kPods = 10;
  std::vector<PodNetworkRequest> pods;
  for (int i = 0; i < kPods; ++i) pods.push_back(NewPod(i));
  std::vector<absl::StatusOr<PodNetworkStatus>> up(
      kPods, absl::UnknownError("not run"));
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kPods; ++i) {
      threads.emplace_back(
          [&, i] { up[i] = plugin_->SetUpPod(pods[i], Deadline()); });
    }
    for (std::thread& t : threads) t.join();
  }
  std::set<std::string> ips;
  for (int i = 0; i < kPods; ++i) {
    ASSERT_TRUE(up[i].ok()) << i << ": " << up[i].status();
    ASSERT_EQ(up[i]->ips.size(), 1u);
    EXPECT_THAT(up[i]->ips[0], StartsWith(kSubnetPrefix));
    ips.insert(up[i]->ips[0]);
  }
  EXPECT_EQ(ips.size(), static_cast<size_t>(kPods));
  EXPECT_EQ(IpamAllocations(DataDir()).size(), static_cast<size_t>(kPods));
  EXPECT_EQ(BridgePorts().size(), static_cast<size_t>(kPods));

  std::vector<absl::Status> down(kPods);
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kPods; ++i) {
      threads.emplace_back(
          [&, i] { down[i] = plugin_->TearDownPod(pods[i], Deadline()); });
    }
    for (std::thread& t : threads) t.join();
  }
  for (int i = 0; i < kPods; ++i) EXPECT_TRUE(down[i].ok()) << down[i];
  EXPECT_TRUE(IpamAllocations(DataDir()).empty());
  EXPECT_TRUE(BridgePorts().empty());
  EXPECT_TRUE(List(dir_.path() + "/cache/results").empty());
}

}  // namespace
}  // namespace cri_dockerd::network
