// SetUpPod (CNI ADD) against fake plugins: environment, stdin injection,
// chaining, rollback, caching, deadlines.
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "absl/strings/escaping.h"
#include "cri/network/netns_addrs.h"
#include "gmock/gmock.h"
#include "tests/poll_until.h"
#include "tests/unit/cri/network/cni_fixture.h"

namespace cri_dockerd::network {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kResultA[] =
    R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/x"}],)"
    R"("ips":[{"address":"fd00::9/64","interface":0},)"
    R"({"address":"10.244.0.5/24","interface":0,"gateway":"10.244.0.1"}],)"
    R"("big":123456789012345678})";
constexpr char kResultB[] =
    R"({"cniVersion":"1.0.0","ips":[{"address":"10.244.0.5/24"}],"b":1})";

// True once `pid` no longer runs (gone, or a zombie of someone else's);
// false if it still runs after 30 s.
bool Gone(int pid) {
  return testing_util::PollUntil([pid] {
    const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    return stat.empty() || stat.find(") Z ") != std::string::npos;
  });
}

class CniAddTest : public FakeCniTest {
 protected:
  void ThreePlugins(const std::string& version = "1.0.0") {
    conf_.Write("10-pods.conflist", absl::StrCat(R"({"cniVersion":")", version,
                                                 R"(","name":"pods","plugins":[
      {"type":"a","bridge":"x","capabilities":{"portMappings":true,
        "bandwidth":true,"dns":false},"mtu":1500},
      {"type":"b","capabilities":{"dns":true,"ipRanges":true}},
      {"type":"c","runtimeConfig":{"keep":1}}]})"));
    ResultPlugin("a", kResultA);
    ResultPlugin("b", kResultB);
    ResultPlugin("c", kResultB);
  }
};

TEST_F(CniAddTest, EnvironmentAndCniArgsExactly) {
  ThreePlugins();
  CniNetworkPlugin plugin(Settings());
  ASSERT_TRUE(plugin.SetUpPod(Pod(), Deadline()).ok());
  const char* path = getenv("PATH");
  std::map<std::string, std::string> want = {
      {"CNI_COMMAND", "ADD"},
      {"CNI_CONTAINERID", kId},
      {"CNI_NETNS", netns_.path()},
      {"CNI_IFNAME", "eth0"},
      {"CNI_PATH", empty_bin_.path() + ":" + bin_.path()},
      {"CNI_ARGS", absl::StrCat("IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;"
                                "K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=",
                                kId, ";K8S_POD_UID=uid-1")},
      {"PATH", path ? path : ""}};
  EXPECT_EQ(Env("a", "ADD"), want);
  EXPECT_EQ(Env("c", "ADD"), want);
}

TEST_F(CniAddTest, StdinHasNameVersionPrevResultAndDeclaredCapabilities) {
  ThreePlugins();
  CniNetworkPlugin plugin(Settings());
  plugin.SetPodCidr("10.244.0.0/24");
  PodNetworkRequest pod = Pod();
  pod.port_mappings = {{"TCP", 80, 8080, "127.0.0.1"}, {"udp", 53, 0, ""}};
  pod.annotations = {{"kubernetes.io/ingress-bandwidth", "1M"},
                     {"kubernetes.io/egress-bandwidth", "10Mi"}};
  pod.dns = {{"10.96.0.10"}, {"svc.cluster.local"}, {"ndots:5"}};
  ASSERT_TRUE(plugin.SetUpPod(pod, Deadline()).ok());

  const std::string a = Stdin("a", "ADD");
  EXPECT_EQ(Member(a, "name"), "\"pods\"");
  EXPECT_EQ(Member(a, "cniVersion"), "\"1.0.0\"");
  EXPECT_EQ(Member(a, "mtu"), "1500") << "own fields kept";
  EXPECT_EQ(Member(a, "prevResult"), "") << "first plugin has none";
  EXPECT_EQ(Member(a, "runtimeConfig"),
            R"({"portMappings":[{"hostPort":8080,"containerPort":80,)"
            R"("protocol":"tcp","hostIP":"127.0.0.1"}],"bandwidth":{)"
            R"("ingressRate":1000000,"ingressBurst":2147483647,)"
            R"("egressRate":10485760,"egressBurst":2147483647}})");

  const std::string b = Stdin("b", "ADD");
  EXPECT_EQ(Member(b, "prevResult"), kResultA) << "byte for byte";
  EXPECT_EQ(Member(b, "runtimeConfig"),
            R"({"dns":{"servers":["10.96.0.10"],"searches":)"
            R"(["svc.cluster.local"],"options":["ndots:5"]},)"
            R"("ipRanges":[[{"subnet":"10.244.0.0/24"}]]})");

  const std::string c = Stdin("c", "ADD");
  EXPECT_EQ(Member(c, "prevResult"), kResultB);
  EXPECT_EQ(Member(c, "runtimeConfig"), R"({"keep":1})")
      << "no capabilities: its own runtimeConfig stays";
}

TEST_F(CniAddTest, ChainsForwardReturnsIpsAndCachesInLibcniLayout) {
  ThreePlugins();
  ResultPlugin("c", kResultA);
  CniNetworkPlugin plugin(Settings());
  PodNetworkRequest pod = Pod();
  pod.port_mappings = {{"tcp", 80, 8080, ""}};
  auto status = plugin.SetUpPod(pod, Deadline());
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_THAT(Calls(), ElementsAre("ADD a", "ADD b", "ADD c"));
  EXPECT_THAT(status->ips, ElementsAre("10.244.0.5", "fd00::9"));

  const std::string cache = ReadFile(CacheFile("pods"));
  ASSERT_FALSE(cache.empty());
  struct stat st;
  ASSERT_EQ(stat(CacheFile("pods").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(Member(cache, "kind"), "\"cniCacheV1\"");
  EXPECT_EQ(Member(cache, "containerId"), absl::StrCat("\"", kId, "\""));
  EXPECT_EQ(Member(cache, "ifName"), "\"eth0\"");
  EXPECT_EQ(Member(cache, "networkName"), "\"pods\"");
  std::string config;
  ASSERT_TRUE(absl::Base64Unescape(
      Member(cache, "config").substr(1, Member(cache, "config").size() - 2),
      &config));
  EXPECT_EQ(config, ReadFile(conf_.path() + "/10-pods.conflist"));
  EXPECT_EQ(
      Member(cache, "cniArgs"),
      absl::StrCat(R"([["IgnoreUnknown","1"],["K8S_POD_NAMESPACE","ns1"],)"
                   R"(["K8S_POD_NAME","web"],["K8S_POD_INFRA_CONTAINER_ID",")",
                   kId, R"("],["K8S_POD_UID","uid-1"]])"));
  EXPECT_EQ(Member(cache, "capabilityArgs"),
            R"({"portMappings":[{"hostPort":8080,"containerPort":80,)"
            R"("protocol":"tcp"}]})");
  EXPECT_EQ(Member(cache, "result"), kResultA);
}

TEST_F(CniAddTest, FailureInSecondPluginDeletesTheWholeListAndNamesIt) {
  ThreePlugins();
  Plugin("b", R"(echo '{"cniVersion":"1.0.0","code":7,"msg":"bad bridge",)"
              R"("details":"no such thing"}'; exit 1)");
  CniNetworkPlugin plugin(Settings());
  auto status = plugin.SetUpPod(Pod(), Deadline());
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.status().message(), HasSubstr("plugin \"b\" ADD"));
  EXPECT_THAT(status.status().message(), HasSubstr("code 7: bad bridge"));
  EXPECT_THAT(status.status().message(), HasSubstr("no such thing"));
  EXPECT_THAT(Calls(),
              ElementsAre("ADD a", "ADD b", "DEL c", "DEL b", "DEL a"));
  EXPECT_EQ(Member(Stdin("a", "DEL"), "prevResult"), kResultA)
      << "the rollback passes what was made so far";
  EXPECT_NE(access(CacheFile("pods").c_str(), F_OK), 0) << "nothing cached";
}

TEST_F(CniAddTest, FaultPointIsReachedOnceBetweenTheFirstPluginAndTheRest) {
  ThreePlugins();
  NetworkSettings settings = Settings();
  std::vector<std::string> reached;
  std::vector<std::string> calls_then;
  bool cached_then = true;
  settings.fault_point = FaultPoint([&](absl::string_view step) {
    reached.emplace_back(step);
    calls_then = Calls();
    cached_then = access(CacheFile("pods").c_str(), F_OK) == 0;
  });
  CniNetworkPlugin plugin(settings);
  ASSERT_TRUE(plugin.SetUpPod(Pod(), Deadline()).ok());
  EXPECT_THAT(reached, ElementsAre(fault_step::kRunMidCniAdd));
  EXPECT_THAT(calls_then, ElementsAre("ADD a"));
  EXPECT_FALSE(cached_then);
}

TEST_F(CniAddTest, PluginWithoutErrorJsonReportsExitAndStderr) {
  ThreePlugins();
  Plugin("a", "echo 'cannot frobnicate' >&2; exit 3");
  CniNetworkPlugin plugin(Settings());
  auto status = plugin.SetUpPod(Pod(), Deadline());
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.status().message(), HasSubstr("exit status 3"));
  EXPECT_THAT(status.status().message(), HasSubstr("cannot frobnicate"));
}

TEST_F(CniAddTest, DeadlineKillsThePluginAndItsChildrenLeavingNoZombie) {
  ThreePlugins();
  const std::string r = rec_.path();
  Plugin("b", absl::StrCat("echo $$ > ", r, "/b.pid; sleep 60 & echo $! > ", r,
                           "/sleep.pid; wait"));
  CniNetworkPlugin plugin(Settings());
  const absl::Time start = absl::Now();
  auto status = plugin.SetUpPod(Pod(), absl::Now() + absl::Seconds(2));
  EXPECT_EQ(status.status().code(), absl::StatusCode::kDeadlineExceeded)
      << status.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_THAT(Calls(),
              ElementsAre("ADD a", "ADD b", "DEL c", "DEL b", "DEL a"));
  const int b_pid = std::stoi(ReadFile(r + "/b.pid"));
  const int sleep_pid = std::stoi(ReadFile(r + "/sleep.pid"));
  EXPECT_EQ(waitpid(b_pid, nullptr, WNOHANG), -1) << "already reaped";
  EXPECT_EQ(errno, ECHILD);
  EXPECT_TRUE(Gone(b_pid));
  // The plugin's own child was in its process group and died with it
  // (reparented, so init reaps it).
  EXPECT_TRUE(Gone(sleep_pid));
}

TEST_F(CniAddTest, BringsUpLoAndReadsAddressesInTheNetns) {
  ThreePlugins();
  CniNetworkPlugin plugin(Settings());
  ASSERT_TRUE(plugin.SetUpPod(Pod(), Deadline()).ok());
  short flags = 0;
  ASSERT_TRUE(RunInNetns(netns_.path(), [&]() -> absl::Status {
                const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                ifreq req = {};
                strcpy(req.ifr_name, "lo");
                ioctl(s, SIOCGIFFLAGS, &req);
                flags = req.ifr_flags;
                close(s);
                return absl::OkStatus();
              }).ok());
  EXPECT_TRUE(flags & IFF_UP);
  auto status = plugin.GetPodNetworkStatus(Pod(), Deadline());
  ASSERT_TRUE(status.ok());
  EXPECT_THAT(status->ips, ElementsAre("10.1.2.3", "fd00::5"))
      << "from the netns (no fe80::), not from the cached result";
}

TEST_F(CniAddTest, UnsupportedVersionIsRejectedInReady) {
  ThreePlugins("0.2.0");
  CniNetworkPlugin plugin(Settings());
  absl::Status ready = plugin.Ready();
  EXPECT_FALSE(ready.ok());
  EXPECT_THAT(ready.message(),
              HasSubstr("cniVersion \"0.2.0\" is not supported"));
  EXPECT_THAT(ready.message(), HasSubstr("1.1.0"));
  auto status = plugin.SetUpPod(Pod(), Deadline());
  EXPECT_EQ(status.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Calls().empty());
}

TEST_F(CniAddTest, ConfigAppearingOrChangingLaterIsUsedWithoutRestart) {
  CniNetworkPlugin plugin(Settings());
  EXPECT_FALSE(plugin.SetUpPod(Pod(), Deadline()).ok());
  ResultPlugin("a", kResultB);
  conf_.Write("20-one.conf",
              R"({"cniVersion":"0.3.1","name":"one","type":"a"})");
  ASSERT_TRUE(plugin.Ready().ok()) << plugin.Ready();
  ASSERT_TRUE(plugin.SetUpPod(Pod(), Deadline()).ok());
  EXPECT_EQ(Member(Stdin("a", "ADD"), "name"), "\"one\"");
  EXPECT_EQ(Member(ReadFile(CacheFile("one")), "config"),
            "\"" +
                absl::Base64Escape(
                    R"({"cniVersion":"0.3.1","name":"one","plugins":[)"
                    R"({"cniVersion":"0.3.1","name":"one","type":"a"}]})") +
                "\"")
      << "a .conf is cached as libcni's one-plugin list";
  conf_.Write("10-two.conf",
              R"({"cniVersion":"0.4.0","name":"two","type":"a"})");
  PodNetworkRequest other = Pod();
  other.sandbox_id = "fedcba";
  ASSERT_TRUE(plugin.SetUpPod(other, Deadline()).ok());
  EXPECT_EQ(Member(Stdin("a", "ADD"), "name"), "\"two\"");
}

TEST_F(CniAddTest, BadBandwidthAnnotationFailsBeforeAnyPluginRuns) {
  ThreePlugins();
  CniNetworkPlugin plugin(Settings());
  PodNetworkRequest pod = Pod();
  pod.annotations = {{"kubernetes.io/ingress-bandwidth", "10"}};
  auto status = plugin.SetUpPod(pod, Deadline());
  EXPECT_EQ(status.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.status().message(), HasSubstr("unreasonably small"));
  EXPECT_TRUE(Calls().empty());
}

}  // namespace
}  // namespace cri_dockerd::network
