// The LogCopyBackend for engines whose files are not on this machine
// (tcp:// endpoints) and for logging drivers other than json-file: one
// LogCopier per container, each following docker's log stream
// (GET /containers/{id}/logs?follow=1) on a thread of its own. It learns
// that a container stopped from the end of its stream.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "cri/logs/log_copier.h"
#include "cri/logs/log_copy_backend.h"
#include "docker_client/docker_client.h"

namespace cri_dockerd::logs {

class StreamFollowBackend : public LogCopyBackend {
 public:
  // `docker` must outlive the backend.
  StreamFollowBackend(docker::DockerClient* docker, CopierOptions options);
  // Stops every copy (each within ~100 ms) and waits for them.
  ~StreamFollowBackend() override;

  absl::Status Start(CopyRequest req) override;
  absl::Status Reopen(const std::string& id) override;
  void Stop(const std::string& id) override;
  std::optional<std::string> CopyPath(const std::string& id) const override;
  bool AwaitCopyEnd(const std::string& id, absl::Time deadline) override;
  // The stream's end says it; nothing to do.
  void ContainerStopped(const std::string&) override {}

 private:
  // Takes the copies that ended by themselves out of the map.
  std::vector<std::unique_ptr<LogCopier>> TakeFinishedLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  docker::DockerClient* const docker_;
  const CopierOptions options_;

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<LogCopier>> copiers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::logs
