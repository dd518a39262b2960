#include "cri/network/cni_capabilities.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd::network {
namespace {

using ::testing::HasSubstr;

TEST(ParseQuantityTest, KubernetesQuantitiesRoundedUp) {
  const struct {
    const char* text;
    int64_t want;
  } cases[] = {
      {"1M", 1000000},
      {"10Mi", 10485760},
      {"1k", 1000},
      {"1Ki", 1024},
      {"1.5k", 1500},
      {"1.5Mi", 1572864},
      {"2G", 2000000000},
      {"1Gi", 1073741824},
      {"1P", 1000000000000000},
      {"5e3", 5000},
      {"5E3", 5000},
      {"1E", 1000000000000000000},
      {"100m", 1},
      {"0.1", 1},
      {"1001m", 2},
      {"0", 0},
      {"+7", 7},
      {"-7", -7},
      {".5k", 500},
      {"12.", 12},
      {"123456789", 123456789},
      {"0.000001T", 1000000},
      {"1e-40", 1},
      {"2Ti", 2199023255552},
  };
  for (const auto& c : cases) {
    auto got = ParseQuantity(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.text;
  }
  for (const char* bad : {"", "M", "1MB", "1 M", "1.2.3", "ki", "1Ki5", "1e",
                          "1kk", "1x", "10Ei", "99999E"}) {
    EXPECT_FALSE(ParseQuantity(bad).ok()) << bad;
  }
}

TEST(CapabilityArgsTest, BandwidthAsKubeletComputesIt) {
  PodNetworkRequest pod;
  pod.annotations = {{"kubernetes.io/ingress-bandwidth", "1M"},
                     {"kubernetes.io/egress-bandwidth", "1.5Gi"},
                     {"other", "x"}};
  auto args = BuildCapabilityArgs(pod, "");
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(*args,
            R"({"bandwidth":{"ingressRate":1000000,"ingressBurst":2147483647,)"
            R"("egressRate":1610612736,"egressBurst":2147483647}})");
  pod.annotations = {{"kubernetes.io/egress-bandwidth", "1P"}};
  EXPECT_EQ(*BuildCapabilityArgs(pod, ""),
            R"({"bandwidth":{"egressRate":1000000000000000,)"
            R"("egressBurst":2147483647}})")
      << "an integer, never 1e+15";
}

TEST(CapabilityArgsTest, BandwidthOutOfKubeletsBoundsIsRejected) {
  PodNetworkRequest pod;
  for (const char* v : {"999", "2P", "fast", "-1M"}) {
    pod.annotations = {{"kubernetes.io/ingress-bandwidth", v}};
    auto args = BuildCapabilityArgs(pod, "");
    EXPECT_EQ(args.status().code(), absl::StatusCode::kInvalidArgument) << v;
    EXPECT_THAT(args.status().message(),
                HasSubstr("kubernetes.io/ingress-bandwidth"));
  }
}

TEST(CapabilityArgsTest, PortsRangesAndDns) {
  PodNetworkRequest pod;
  EXPECT_EQ(*BuildCapabilityArgs(pod, ""), "{}");
  pod.port_mappings = {
      {"UDP", 53, 5353, "::1"}, {"", 80, 8080, ""}, {"tcp", 81, 0, ""}};
  pod.dns.servers = {"10.0.0.10"};
  pod.dns.options = {"ndots:2"};
  EXPECT_EQ(*BuildCapabilityArgs(pod, "10.1.0.0/24"),
            R"({"portMappings":[)"
            R"({"hostPort":5353,"containerPort":53,"protocol":"udp",)"
            R"("hostIP":"::1"},)"
            R"({"hostPort":8080,"containerPort":80,"protocol":"tcp"}],)"
            R"("ipRanges":[[{"subnet":"10.1.0.0/24"}]],)"
            R"("dns":{"servers":["10.0.0.10"],"options":["ndots:2"]}})");
}

TEST(CniArgsTest, KubeletOrder) {
  PodNetworkRequest pod;
  pod.pod_namespace = "n";
  pod.pod_name = "p";
  pod.pod_uid = "u";
  pod.sandbox_id = "id";
  EXPECT_EQ(JoinCniArgs(PodCniArgs(pod)),
            "IgnoreUnknown=1;K8S_POD_NAMESPACE=n;K8S_POD_NAME=p;"
            "K8S_POD_INFRA_CONTAINER_ID=id;K8S_POD_UID=u");
}

}  // namespace
}  // namespace cri_dockerd::network
