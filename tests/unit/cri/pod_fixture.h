// A RuntimeService wired to the fake docker client (with the pod infra
// image present), a fake network plugin, a real checkpoint store and an
// image service: the fixture for sandbox and container handler tests.
#pragma once

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/testing/temp_dir.h"
#include "cri/network/testing/fake_network_plugin.h"
#include "cri/runtime_service.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"

namespace cri_dockerd::testing_util {

using docker::FakeDockerClient;

inline constexpr char kPauseId[] =
    "sha256:3333333333333333333333333333333333333333333333333333333333333333";
// The image containers run (AddAppImage).
inline constexpr char kAppImage[] = "localhost:5000/app:1";
inline constexpr char kAppImageId[] =
    "sha256:4444444444444444444444444444444444444444444444444444444444444444";

inline std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class PodTest : public testing::Test {
 protected:
  PodTest() {
    docker::ImageInspect pause;
    pause.id = kPauseId;
    pause.repo_tags = {"registry.k8s.io/pause:3.10"};
    pause.size = 700000;
    docker_.AddImage(pause);
    docker_.SetStateDir(state_dir_.path());
    docker::SystemInfo info;
    info.cgroup_driver = "cgroupfs";
    info.runtimes = {"runc", "kata"};
    info.default_runtime = "runc";
    info.docker_root_dir = state_dir_.path();
    docker_.SetInfo(info);
    options_.root_directory = root_dir_.path();
    options_.request_timeout = absl::Seconds(30);
    options_.kernel_recursive_read_only = true;  // any kernel since 5.12
    images_ = std::make_unique<ImageService>(&docker_, options_,
                                             image::RegistryCredentials());
    checkpoints_ = std::make_unique<store::CheckpointStore>(root_dir_.path());
    service_ = std::make_unique<RuntimeService>(&docker_, &net_, images_.get(),
                                                checkpoints_.get(), options_);
  }

  CallContext Ctx() { return CallContext::WithTimeout(absl::Seconds(20)); }

  // Stores kAppImage, the image the containers of the tests run.
  void AddAppImage() {
    docker::ImageInspect app;
    app.id = kAppImageId;
    app.repo_tags = {kAppImage};
    app.repo_digests = {"localhost:5000/app@sha256:abcd"};
    app.size = 1000;
    docker_.AddImage(app);
  }

  static v1::RunPodSandboxRequest Request(const std::string& name = "web") {
    v1::RunPodSandboxRequest req;
    v1::PodSandboxConfig* c = req.mutable_config();
    c->mutable_metadata()->set_name(name);
    c->mutable_metadata()->set_namespace_("default");
    c->mutable_metadata()->set_uid("uid-" + name);
    c->mutable_metadata()->set_attempt(1);
    c->set_hostname(name + "-host");
    (*c->mutable_labels())["app"] = "web";
    // A std::string key: GCC 12 misreads protobuf's Map::operator[] on a
    // long string literal as an out-of-bounds copy (-Warray-bounds).
    const std::string pod_name_label = "io.kubernetes.pod.name";
    (*c->mutable_labels())[pod_name_label] = name;
    (*c->mutable_annotations())["note"] = "hello";
    auto* port = c->add_port_mappings();
    port->set_protocol(v1::UDP);
    port->set_container_port(53);
    port->set_host_port(5353);
    port->set_host_ip("127.0.0.1");
    c->mutable_dns_config()->add_servers("10.96.0.10");
    c->mutable_linux()->mutable_security_context();
    return req;
  }

  absl::StatusOr<std::string> Run(const v1::RunPodSandboxRequest& req) {
    absl::StatusOr<v1::RunPodSandboxResponse> resp =
        service_->RunPodSandbox(Ctx(), req);
    if (!resp.ok()) return resp.status();
    return resp->pod_sandbox_id();
  }

  // Nothing of a failed run may be left: no container, no checkpoint.
  void ExpectNothingLeft() {
    EXPECT_TRUE(docker_.ContainerIds().empty());
    absl::StatusOr<std::vector<std::string>> cps = checkpoints_->List();
    ASSERT_TRUE(cps.ok());
    EXPECT_TRUE(cps->empty());
  }

  TempDir state_dir_, root_dir_;
  FakeDockerClient docker_;
  network::FakeNetworkPlugin net_;
  RuntimeOptions options_;
  std::unique_ptr<ImageService> images_;
  std::unique_ptr<store::CheckpointStore> checkpoints_;
  std::unique_ptr<RuntimeService> service_;
};

}  // namespace cri_dockerd::testing_util
