#include "docker_client/testing/fake_docker_client.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "docker_client/api_version.h"

namespace cri_dockerd::docker {

FakeDockerClient::FakeDockerClient() {
  version_.version = "20.10.24+dfsg1";
  version_.api_version = "1.41";
  version_.min_api_version = "1.12";
  version_.os = "linux";
  version_.arch = "amd64";
  version_.kernel_version = "6.1.0-test";
  info_.name = "fake-node";
  info_.server_version = version_.version;
  info_.cgroup_driver = "cgroupfs";
  info_.cgroup_version = "2";
  info_.docker_root_dir = "/var/lib/docker";
  info_.default_runtime = "runc";
  info_.runtimes = {"io.containerd.runc.v2", "runc"};
}

FakeDockerClient::~FakeDockerClient() {
  StopStreams();
  absl::MutexLock lock(&mu_);
  if (own_state_dir_) {
    std::error_code ignored;
    std::filesystem::remove_all(state_dir_, ignored);
  }
}

absl::Status FakeDockerClient::Enter(const std::string& method,
                                     absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  calls_.push_back(method);
  last_deadline_ = deadline;
  if (auto once = errors_once_.find(method); once != errors_once_.end()) {
    absl::Status status = std::move(once->second.front());
    once->second.pop_front();
    if (once->second.empty()) errors_once_.erase(once);
    return status;
  }
  auto it = errors_.find(method);
  return it == errors_.end() ? absl::OkStatus() : it->second;
}

absl::Status FakeDockerClient::Ping(absl::Time deadline) {
  return Enter("Ping", deadline);
}

absl::StatusOr<VersionInfo> FakeDockerClient::Version(absl::Time deadline) {
  if (absl::Status s = Enter("Version", deadline); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  return version_;
}

absl::StatusOr<SystemInfo> FakeDockerClient::Info(absl::Time deadline) {
  if (absl::Status s = Enter("Info", deadline); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  return info_;
}

absl::StatusOr<EngineCapabilities> FakeDockerClient::Capabilities(
    absl::Time deadline) {
  if (absl::Status s = Enter("Capabilities", deadline); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (capabilities_.has_value()) return *capabilities_;
  return ComputeCapabilitiesLocked();
}

absl::StatusOr<EngineCapabilities> FakeDockerClient::RefreshCapabilities(
    absl::Time deadline) {
  if (absl::Status s = Enter("RefreshCapabilities", deadline); !s.ok()) {
    return s;
  }
  absl::MutexLock lock(&mu_);
  return ComputeCapabilitiesLocked();
}

absl::StatusOr<EngineCapabilities>
FakeDockerClient::ComputeCapabilitiesLocked() {
  absl::StatusOr<std::string> api_version = ChooseApiVersion(version_);
  if (!api_version.ok()) return api_version.status();
  capabilities_ = MakeEngineCapabilities(*std::move(api_version), info_);
  return *capabilities_;
}

void FakeDockerClient::SetVersion(VersionInfo v) {
  absl::MutexLock lock(&mu_);
  version_ = std::move(v);
  capabilities_.reset();
}

void FakeDockerClient::SetInfo(SystemInfo info) {
  absl::MutexLock lock(&mu_);
  info_ = std::move(info);
  capabilities_.reset();
}

void FakeDockerClient::ReloadInfo(SystemInfo info) {
  absl::MutexLock lock(&mu_);
  info_ = std::move(info);
}

void FakeDockerClient::InjectError(const std::string& method,
                                   absl::Status status) {
  absl::MutexLock lock(&mu_);
  errors_[method] = std::move(status);
}

void FakeDockerClient::ClearError(const std::string& method) {
  absl::MutexLock lock(&mu_);
  errors_.erase(method);
  errors_once_.erase(method);
}

void FakeDockerClient::InjectErrorOnce(const std::string& method,
                                       absl::Status status) {
  absl::MutexLock lock(&mu_);
  errors_once_[method].push_back(std::move(status));
}

std::vector<std::string> FakeDockerClient::Calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

int FakeDockerClient::CallCount(const std::string& method) const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(std::count(calls_.begin(), calls_.end(), method));
}

void FakeDockerClient::ResetCalls() {
  absl::MutexLock lock(&mu_);
  calls_.clear();
}

absl::Time FakeDockerClient::LastDeadline() const {
  absl::MutexLock lock(&mu_);
  return last_deadline_;
}

}  // namespace cri_dockerd::docker
