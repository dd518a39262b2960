// Container verbs against the fake docker client.
#include "tests/unit/cri/pod_fixture.h"

namespace cri_dockerd {
namespace {

using testing_util::PodTest;
using testing_util::TempDir;

constexpr char kAppImageId[] =
    "sha256:4444444444444444444444444444444444444444444444444444444444444444";

class ContainerTest : public PodTest {
 protected:
  void SetUp() override {
    docker::ImageInspect app;
    app.id = kAppImageId;
    app.repo_tags = {"localhost:5000/app:1"};
    app.repo_digests = {"localhost:5000/app@sha256:abcd"};
    app.size = 1000;
    docker_.AddImage(app);
    v1::RunPodSandboxRequest run = Request("web");
    run.mutable_config()->set_log_directory(logs_.path());
    run.mutable_config()->mutable_linux()->set_cgroup_parent("/kubepods/podx");
    run.set_runtime_handler("kata");
    sandbox_config_ = run.config();
    absl::StatusOr<std::string> id = Run(run);
    ASSERT_TRUE(id.ok()) << id.status();
    sandbox_ = *id;
  }

  v1::CreateContainerRequest Create(const std::string& name = "app") {
    v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(sandbox_);
    *req.mutable_sandbox_config() = sandbox_config_;
    v1::ContainerConfig* c = req.mutable_config();
    c->mutable_metadata()->set_name(name);
    c->mutable_image()->set_image("localhost:5000/app:1");
    c->add_command("/bin/server");
    c->add_args("--port=80");
    auto* env = c->add_envs();
    env->set_key("MODE");
    env->set_value("test");
    c->set_working_dir("/srv");
    c->set_log_path(name + "/0.log");
    (*c->mutable_labels())["tier"] = "front";
    (*c->mutable_annotations())["owner"] = "me";
    c->mutable_linux()->mutable_resources()->set_oom_score_adj(500);
    return req;
  }
  // The fake engine becomes one speaking API `api`.
  void SetEngineApi(const std::string& api) {
    docker::VersionInfo v;
    v.version = "engine-" + api;
    v.api_version = api;
    docker_.SetVersion(v);
  }
  absl::StatusOr<std::string> CreateC(const v1::CreateContainerRequest& req) {
    auto resp = service_->CreateContainer(Ctx(), req);
    if (!resp.ok()) return resp.status();
    return resp->container_id();
  }
  absl::StatusOr<v1::ContainerStatus> StatusOf(const std::string& id) {
    v1::ContainerStatusRequest req;
    req.set_container_id(id);
    auto resp = service_->ContainerStatus(Ctx(), req);
    if (!resp.ok()) return resp.status();
    return resp->status();
  }

  TempDir logs_;
  v1::PodSandboxConfig sandbox_config_;
  std::string sandbox_;
};

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

TEST_F(ContainerTest, LifecycleAndStatus) {
  absl::StatusOr<std::string> id = CreateC(Create());
  ASSERT_TRUE(id.ok());
  absl::StatusOr<v1::ContainerStatus> st = StatusOf(*id);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->state(), v1::CONTAINER_CREATED);
  EXPECT_EQ(st->metadata().name(), "app");
  EXPECT_EQ(st->image().image(), "localhost:5000/app:1");
  EXPECT_EQ(st->image_id(), kAppImageId);
  EXPECT_EQ(st->log_path(), logs_.path() + "/app/0.log");
  EXPECT_EQ(st->labels().at("tier"), "front");
  EXPECT_EQ(st->labels().count("io.kubernetes.sandbox.id"), 0u);
  EXPECT_EQ(st->annotations().at("owner"), "me");

  v1::StartContainerRequest start;
  start.set_container_id(*id);
  ASSERT_TRUE(service_->StartContainer(Ctx(), start).ok());
  EXPECT_EQ(StatusOf(*id)->state(), v1::CONTAINER_RUNNING);
  EXPECT_GT(StatusOf(*id)->started_at(), 0);

  v1::StopContainerRequest stop;
  stop.set_container_id(*id);
  stop.set_timeout(5);
  ASSERT_TRUE(service_->StopContainer(Ctx(), stop).ok());
  st = StatusOf(*id);
  EXPECT_EQ(st->state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(st->reason(), "Completed");
  EXPECT_TRUE(service_->StopContainer(Ctx(), stop).ok()) << "already stopped";
  stop.set_timeout(-1);
  EXPECT_EQ(service_->StopContainer(Ctx(), stop).status().code(),
            absl::StatusCode::kInvalidArgument);

  v1::ReopenContainerLogRequest reopen;
  reopen.set_container_id(*id);
  EXPECT_EQ(service_->ReopenContainerLog(Ctx(), reopen).status().code(),
            absl::StatusCode::kFailedPrecondition)
      << "a stopped container's log cannot be reopened";

  v1::RemoveContainerRequest rm;
  rm.set_container_id(*id);
  ASSERT_TRUE(service_->RemoveContainer(Ctx(), rm).ok());
  EXPECT_EQ(StatusOf(*id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(service_->RemoveContainer(Ctx(), rm).ok()) << "absent is fine";
  stop.set_timeout(1);
  EXPECT_EQ(service_->StopContainer(Ctx(), stop).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ContainerTest, ExitReasons) {
  struct {
    docker::ContainerState state;
    const char* reason;
  } cases[] = {
      {{"exited", false, false, false, false, 0, 1, "", "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:01Z"},
       "Error"},
      {{"exited", false, false, false, true, 0, 137, "", "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:01Z"},
       "OOMKilled"},
      {{"exited", false, false, false, false, 0, 127,
        "exec: \"/nope\": no such file", "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z"},
       "ContainerCannotRun"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::string> id = CreateC(Create());
    ASSERT_TRUE(id.ok());
    docker_.SetContainerState(*id, c.state);
    absl::StatusOr<v1::ContainerStatus> st = StatusOf(*id);
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->state(), v1::CONTAINER_EXITED);
    EXPECT_EQ(st->reason(), c.reason);
    EXPECT_EQ(st->exit_code(), c.state.exit_code);
    EXPECT_EQ(st->message(), c.state.error);
    EXPECT_GT(st->finished_at(), 0);
    v1::RemoveContainerRequest rm;
    rm.set_container_id(*id);
    ASSERT_TRUE(service_->RemoveContainer(Ctx(), rm).ok());
  }
}

TEST_F(ContainerTest, FinishedNeverBeforeStarted) {
  absl::StatusOr<std::string> id = CreateC(Create());
  ASSERT_TRUE(id.ok());
  // As docker reports a process that exits at once.
  docker_.SetContainerState(*id, {"exited", false, false, false, false, 0, 0,
                                  "", "2026-01-01T00:00:01.000000900Z",
                                  "2026-01-01T00:00:01.000000100Z"});
  absl::StatusOr<v1::ContainerStatus> st = StatusOf(*id);
  ASSERT_TRUE(st.ok());
  EXPECT_GT(st->started_at(), 0);
  EXPECT_EQ(st->finished_at(), st->started_at());
}

TEST_F(ContainerTest, ListFilters) {
  absl::StatusOr<std::string> a = CreateC(Create("a1"));
  absl::StatusOr<std::string> b = CreateC(Create("b1"));
  ASSERT_TRUE(a.ok() && b.ok());
  v1::StartContainerRequest start;
  start.set_container_id(*a);
  ASSERT_TRUE(service_->StartContainer(Ctx(), start).ok());
  auto list = [&](const v1::ContainerFilter& f) {
    v1::ListContainersRequest req;
    *req.mutable_filter() = f;
    absl::StatusOr<v1::ListContainersResponse> resp =
        service_->ListContainers(Ctx(), req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    std::vector<std::string> ids;
    if (!resp.ok()) return ids;
    for (const auto& c : resp->containers()) {
      EXPECT_EQ(c.pod_sandbox_id(), sandbox_);
      ids.push_back(c.id());
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  std::vector<std::string> both = {*a, *b};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(list({}), both) << "the infra container is not listed";
  v1::ContainerFilter f;
  f.set_id(a->substr(0, 8));
  EXPECT_EQ(list(f), std::vector<std::string>{*a});
  f.Clear();
  f.mutable_state()->set_state(v1::CONTAINER_RUNNING);
  EXPECT_EQ(list(f), std::vector<std::string>{*a});
  f.Clear();
  f.set_pod_sandbox_id(sandbox_.substr(0, 12));
  EXPECT_EQ(list(f), both);
  f.set_pod_sandbox_id("abcdef012345");
  EXPECT_TRUE(list(f).empty());
  f.Clear();
  (*f.mutable_label_selector())["tier"] = "front";
  EXPECT_EQ(list(f), both);
  (*f.mutable_label_selector())["tier"] = "back";
  EXPECT_TRUE(list(f).empty());
}

TEST_F(ContainerTest, UpdateResourcesAppliesWhatDockerCan) {
  absl::StatusOr<std::string> id = CreateC(Create());
  ASSERT_TRUE(id.ok());
  v1::UpdateContainerResourcesRequest req;
  req.set_container_id(*id);
  req.mutable_linux()->set_cpu_shares(512);
  req.mutable_linux()->set_memory_limit_in_bytes(64 << 20);
  ASSERT_TRUE(service_->UpdateContainerResources(Ctx(), req).ok());
  std::optional<docker::Resources> r = docker_.UpdatedResources(*id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->cpu_shares, 512);
  EXPECT_EQ(r->memory, 64 << 20);
  // What docker cannot express is left alone, not refused (kubelet sends
  // hugepages with every resize).
  auto* hp = req.mutable_linux()->add_hugepage_limits();
  hp->set_page_size("2MB");
  hp->set_limit(1 << 21);
  req.mutable_linux()->set_cpu_shares(256);
  EXPECT_TRUE(service_->UpdateContainerResources(Ctx(), req).ok());
  EXPECT_EQ(docker_.UpdatedResources(*id)->cpu_shares, 256);
  req.mutable_linux()->set_cpu_shares(-1);
  EXPECT_EQ(service_->UpdateContainerResources(Ctx(), req).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cri_dockerd
