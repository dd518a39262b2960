// Shared fixtures for CRI handler tests: a RuntimeService wired to the
// fake docker client and a network plugin over a temp CNI directory.
#pragma once

#include <memory>
#include <string>

#include "common/testing/temp_dir.h"
#include "cri/image/image_service.h"
#include "cri/network/cni_plugin.h"
#include "cri/runtime_service.h"
#include "cri/store/checkpoint_store.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"

namespace cri_dockerd::testing_util {

inline constexpr char kBridgeConflist[] = R"({
  "cniVersion": "1.0.0", "name": "pods",
  "plugins": [{"type": "bridge"}, {"type": "portmap"}]})";

class RuntimeServiceTest : public ::testing::Test {
 protected:
  RuntimeServiceTest() {
    network::NetworkSettings settings;
    settings.cni_conf_dir = conf_dir_.path();
    settings.cni_bin_dirs = bin_dir_.path();
    network_ = std::make_unique<network::CniNetworkPlugin>(settings);
    options_.request_timeout = absl::Seconds(30);
    options_.root_directory = root_dir_.path();
    // As on any kernel since 5.12; the engine's API version still decides.
    options_.kernel_recursive_read_only = true;
    images_ = std::make_unique<ImageService>(&docker_, options_,
                                             image::RegistryCredentials());
    checkpoints_ = std::make_unique<store::CheckpointStore>(root_dir_.path());
    service_ = std::make_unique<RuntimeService>(
        &docker_, network_.get(), images_.get(), checkpoints_.get(), options_);
  }

  CallContext Ctx() const {
    return CallContext::WithTimeout(absl::Seconds(10));
  }

  TempDir conf_dir_;
  TempDir bin_dir_;
  TempDir root_dir_;
  docker::FakeDockerClient docker_;
  RuntimeOptions options_;
  std::unique_ptr<network::CniNetworkPlugin> network_;
  std::unique_ptr<ImageService> images_;
  std::unique_ptr<store::CheckpointStore> checkpoints_;
  std::unique_ptr<RuntimeService> service_;
};

}  // namespace cri_dockerd::testing_util
