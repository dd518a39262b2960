#include "cmd/cri-dockerd/flags.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace cri_dockerd {
namespace {

TEST(FlagsTest, DefaultsMatchTheGoShim) {
  absl::StatusOr<Flags> f = ParseFlags({});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->container_runtime_endpoint, "unix:///var/run/cri-dockerd.sock");
  EXPECT_EQ(f->docker_endpoint, "unix:///var/run/docker.sock");
  EXPECT_EQ(f->cri_dockerd_root_directory, "/var/lib/cri-dockerd");
  EXPECT_EQ(f->network_plugin, "cni");
  EXPECT_EQ(f->cni_bin_dir, "/opt/cni/bin");
  EXPECT_EQ(f->cni_conf_dir, "/etc/cni/net.d");
  EXPECT_EQ(f->cni_cache_dir, "/var/lib/cni/cache");
  EXPECT_EQ(f->pod_infra_container_image, "registry.k8s.io/pause:3.10");
  EXPECT_EQ(f->image_pull_progress_deadline, absl::Minutes(1));
  EXPECT_EQ(f->runtime_request_timeout, absl::ZeroDuration());
  EXPECT_EQ(f->log_level, "info");
  EXPECT_EQ(f->hairpin_mode, "none");
  EXPECT_EQ(f->network_plugin_mtu, 0);
  EXPECT_FALSE(f->ipv6_dual_stack);
  EXPECT_FALSE(f->help);
}

TEST(FlagsTest, AcceptsSpaceAndEqualsForms) {
  absl::StatusOr<Flags> f =
      ParseFlags({"--container-runtime-endpoint",
                  "fd://",
                  "--docker-endpoint=tcp://127.0.0.1:2375",
                  "--network-plugin=",
                  "--cni-bin-dir",
                  "/a,/b",
                  "--network-plugin-mtu=1450",
                  "--hairpin-mode",
                  "hairpin-veth",
                  "--pod-cidr=10.1.0.0/16",
                  "--image-pull-progress-deadline",
                  "90s",
                  "--runtime-request-timeout=2m0s",
                  "--streaming-bind-addr=127.0.0.1:10010",
                  "--runtime-cgroups=/system.slice/cri",
                  "--log-level=debug",
                  "--ipv6-dual-stack",
                  "--pod-infra-container-image=localhost:5000/pause:3.10",
                  "--cri-dockerd-root-directory",
                  "/tmp/crid"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->container_runtime_endpoint, "fd://");
  EXPECT_EQ(f->docker_endpoint, "tcp://127.0.0.1:2375");
  EXPECT_EQ(f->network_plugin, "");
  EXPECT_EQ(f->cni_bin_dir, "/a,/b");
  EXPECT_EQ(f->network_plugin_mtu, 1450);
  EXPECT_EQ(f->hairpin_mode, "hairpin-veth");
  EXPECT_EQ(f->pod_cidr, "10.1.0.0/16");
  EXPECT_EQ(f->image_pull_progress_deadline, absl::Seconds(90));
  EXPECT_EQ(f->runtime_request_timeout, absl::Minutes(2));
  EXPECT_EQ(f->streaming_bind_addr, "127.0.0.1:10010");
  EXPECT_EQ(f->runtime_cgroups, "/system.slice/cri");
  EXPECT_EQ(f->log_level, "debug");
  EXPECT_TRUE(f->ipv6_dual_stack);
  EXPECT_EQ(f->pod_infra_container_image, "localhost:5000/pause:3.10");
  EXPECT_EQ(f->cri_dockerd_root_directory, "/tmp/crid");
}

TEST(FlagsTest, BoolsTakeOnlyTheEqualsForm) {
  absl::StatusOr<Flags> f = ParseFlags({"--ipv6-dual-stack=false", "-h"});
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->ipv6_dual_stack);
  EXPECT_TRUE(f->help);
  // A bare bool never swallows the next argument.
  f = ParseFlags({"--version", "--log-level=warn"});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->version);
  EXPECT_EQ(f->log_level, "warn");
  f = ParseFlags({"--buildinfo=T"});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->buildinfo);
}

TEST(FlagsTest, StreamingIdleTimeoutIsKubeletsWithItsDefault) {
  absl::StatusOr<Flags> f = ParseFlags({});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->streaming_connection_idle_timeout, absl::Hours(4));
  f = ParseFlags({"--streaming-connection-idle-timeout", "90m"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->streaming_connection_idle_timeout, absl::Minutes(90));
  f = ParseFlags({"--streaming-connection-idle-timeout=0"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->streaming_connection_idle_timeout, absl::ZeroDuration());
  for (const char* bad : {"-1s", "soon", ""}) {
    f = ParseFlags({absl::StrCat("--streaming-connection-idle-timeout=", bad)});
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_NE(f.status().message().find("--streaming-connection-idle-timeout"),
              std::string::npos)
        << f.status();
  }
  const std::string usage = Usage();
  EXPECT_NE(usage.find("--streaming-connection-idle-timeout duration"),
            std::string::npos)
      << usage;
  EXPECT_NE(usage.find("0 means no timeout. (default 4h0m0s)"),
            std::string::npos)
      << usage;
}

struct BadCase {
  std::vector<std::string> args;
  const char* must_mention;
};

TEST(FlagsTest, BadInputNamesTheFlag) {
  const BadCase cases[] = {
      {{"--no-such-flag"}, "--no-such-flag"},
      {{"--no-such-flag=1"}, "--no-such-flag"},
      {{"--docker-endpoint"}, "--docker-endpoint"},
      {{"--image-pull-progress-deadline=soon"},
       "--image-pull-progress-deadline"},
      {{"--image-pull-progress-deadline=0s"}, "--image-pull-progress-deadline"},
      {{"--runtime-request-timeout", "-1s"}, "--runtime-request-timeout"},
      {{"--network-plugin-mtu=big"}, "--network-plugin-mtu"},
      {{"--network-plugin-mtu=-5"}, "--network-plugin-mtu"},
      {{"--hairpin-mode=sideways"}, "--hairpin-mode"},
      {{"--network-plugin=kubenet"}, "kubenet"},
      {{"--network-plugin=flannel"}, "--network-plugin"},
      {{"--log-level=loud"}, "--log-level"},
      {{"--ipv6-dual-stack=maybe"}, "--ipv6-dual-stack"},
      {{"--runtime-cgroups=relative"}, "--runtime-cgroups"},
      {{"--runtime-cgroups=/a/../b"}, "--runtime-cgroups"},
      {{"--metrics-bind-addr=9101"}, "--metrics-bind-addr"},
      {{"--metrics-bind-addr", "localhost:9101"}, "--metrics-bind-addr"},
      {{"--metrics-bind-addr=127.0.0.1:0"}, "--metrics-bind-addr"},
      {{"--metrics-bind-addr=127.0.0.1:99999"}, "--metrics-bind-addr"},
      {{"--docker-log-max-size=0"}, "--docker-log-max-size"},
      {{"--docker-log-max-size=ten"}, "--docker-log-max-size"},
      {{"--docker-log-max-size=10x"}, "--docker-log-max-size"},
      {{"--docker-log-max-size="}, "--docker-log-max-size"},
      {{"--docker-log-max-size=-1"}, "--docker-log-max-size"},
      {{"--docker-log-max-file=1"}, "--docker-log-max-file"},
      {{"--docker-log-max-file", "0"}, "--docker-log-max-file"},
      {{"--docker-log-max-file=two"}, "--docker-log-max-file"},
      {{"serve"}, "serve"},
      {{"-version"}, "-version"},
      {{"--"}, "--"},
  };
  for (const BadCase& c : cases) {
    absl::StatusOr<Flags> f = ParseFlags(c.args);
    ASSERT_FALSE(f.ok()) << c.args[0];
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(f.status().message().find(c.must_mention), std::string::npos)
        << f.status();
    EXPECT_EQ(f.status().message().find('\n'), std::string::npos)
        << "one line: " << f.status();
  }
}

TEST(FlagsTest, MetricsBindAddrIsOffByDefaultAndTakesIpPort) {
  EXPECT_EQ(ParseFlags({})->metrics_bind_addr, "");
  EXPECT_EQ(
      ParseFlags({"--metrics-bind-addr", "127.0.0.1:9101"})->metrics_bind_addr,
      "127.0.0.1:9101");
  EXPECT_EQ(ParseFlags({"--metrics-bind-addr=[::]:9101"})->metrics_bind_addr,
            "[::]:9101");
  EXPECT_EQ(ParseFlags({"--metrics-bind-addr="})->metrics_bind_addr, "");
}

TEST(FlagsTest, DockerLogLimitsDefaultAndTakeDockerSyntax) {
  EXPECT_EQ(ParseFlags({})->docker_log_max_size, "10m");
  EXPECT_EQ(ParseFlags({})->docker_log_max_file, 2);
  for (const char* size :
       {"512k", "10m", "1g", "1.5g", "100", "20MB", "8KiB"}) {
    absl::StatusOr<Flags> f = ParseFlags({"--docker-log-max-size", size});
    ASSERT_TRUE(f.ok()) << size << ": " << f.status();
    EXPECT_EQ(f->docker_log_max_size, size);
  }
  EXPECT_EQ(ParseFlags({"--docker-log-max-file=5"})->docker_log_max_file, 5);
}

TEST(FlagsTest, UsageListsEveryFlagWithDefaults) {
  const std::string usage = Usage();
  for (const char* name : {"--container-runtime-endpoint",
                           "--docker-endpoint",
                           "--cri-dockerd-root-directory",
                           "--network-plugin ",
                           "--cni-bin-dir",
                           "--cni-conf-dir",
                           "--cni-cache-dir",
                           "--network-plugin-mtu",
                           "--hairpin-mode",
                           "--pod-cidr",
                           "--ipv6-dual-stack",
                           "--pod-infra-container-image",
                           "--image-pull-progress-deadline",
                           "--runtime-request-timeout",
                           "--streaming-bind-addr",
                           "--runtime-cgroups",
                           "--metrics-bind-addr string",
                           "--docker-log-max-size string",
                           "--docker-log-max-file int32",
                           "--log-level",
                           "--version",
                           "--buildinfo",
                           "-h, --help"}) {
    EXPECT_NE(usage.find(name), std::string::npos) << name;
  }
  EXPECT_NE(usage.find("(default 1m0s)"), std::string::npos);
  EXPECT_NE(usage.find("(default \"10m\")"), std::string::npos);
  EXPECT_NE(usage.find("max-file); at least 2"), std::string::npos);
  EXPECT_NE(usage.find("(default \"registry.k8s.io/pause:3.10\")"),
            std::string::npos);
}

TEST(FlagsTest, InertNetworkFlagsAreAcceptedWithAWarning) {
  absl::StatusOr<Flags> defaults = ParseFlags({});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_TRUE(InertFlagWarnings(*defaults).empty());
  absl::StatusOr<Flags> f = ParseFlags(
      {"--network-plugin-mtu=1450", "--hairpin-mode=promiscuous-bridge"});
  ASSERT_TRUE(f.ok()) << f.status();
  const std::vector<std::string> warnings = InertFlagWarnings(*f);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("--network-plugin-mtu=1450 has no effect"),
            std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[0].find("\"mtu\""), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("--hairpin-mode=promiscuous-bridge has no effect"),
            std::string::npos)
      << warnings[1];
  // Bad values are still refused.
  EXPECT_FALSE(ParseFlags({"--hairpin-mode=sometimes"}).ok());
  EXPECT_FALSE(ParseFlags({"--network-plugin-mtu=-1"}).ok());
}

}  // namespace
}  // namespace cri_dockerd
