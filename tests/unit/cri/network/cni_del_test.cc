// TearDownPod (CNI DEL) and GetPodNetworkStatus against fake plugins:
// reverse order, the cached config and args, idempotency, a vanished netns.
#include "gmock/gmock.h"
#include "tests/unit/cri/network/cni_fixture.h"

namespace cri_dockerd::network {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kResult[] =
    R"({"cniVersion":"1.0.0","ips":[{"address":"10.244.0.7/24"},)"
    R"({"address":"fd00::7/64"}]})";

class CniDelTest : public FakeCniTest {
 protected:
  void TwoPlugins(const std::string& version) {
    conf_.Write("10-pods.conflist",
                absl::StrCat(R"({"cniVersion":")", version,
                             R"(","name":"pods","plugins":[{"type":"a"},
      {"type":"b","capabilities":{"portMappings":true}}]})"));
    ResultPlugin("a", kResult);
    ResultPlugin("b", kResult);
  }
  PodNetworkRequest PodWithPort() const {
    PodNetworkRequest pod = Pod();
    pod.port_mappings = {{"tcp", 80, 8080, ""}};
    return pod;
  }
};

TEST_F(CniDelTest, ReverseOrderWithCachedConfigEvenAfterTheConfChanged) {
  TwoPlugins("1.0.0");
  CniNetworkPlugin plugin(Settings());
  ASSERT_TRUE(plugin.SetUpPod(PodWithPort(), Deadline()).ok());
  const auto add_env = Env("a", "ADD");
  // The operator replaces the network: DEL must still undo the old one.
  unlink((conf_.path() + "/10-pods.conflist").c_str());
  conf_.Write(
      "05-new.conflist",
      R"({"cniVersion":"1.0.0","name":"new","plugins":[{"type":"z"}]})");
  ClearCalls();

  PodNetworkRequest pod = Pod();  // kubelet may not repeat the ports
  pod.pod_name = "";
  ASSERT_TRUE(plugin.TearDownPod(pod, Deadline()).ok());
  EXPECT_THAT(Calls(), ElementsAre("DEL b", "DEL a"));
  const std::string b = Stdin("b", "DEL");
  EXPECT_EQ(Member(b, "name"), "\"pods\"");
  EXPECT_EQ(Member(b, "prevResult"), kResult);
  EXPECT_EQ(Member(b, "runtimeConfig"),
            R"({"portMappings":[{"hostPort":8080,"containerPort":80,)"
            R"("protocol":"tcp"}]})")
      << "the cached capability args";
  auto del_env = Env("a", "DEL");
  EXPECT_EQ(del_env["CNI_COMMAND"], "DEL");
  EXPECT_EQ(del_env["CNI_ARGS"], add_env.at("CNI_ARGS")) << "the cached args";
  EXPECT_EQ(del_env["CNI_NETNS"], netns_.path());
  EXPECT_NE(access(CacheFile("pods").c_str(), F_OK), 0) << "entry removed";
}

TEST_F(CniDelTest, NoPrevResultBefore040) {
  TwoPlugins("0.3.1");
  CniNetworkPlugin plugin(Settings());
  ASSERT_TRUE(plugin.SetUpPod(Pod(), Deadline()).ok());
  EXPECT_EQ(Member(Stdin("b", "ADD"), "prevResult"), kResult)
      << "ADD chains prevResult for 0.3.x too, as libcni does";
  ASSERT_TRUE(plugin.TearDownPod(Pod(), Deadline()).ok());
  EXPECT_EQ(Member(Stdin("b", "DEL"), "prevResult"), "");
}

TEST_F(CniDelTest, IdempotentTwiceAndWithoutCacheOrNetns) {
  TwoPlugins("1.0.0");
  CniNetworkPlugin plugin(Settings());
  ASSERT_TRUE(plugin.SetUpPod(Pod(), Deadline()).ok());
  ASSERT_TRUE(plugin.TearDownPod(Pod(), Deadline()).ok());
  ClearCalls();
  // No cache now: DEL with the current config, no prevResult.
  ASSERT_TRUE(plugin.TearDownPod(Pod(), Deadline()).ok());
  EXPECT_THAT(Calls(), ElementsAre("DEL b", "DEL a"));
  EXPECT_EQ(Member(Stdin("b", "DEL"), "prevResult"), "");
  // And with the netns gone too: CNI_NETNS is empty, as CNI allows.
  netns_.Kill();
  ClearCalls();
  ASSERT_TRUE(plugin.TearDownPod(Pod(), Deadline()).ok());
  EXPECT_THAT(Calls(), ElementsAre("DEL b", "DEL a"));
  EXPECT_EQ(Env("a", "DEL")["CNI_NETNS"], "");
}

TEST_F(CniDelTest, NoConfigAndNoCacheSucceedsWithoutCallingAnything) {
  CniNetworkPlugin plugin(Settings());
  EXPECT_TRUE(plugin.TearDownPod(Pod(), Deadline()).ok());
  EXPECT_THAT(Calls(), IsEmpty());
}

TEST_F(CniDelTest, NetnsGoneStatusFallsBackToTheCacheAndDelStillRuns) {
  TwoPlugins("1.0.0");
  CniNetworkPlugin plugin(Settings());
  ASSERT_TRUE(plugin.SetUpPod(Pod(), Deadline()).ok());
  netns_.Kill();
  auto status = plugin.GetPodNetworkStatus(Pod(), Deadline());
  ASSERT_TRUE(status.ok());
  EXPECT_THAT(status->ips, ElementsAre("10.244.0.7", "fd00::7"));
  PodNetworkRequest no_netns = Pod();
  no_netns.netns_path = "";
  status = plugin.GetPodNetworkStatus(no_netns, Deadline());
  ASSERT_TRUE(status.ok());
  EXPECT_THAT(status->ips, ElementsAre("10.244.0.7", "fd00::7"));

  ASSERT_TRUE(plugin.TearDownPod(Pod(), Deadline()).ok());
  EXPECT_EQ(Env("b", "DEL")["CNI_NETNS"], "");
  EXPECT_EQ(Member(Stdin("b", "DEL"), "prevResult"), kResult);
  status = plugin.GetPodNetworkStatus(no_netns, Deadline());
  ASSERT_TRUE(status.ok());
  EXPECT_THAT(status->ips, IsEmpty());
}

TEST_F(CniDelTest, FailedDelKeepsTheCacheForTheRetry) {
  TwoPlugins("1.0.0");
  Plugin("b", absl::StrCat("cat <<'EOF'\n", kResult, "\nEOF"),
         R"(echo '{"cniVersion":"1.0.0","code":11,"msg":"busy"}'; exit 1)");
  CniNetworkPlugin plugin(Settings());
  ASSERT_TRUE(plugin.SetUpPod(Pod(), Deadline()).ok());
  absl::Status del = plugin.TearDownPod(Pod(), Deadline());
  EXPECT_EQ(del.code(), absl::StatusCode::kUnavailable) << del;
  EXPECT_THAT(del.message(),
              HasSubstr("plugin \"b\" DEL failed: code 11: busy"));
  EXPECT_THAT(Calls(), ElementsAre("ADD a", "ADD b", "DEL b", "DEL a"))
      << "DEL goes on past a failing plugin";
  EXPECT_EQ(access(CacheFile("pods").c_str(), F_OK), 0) << "kept";
}

}  // namespace
}  // namespace cri_dockerd::network
