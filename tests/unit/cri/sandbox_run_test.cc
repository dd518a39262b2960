// RunPodSandbox against the fake docker client and a fake network plugin:
// what the infra container looks like, and that every failure leaves
// nothing behind.
#include <fstream>
#include <sstream>

#include "cri/runtime_service.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"
#include "tests/unit/cri/pod_fixture.h"

namespace cri_dockerd {
namespace {

using docker::FakeDockerClient;

using testing_util::kPauseId;
using testing_util::Read;
using SandboxTest = testing_util::PodTest;

TEST_F(SandboxTest, InfraContainerLooksLikeTheGoShims) {
  absl::StatusOr<std::string> id = Run(Request());
  ASSERT_TRUE(id.ok()) << id.status();
  const docker::ContainerCreateConfig* c = docker_.CreatedConfig(*id);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "k8s_POD_web_default_uid-web_1");
  EXPECT_EQ(c->image, "registry.k8s.io/pause:3.10");
  EXPECT_EQ(c->hostname, "web-host");
  EXPECT_EQ(c->labels.at("io.kubernetes.docker.type"), "podsandbox");
  EXPECT_EQ(c->labels.at("io.kubernetes.container.name"), "POD");
  EXPECT_EQ(c->labels.at("app"), "web");
  EXPECT_EQ(c->labels.at("annotation.note"), "hello");
  EXPECT_EQ(c->ipc_mode, "shareable");
  EXPECT_EQ(c->network_mode, "none");
  EXPECT_EQ(c->oom_score_adj, -998);
  EXPECT_EQ(c->resources.cpu_shares, 2);
  EXPECT_EQ(c->shm_size, 64 * 1024 * 1024);
  EXPECT_NE(std::find(c->security_opt.begin(), c->security_opt.end(),
                      "no-new-privileges"),
            c->security_opt.end());
  // Started, checkpointed, networked with the full ID and its netns.
  absl::StatusOr<docker::ContainerInspect> inspect =
      docker_.InspectContainer(*id, absl::InfiniteFuture());
  ASSERT_TRUE(inspect.ok());
  EXPECT_TRUE(inspect->state.running);
  absl::StatusOr<store::SandboxCheckpoint> cp = checkpoints_->Read(*id);
  ASSERT_TRUE(cp.ok()) << cp.status();
  EXPECT_EQ(cp->name, "web");
  EXPECT_EQ(cp->ns, "default");
  ASSERT_EQ(net_.SetUps().size(), 1u);
  const network::PodNetworkRequest pod = net_.SetUps()[0];
  EXPECT_EQ(pod.sandbox_id, *id);
  EXPECT_EQ(pod.pod_name, "web");
  EXPECT_EQ(pod.pod_namespace, "default");
  EXPECT_EQ(pod.pod_uid, "uid-web");
  EXPECT_EQ(pod.netns_path,
            "/proc/" + std::to_string(inspect->state.pid) + "/ns/net");
  ASSERT_EQ(pod.port_mappings.size(), 1u);
  EXPECT_EQ(pod.port_mappings[0].protocol, "udp");
  EXPECT_EQ(pod.port_mappings[0].container_port, 53);
  EXPECT_EQ(pod.port_mappings[0].host_port, 5353);
  EXPECT_EQ(pod.port_mappings[0].host_ip, "127.0.0.1");
  EXPECT_EQ(pod.dns.servers, std::vector<std::string>{"10.96.0.10"});
}

TEST_F(SandboxTest, NoLinuxSectionBehavesLikeAnEmptyOne) {
  v1::RunPodSandboxRequest req = Request();
  req.mutable_config()->clear_linux();
  absl::StatusOr<std::string> id = Run(req);
  ASSERT_TRUE(id.ok()) << id.status();
  const docker::ContainerCreateConfig* c = docker_.CreatedConfig(*id);
  EXPECT_EQ(c->network_mode, "none") << "never docker's bridge under CNI";
  EXPECT_EQ(c->ipc_mode, "shareable");
  EXPECT_EQ(net_.SetUps().size(), 1u);
}

TEST_F(SandboxTest, HostNamespaces) {
  v1::RunPodSandboxRequest req = Request();
  auto* ns = req.mutable_config()
                 ->mutable_linux()
                 ->mutable_security_context()
                 ->mutable_namespace_options();
  ns->set_network(v1::NODE);
  ns->set_pid(v1::NODE);
  ns->set_ipc(v1::NODE);
  absl::StatusOr<std::string> id = Run(req);
  ASSERT_TRUE(id.ok()) << id.status();
  const docker::ContainerCreateConfig* c = docker_.CreatedConfig(*id);
  EXPECT_EQ(c->network_mode, "host");
  EXPECT_EQ(c->pid_mode, "host");
  EXPECT_EQ(c->ipc_mode, "host");
  EXPECT_TRUE(net_.SetUps().empty()) << "no CNI for host network";
  EXPECT_TRUE(checkpoints_->Read(*id)->host_network);
  v1::PodSandboxStatusRequest sreq;
  sreq.set_pod_sandbox_id(*id);
  auto status = service_->PodSandboxStatus(Ctx(), sreq);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->status().linux().namespaces().options().network(),
            v1::NODE);
  EXPECT_EQ(status->status().network().ip(), "");
}

TEST_F(SandboxTest, CgroupParentFollowsTheDriver) {
  v1::RunPodSandboxRequest req = Request();
  req.mutable_config()->mutable_linux()->set_cgroup_parent(
      "/kubepods/burstable/poduid-web");
  absl::StatusOr<std::string> id = Run(req);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(docker_.CreatedConfig(*id)->cgroup_parent,
            "/kubepods/burstable/poduid-web");

  docker::SystemInfo info;
  info.cgroup_driver = "systemd";
  info.runtimes = {"runc"};
  docker_.SetInfo(info);
  req = Request("api");
  req.mutable_config()->mutable_linux()->set_cgroup_parent(
      "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podx.slice");
  id = Run(req);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(docker_.CreatedConfig(*id)->cgroup_parent,
            "kubepods-burstable-podx.slice");
}

TEST_F(SandboxTest, RuntimeHandler) {
  v1::RunPodSandboxRequest req = Request();
  req.set_runtime_handler("kata");
  absl::StatusOr<std::string> id = Run(req);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(docker_.CreatedConfig(*id)->runtime, "kata");

  req = Request("other");
  req.set_runtime_handler("gvisor");
  absl::StatusOr<std::string> bad = Run(req);
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("runc, kata"), std::string::npos)
      << bad.status();
  EXPECT_EQ(docker_.ContainerIds().size(), 1u) << "nothing created for it";
}

TEST_F(SandboxTest, KnownRuntimeHandlerReadsTheEngineCapabilitiesOnce) {
  v1::RunPodSandboxRequest req = Request();
  req.set_runtime_handler("kata");
  docker_.ResetCalls();
  ASSERT_TRUE(Run(req).ok());
  EXPECT_EQ(docker_.CallCount("Capabilities"), 1);
  EXPECT_EQ(docker_.CallCount("RefreshCapabilities"), 0);
  EXPECT_EQ(docker_.CallCount("Info"), 0);
}

TEST_F(SandboxTest, RuntimeAddedByADockerReloadIsFound) {
  ASSERT_TRUE(Run(Request()).ok());  // the capabilities are read now
  // dockerd reloads its config (SIGHUP) with a new runtime: the docker
  // client does not notice, its cached capabilities lack the runtime.
  absl::StatusOr<docker::SystemInfo> info =
      docker_.Info(absl::InfiniteFuture());
  ASSERT_TRUE(info.ok());
  info->runtimes.push_back("gvisor");
  docker_.ReloadInfo(*info);
  docker_.ResetCalls();
  v1::RunPodSandboxRequest req = Request("other");
  req.set_runtime_handler("gvisor");
  absl::StatusOr<std::string> id = Run(req);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(docker_.CreatedConfig(*id)->runtime, "gvisor");
  EXPECT_EQ(docker_.CallCount("RefreshCapabilities"), 1);
}

TEST_F(SandboxTest, UnknownRuntimeHandlerIsRefusedAfterOneRefresh) {
  v1::RunPodSandboxRequest req = Request();
  req.set_runtime_handler("gvisor");
  EXPECT_EQ(Run(req).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(docker_.CallCount("RefreshCapabilities"), 1);
  ExpectNothingLeft();
  // A failed refresh is the answer, not InvalidArgument.
  docker_.InjectErrorOnce("RefreshCapabilities",
                          absl::UnavailableError("docker down"));
  EXPECT_EQ(Run(req).status().code(), absl::StatusCode::kUnavailable);
  ExpectNothingLeft();
}

TEST_F(SandboxTest, UnreadableCapabilitiesCreateNothing) {
  docker_.InjectErrorOnce("Capabilities",
                          absl::UnavailableError("docker down"));
  absl::StatusOr<std::string> id = Run(Request());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kUnavailable) << id.status();
  ExpectNothingLeft();
}

TEST_F(SandboxTest, BadMetadataIsInvalidArgumentNamingTheField) {
  struct {
    std::function<void(v1::RunPodSandboxRequest*)> spoil;
    const char* field;
  } cases[] = {
      {[](auto* r) { r->mutable_config()->clear_metadata(); }, "metadata"},
      {[](auto* r) { r->mutable_config()->mutable_metadata()->set_name(""); },
       "config.metadata.name"},
      {[](auto* r) {
         r->mutable_config()->mutable_metadata()->set_namespace_("a_b");
       },
       "config.metadata.namespace"},
      {[](auto* r) { r->mutable_config()->mutable_metadata()->set_uid(""); },
       "config.metadata.uid"},
      {[](auto* r) {
         r->mutable_config()->mutable_metadata()->set_name("../etc");
       },
       "config.metadata.name"},
      {[](auto* r) {
         auto* p = r->mutable_config()->add_port_mappings();
         p->set_container_port(70000);
       },
       "port_mappings"},
  };
  for (const auto& c : cases) {
    v1::RunPodSandboxRequest req = Request();
    c.spoil(&req);
    absl::StatusOr<std::string> id = Run(req);
    ASSERT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument)
        << c.field << ": " << id.status();
    EXPECT_NE(id.status().message().find(c.field), std::string::npos)
        << id.status();
  }
  ExpectNothingLeft();
}

TEST_F(SandboxTest, DnsConfigRewritesResolvConf) {
  v1::RunPodSandboxRequest req = Request();
  auto* dns = req.mutable_config()->mutable_dns_config();
  dns->Clear();
  dns->add_servers("10.96.0.10");
  dns->add_searches("default.svc.cluster.local");
  dns->add_searches("svc.cluster.local");
  dns->add_options("ndots:5");
  absl::StatusOr<std::string> id = Run(req);
  ASSERT_TRUE(id.ok()) << id.status();
  auto inspect = docker_.InspectContainer(*id, absl::InfiniteFuture());
  EXPECT_EQ(Read(inspect->resolv_conf_path),
            "nameserver 10.96.0.10\n"
            "search default.svc.cluster.local svc.cluster.local\n"
            "options ndots:5\n");
  // A value that would inject a directive is refused, and rolled back.
  req = Request("evil");
  req.mutable_config()->mutable_dns_config()->add_servers("1.1.1.1\nsearch x");
  EXPECT_EQ(Run(req).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(docker_.ContainerIds().size(), 1u);
}

TEST_F(SandboxTest, EveryFailingStepIsRolledBack) {
  for (const char* step :
       {"CreateContainer", "StartContainer", "InspectContainer"}) {
    docker_.InjectErrorOnce(step,
                            absl::InternalError(std::string(step) + " broke"));
    absl::StatusOr<std::string> id = Run(Request());
    ASSERT_FALSE(id.ok()) << step;
    EXPECT_NE(id.status().message().find("broke"), std::string::npos)
        << id.status();
    ExpectNothingLeft();
  }
  net_.FailSetUp(absl::InternalError("bridge exploded"));
  absl::StatusOr<std::string> id = Run(Request());
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("bridge exploded"), std::string::npos);
  EXPECT_NE(id.status().message().find("network of pod web"),
            std::string::npos);
  EXPECT_EQ(net_.TearDowns().size(), 1u) << "network undone too";
  ExpectNothingLeft();
}

TEST_F(SandboxTest, NameInUseNamesTheHolder) {
  absl::StatusOr<std::string> first = Run(Request());
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::string> second = Run(Request());
  ASSERT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(second.status().message().find(first->substr(0, 12)),
            std::string::npos)
      << second.status();
  EXPECT_EQ(docker_.ContainerIds().size(), 1u);
}

TEST_F(SandboxTest, MissingInfraImageIsPulled) {
  ASSERT_TRUE(images_
                  ->RemoveImage(Ctx(),
                                [] {
                                  v1::RemoveImageRequest r;
                                  r.mutable_image()->set_image(kPauseId);
                                  return r;
                                }())
                  .ok());
  FakeDockerClient::FakePull pull;
  docker::ImageInspect pause;
  pause.id = kPauseId;
  pause.repo_tags = {"registry.k8s.io/pause:3.10"};
  pull.image = pause;
  docker_.SetPullScript("registry.k8s.io/pause:3.10", pull);
  ASSERT_TRUE(Run(Request()).ok());
  EXPECT_EQ(docker_.PullCalls().size(), 1u);
}

}  // namespace
}  // namespace cri_dockerd
