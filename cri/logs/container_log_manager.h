// Container logs in the CRI format: the shim copies each running
// container's output from docker's log stream (its json-file log, read
// back through GET /containers/{id}/logs?follow=1) into the log_path
// kubelet chose under the sandbox's log_directory, where kubelet and
// `crictl logs` read it, and reopens that file when kubelet rotates it
// (ReopenContainerLog). Docker's own json-file log stays, with docker's
// own rotation settings.
//
// Cost: one thread and one open docker connection per running container
// (a mostly idle thread: its stack is reserved, little of it resident).
// Fine for the ~110 pods a node runs; a single curl_multi/epoll loop over
// all streams could replace the threads if that ever matters.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "cri/logs/log_copier.h"
#include "docker_client/docker_client.h"

namespace cri_dockerd::logs {

// Thread-safe.
class ContainerLogManager {
 public:
  // `docker` must outlive the manager.
  explicit ContainerLogManager(docker::DockerClient* docker,
                               CopierOptions options = {});
  // Stops every copy (each within ~100 ms) and waits for them.
  ~ContainerLogManager();
  ContainerLogManager(const ContainerLogManager&) = delete;
  ContainerLogManager& operator=(const ContainerLogManager&) = delete;

  // Starts copying the output of container `container_id` (tty: its
  // Config.Tty) into `log_path`, creating the file (0640) and its
  // directories if missing, and returns; the copy runs until the
  // container exits or is removed, or Stop(). Call it after the container
  // started, and for every running container when the shim starts: a file
  // that already holds lines is continued where it ends (a torn last line
  // is cut off), so restarts neither lose nor repeat lines (see
  // log_resume.h). Already copying to the same path: OK, nothing changes.
  // Errors: InvalidArgument for an empty ID or a path that is relative or
  // contains ".."; AlreadyExists if copying to another path; the file's
  // errors (PermissionDenied, ...).
  absl::Status Start(const std::string& container_id,
                     const std::string& log_path, bool tty);

  // ReopenContainerLog: closes the log file and opens log_path afresh
  // (kubelet renamed the old file), so that later lines go to a new file;
  // lines are never lost or written twice across the switch. NotFound if
  // no copy runs for the container (it is not running).
  absl::Status Reopen(const std::string& container_id);

  // Ends the container's copy, if any, and waits for it. The copy of an
  // exiting container ends by itself once docker's stream has delivered
  // everything; Stop() is for removal and shutdown.
  void Stop(const std::string& container_id);

  // A copy for the container runs.
  bool IsCopying(const std::string& container_id) const;

  // Waits until no copy runs for the container (an exited container's
  // copy ends once docker's stream delivered everything), or `deadline`.
  // True if none runs.
  bool AwaitCopyEnd(const std::string& container_id, absl::Time deadline);

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
