// The fixture of the container verbs' tests: a running pod (with a log
// directory, a cgroup parent and a runtime handler) and an app image, on
// PodTest's fake docker client.
#pragma once

#include <string>

#include "tests/unit/cri/pod_fixture.h"

namespace cri_dockerd::testing_util {

// Containers of one pod, created from kAppImage.
class ContainerTest : public PodTest {
 protected:
  void SetUp() override {
    AddAppImage();
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
    c->mutable_image()->set_image(kAppImage);
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

}  // namespace cri_dockerd::testing_util
