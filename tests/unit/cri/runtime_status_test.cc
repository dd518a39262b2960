#include <map>
#include <vector>

#include "tests/unit/cri/test_util.h"

namespace cri_dockerd {
namespace {

using testing_util::kBridgeConflist;
using testing_util::RuntimeServiceTest;

class StatusTest : public RuntimeServiceTest {
 protected:
  std::map<std::string, v1::RuntimeCondition> Conditions(
      const v1::StatusResponse& resp) {
    std::map<std::string, v1::RuntimeCondition> out;
    for (const auto& c : resp.status().conditions()) out[c.type()] = c;
    return out;
  }
  void MakeNetworkReady() {
    conf_dir_.Write("10-pods.conflist", kBridgeConflist);
    bin_dir_.MakeExecutable("bridge");
    bin_dir_.MakeExecutable("portmap");
  }
};

TEST_F(StatusTest, AllReady) {
  MakeNetworkReady();
  auto resp = service_->Status(Ctx(), {});
  ASSERT_TRUE(resp.ok()) << resp.status();
  auto conds = Conditions(*resp);
  ASSERT_EQ(conds.size(), 2u);
  EXPECT_TRUE(conds["RuntimeReady"].status());
  EXPECT_TRUE(conds["NetworkReady"].status())
      << conds["NetworkReady"].message();
  EXPECT_TRUE(conds["RuntimeReady"].reason().empty());
  EXPECT_TRUE(resp->info().empty()) << "info only when verbose";
}

TEST_F(StatusTest, DockerDownGivesRuntimeNotReadyWithReason) {
  MakeNetworkReady();
  docker_.InjectError("Ping", absl::UnavailableError(
                                  "cannot connect to unix:///x/docker.sock"));
  auto resp = service_->Status(Ctx(), {});
  ASSERT_TRUE(resp.ok()) << "Status itself must not fail: " << resp.status();
  auto conds = Conditions(*resp);
  EXPECT_FALSE(conds["RuntimeReady"].status());
  EXPECT_EQ(conds["RuntimeReady"].reason(), "DockerDaemonNotReady");
  EXPECT_NE(conds["RuntimeReady"].message().find("cannot connect"),
            std::string::npos);
  EXPECT_TRUE(conds["NetworkReady"].status());
  EXPECT_EQ(resp->runtime_handlers_size(), 0);
  // Recovery needs no restart.
  docker_.ClearError("Ping");
  resp = service_->Status(Ctx(), {});
  EXPECT_TRUE(Conditions(*resp)["RuntimeReady"].status());
}

TEST_F(StatusTest, PingIsBoundedByStatusPingTimeout) {
  const absl::Time before = absl::Now();
  ASSERT_TRUE(service_->Status(CallContext{}, {}).ok());
  EXPECT_LE(docker_.LastDeadline(), absl::Now() + options_.status_ping_timeout);
  EXPECT_GE(docker_.LastDeadline(), before);
}

TEST_F(StatusTest, NetworkNotReadyUntilAConfigAppears) {
  auto resp = service_->Status(Ctx(), {});
  ASSERT_TRUE(resp.ok());
  auto net = Conditions(*resp)["NetworkReady"];
  EXPECT_FALSE(net.status());
  EXPECT_EQ(net.reason(), "NetworkPluginNotReady");
  EXPECT_NE(net.message().find("cni config uninitialized"), std::string::npos)
      << net.message();
  EXPECT_NE(net.message().find(conf_dir_.path()), std::string::npos);

  conf_dir_.Write("10-pods.conflist", kBridgeConflist);
  net = Conditions(*service_->Status(Ctx(), {}))["NetworkReady"];
  EXPECT_FALSE(net.status()) << "plugin binaries still missing";
  EXPECT_NE(net.message().find("\"bridge\""), std::string::npos)
      << net.message();

  bin_dir_.MakeExecutable("bridge");
  bin_dir_.MakeExecutable("portmap");
  net = Conditions(*service_->Status(Ctx(), {}))["NetworkReady"];
  EXPECT_TRUE(net.status()) << net.message();
}

TEST_F(StatusTest, RuntimeHandlersAreDockerRuntimesPlusDefault) {
  docker::SystemInfo info;
  info.runtimes = {"runc", "io.containerd.runc.v2", "kata"};
  info.default_runtime = "runc";
  docker_.SetInfo(info);
  auto resp = service_->Status(Ctx(), {});
  ASSERT_TRUE(resp.ok());
  std::vector<std::string> names;
  for (const auto& h : resp->runtime_handlers()) names.push_back(h.name());
  EXPECT_EQ(names, (std::vector<std::string>{"", "io.containerd.runc.v2",
                                             "kata", "runc"}));
}

// kubelet downgrades recursiveReadOnly: IfPossible, and refuses Enabled,
// unless every handler says it can: from Docker 25 (API 1.44) on a kernel
// with mount_setattr.
TEST_F(StatusTest, RecursiveReadOnlyMountsFollowTheEngineAndTheKernel) {
  docker::SystemInfo info;
  info.runtimes = {"runc", "kata"};
  info.default_runtime = "runc";
  docker_.SetInfo(info);
  auto rro = [](const v1::StatusResponse& resp) {
    std::vector<bool> out;
    for (const auto& h : resp.runtime_handlers()) {
      out.push_back(h.features().recursive_read_only_mounts());
    }
    return out;
  };
  auto resp = service_->Status(Ctx(), {});  // the fake speaks API 1.41
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(rro(*resp), (std::vector<bool>{false, false, false}));

  docker::VersionInfo v;
  v.version = "26.1.5";
  v.api_version = "1.45";
  docker_.SetVersion(v);
  resp = service_->Status(Ctx(), {});
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(rro(*resp), (std::vector<bool>{true, true, true}));

  RuntimeOptions old_kernel = options_;
  old_kernel.kernel_recursive_read_only = false;
  RuntimeService service(&docker_, network_.get(), images_.get(),
                         checkpoints_.get(), old_kernel);
  resp = service.Status(Ctx(), {});
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(rro(*resp), (std::vector<bool>{false, false, false}));
}

TEST_F(StatusTest, VerboseAddsConfigAndDockerInfoAsJson) {
  v1::StatusRequest req;
  req.set_verbose(true);
  auto resp = service_->Status(Ctx(), req);
  ASSERT_TRUE(resp.ok());
  ASSERT_EQ(resp->info().count("config"), 1u);
  const std::string& config = resp->info().at("config");
  EXPECT_EQ(config.front(), '{');
  EXPECT_NE(config.find("\"sandboxImage\":\"registry.k8s.io/pause:3.10\""),
            std::string::npos)
      << config;
  EXPECT_NE(config.find("\"networkPlugin\":\"cni\""), std::string::npos);
  ASSERT_EQ(resp->info().count("docker"), 1u);
  EXPECT_NE(resp->info().at("docker").find("\"cgroupDriver\":\"cgroupfs\""),
            std::string::npos)
      << resp->info().at("docker");
}

}  // namespace
}  // namespace cri_dockerd
