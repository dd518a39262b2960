// CreateContainer against the fake docker client: the docker config it
// builds from the CRI's, and the bad input it refuses.
#include "absl/strings/str_cat.h"
#include "tests/unit/cri/container_fixture.h"

namespace cri_dockerd {
namespace {

using testing_util::ContainerTest;
using testing_util::kAppImageId;

TEST_F(ContainerTest, CreateTranslatesTheConfig) {
  absl::StatusOr<std::string> id = CreateC(Create());
  ASSERT_TRUE(id.ok()) << id.status();
  const docker::ContainerCreateConfig* c = docker_.CreatedConfig(*id);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "k8s_app_web_default_uid-web_0");
  EXPECT_EQ(c->image, kAppImageId);
  EXPECT_EQ(c->labels.at("io.kubernetes.docker.type"), "container");
  EXPECT_EQ(c->labels.at("io.kubernetes.sandbox.id"), sandbox_);
  EXPECT_EQ(c->labels.at("io.kubernetes.container.logpath"),
            logs_.path() + "/app/0.log");
  EXPECT_EQ(c->labels.at("tier"), "front");
  EXPECT_EQ(c->labels.at("annotation.owner"), "me");
  EXPECT_EQ(*c->entrypoint, std::vector<std::string>{"/bin/server"});
  EXPECT_EQ(*c->cmd, std::vector<std::string>{"--port=80"});
  EXPECT_EQ(c->env, std::vector<std::string>{"MODE=test"});
  EXPECT_EQ(c->working_dir, "/srv");
  EXPECT_TRUE(c->disable_healthcheck);
  EXPECT_EQ(c->network_mode, "container:" + sandbox_);
  EXPECT_EQ(c->ipc_mode, "container:" + sandbox_);
  EXPECT_EQ(c->cgroup_parent, "/kubepods/podx");
  EXPECT_EQ(c->oom_score_adj, 500);
  EXPECT_EQ(c->runtime, "kata") << "the sandbox's runtime";
  // Docker's own copy of the output: json-file, bounded by the defaults
  // of --docker-log-max-size and --docker-log-max-file.
  EXPECT_EQ(c->log_driver, "json-file");
  EXPECT_EQ(c->log_options, (std::map<std::string, std::string>{
                                {"max-file", "2"}, {"max-size", "10m"}}));
}

TEST_F(ContainerTest, StopSignalsInDockersSpelling) {
  // By name: <signal.h> makes macros of most of the enum's names.
  const struct {
    const char* cri;
    const char* docker;
  } cases[] = {{"RUNTIME_DEFAULT", ""},
               {"SIGQUIT", "SIGQUIT"},
               {"SIGRTMINPLUS1", "SIGRTMIN+1"},
               {"SIGRTMAXMINUS3", "SIGRTMAX-3"}};
  int n = 0;
  for (const auto& c : cases) {
    v1::Signal cri = v1::RUNTIME_DEFAULT;
    ASSERT_TRUE(v1::Signal_Parse(c.cri, &cri)) << c.cri;
    v1::CreateContainerRequest req = Create(absl::StrCat("app", ++n));
    req.mutable_config()->set_stop_signal(cri);
    absl::StatusOr<std::string> id = CreateC(req);
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_EQ(docker_.CreatedConfig(*id)->stop_signal, c.docker);
  }
}

TEST_F(ContainerTest, NoCommandKeepsTheImageDefaults) {
  v1::CreateContainerRequest req = Create();
  req.mutable_config()->clear_command();
  req.mutable_config()->clear_args();
  absl::StatusOr<std::string> id = CreateC(req);
  ASSERT_TRUE(id.ok());
  EXPECT_FALSE(docker_.CreatedConfig(*id)->entrypoint.has_value());
  EXPECT_FALSE(docker_.CreatedConfig(*id)->cmd.has_value());
}

TEST_F(ContainerTest, BadInputCreatesNothing) {
  const size_t before = docker_.ContainerIds().size();
  struct {
    std::function<void(v1::CreateContainerRequest*)> spoil;
    absl::StatusCode code;
    const char* mention;
  } cases[] = {
      {[](auto* r) { r->set_pod_sandbox_id("0123456789ab"); },
       absl::StatusCode::kNotFound, "0123456789ab"},
      {[](auto* r) { r->set_pod_sandbox_id(""); },
       absl::StatusCode::kInvalidArgument, "pod_sandbox_id"},
      {[](auto* r) { r->clear_config(); }, absl::StatusCode::kInvalidArgument,
       "config"},
      {[](auto* r) { r->mutable_config()->clear_metadata(); },
       absl::StatusCode::kInvalidArgument, "config.metadata"},
      {[](auto* r) { r->mutable_config()->mutable_image()->set_image(""); },
       absl::StatusCode::kInvalidArgument, "config.image.image"},
      {[](auto* r) {
         r->mutable_config()->mutable_image()->set_image(
             "localhost:5000/nope:1");
       },
       absl::StatusCode::kNotFound, "does not pull"},
      {[](auto* r) { r->mutable_config()->set_log_path("../../etc/x"); },
       absl::StatusCode::kInvalidArgument, "config.log_path"},
      {[](auto* r) { r->clear_sandbox_config(); },
       absl::StatusCode::kInvalidArgument, "sandbox_config"},
      {[](auto* r) { r->mutable_config()->mutable_envs(0)->set_key("A=B"); },
       absl::StatusCode::kInvalidArgument, "config.envs"},
      {[](auto* r) {
         r->mutable_config()->set_stop_signal(static_cast<v1::Signal>(99));
       },
       absl::StatusCode::kInvalidArgument, "stop_signal"},
  };
  for (const auto& c : cases) {
    v1::CreateContainerRequest req = Create();
    c.spoil(&req);
    absl::StatusOr<std::string> id = CreateC(req);
    ASSERT_EQ(id.status().code(), c.code) << c.mention << ": " << id.status();
    EXPECT_NE(id.status().message().find(c.mention), std::string::npos)
        << id.status();
  }
  EXPECT_EQ(docker_.ContainerIds().size(), before);
  EXPECT_TRUE(docker_.PullCalls().empty()) << "CreateContainer never pulls";
}

TEST_F(ContainerTest, CdiDevicesNeedDocker25) {
  v1::CreateContainerRequest req = Create();
  req.mutable_config()->add_cdi_devices()->set_name("vendor.com/gpu=0");
  // The fake engine speaks API 1.41 (Docker 20.10).
  absl::StatusOr<std::string> id = CreateC(req);
  ASSERT_EQ(id.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(id.status().message().find("vendor.com/gpu=0"), std::string::npos)
      << id.status();
  SetEngineApi("1.50");
  id = CreateC(req);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(docker_.CreatedConfig(*id)->cdi_devices,
            std::vector<std::string>{"vendor.com/gpu=0"});
}

TEST_F(ContainerTest, RecursiveReadOnlyMountsNeedDocker25) {
  v1::CreateContainerRequest req = Create();
  v1::Mount* m = req.mutable_config()->add_mounts();
  m->set_host_path("/srv/data");
  m->set_container_path("/data");
  m->set_readonly(true);
  m->set_recursive_read_only(true);
  m->set_propagation(v1::PROPAGATION_PRIVATE);
  // The fake engine speaks API 1.41 (Docker 20.10).
  absl::StatusOr<std::string> id = CreateC(req);
  ASSERT_EQ(id.status().code(), absl::StatusCode::kFailedPrecondition)
      << id.status();
  SetEngineApi("1.44");
  id = CreateC(req);
  ASSERT_TRUE(id.ok()) << id.status();
  const std::vector<docker::BindMount>& mounts =
      docker_.CreatedConfig(*id)->mounts;
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_TRUE(mounts[0].recursive_read_only);
}

TEST_F(ContainerTest, RecursiveReadOnlyMountsNeedMountSetattr) {
  v1::CreateContainerRequest req = Create();
  v1::Mount* m = req.mutable_config()->add_mounts();
  m->set_host_path("/srv/data");
  m->set_container_path("/data");
  m->set_readonly(true);
  m->set_recursive_read_only(true);
  m->set_propagation(v1::PROPAGATION_PRIVATE);
  SetEngineApi("1.44");
  RuntimeOptions old_kernel = options_;
  old_kernel.kernel_recursive_read_only = false;
  RuntimeService service(&docker_, &net_, images_.get(), checkpoints_.get(),
                         old_kernel);
  const size_t before = docker_.ContainerIds().size();
  auto resp = service.CreateContainer(Ctx(), req);
  ASSERT_EQ(resp.status().code(), absl::StatusCode::kFailedPrecondition)
      << resp.status();
  EXPECT_NE(resp.status().message().find("mounts[0].recursive_read_only"),
            std::string::npos)
      << resp.status();
  EXPECT_NE(resp.status().message().find("mount_setattr"), std::string::npos)
      << resp.status();
  EXPECT_EQ(docker_.ContainerIds().size(), before);
}

TEST_F(ContainerTest, ReadsTheEngineCapabilitiesNotItsVersionOrInfo) {
  docker_.ResetCalls();
  ASSERT_TRUE(CreateC(Create("a")).ok());
  ASSERT_TRUE(CreateC(Create("b")).ok());
  EXPECT_EQ(docker_.CallCount("Capabilities"), 2);
  EXPECT_EQ(docker_.CallCount("Info"), 0);
  EXPECT_EQ(docker_.CallCount("Version"), 0);

  const size_t before = docker_.ContainerIds().size();
  docker_.InjectErrorOnce("Capabilities",
                          absl::UnavailableError("docker down"));
  EXPECT_EQ(CreateC(Create("c")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(docker_.ContainerIds().size(), before);
}

TEST_F(ContainerTest, NameConflictIsAlreadyExists) {
  ASSERT_TRUE(CreateC(Create()).ok());
  absl::StatusOr<std::string> again = CreateC(Create());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists)
      << again.status();
}

}  // namespace
}  // namespace cri_dockerd
