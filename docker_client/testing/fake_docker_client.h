// In-memory DockerClient for unit tests: canned replies, per-method error
// injection and a record of calls, so handler tests need no engine.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "docker_client/docker_client.h"

namespace cri_dockerd::docker {

class FakeDockerClient : public DockerClient {
 public:
  FakeDockerClient();

  absl::Status Ping(absl::Time deadline) override;
  absl::StatusOr<VersionInfo> Version(absl::Time deadline) override;
  absl::StatusOr<SystemInfo> Info(absl::Time deadline) override;

  // Replies returned by Version() / Info().
  void SetVersion(VersionInfo v);
  void SetInfo(SystemInfo info);

  // Makes every later call of `method` ("Ping", "Version", "Info", ...)
  // fail with `status` until ClearError(method).
  void InjectError(const std::string& method, absl::Status status);
  void ClearError(const std::string& method);

  // Method names in call order; ResetCalls() empties the record.
  std::vector<std::string> Calls() const;
  void ResetCalls();
  // The deadline passed to the most recent call.
  absl::Time LastDeadline() const;

 private:
  // Records the call; returns the injected error for it, if any.
  absl::Status Enter(const std::string& method, absl::Time deadline);

  mutable absl::Mutex mu_;
  VersionInfo version_ ABSL_GUARDED_BY(mu_);
  SystemInfo info_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Status> errors_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
  absl::Time last_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace cri_dockerd::docker
