// Container logs in the CRI format: the shim copies each container's
// output into the log_path kubelet chose under the sandbox's
// log_directory, where kubelet and `crictl logs` read it, and reopens
// that file when kubelet rotates it (ReopenContainerLog).
//
// Two ways to copy, behind LogCopyBackend (log_copy_backend.h):
//  - engines on this machine (a unix:// endpoint) whose container logs to
//    json-file: docker's own files are tailed by one JsonLogTailer, one
//    thread and one inotify instance for every container, two fds and one
//    inotify watch per container, nothing polled; the end of a copy is
//    learnt from docker closing the log plus one inspect (ExitWatch);
//  - otherwise (tcp:// engines, other logging drivers): one
//    `GET /containers/{id}/logs?follow=1` per container, all driven by one
//    docker::LogStreamMux thread plus one worker (MuxFollowBackend).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "cri/logs/exit_watch.h"
#include "cri/logs/json_log_tailer.h"
#include "cri/logs/mux_follow_backend.h"
#include "docker_client/docker_client.h"

namespace cri_dockerd::logs {

struct LogManagerOptions {
  CopierOptions copier;
  // Docker's files are on this machine: tail json-file logs.
  bool tail_local_files = false;
  TailerOptions tailer;
  ExitWatchOptions exit_watch;
};

// Where docker keeps a container's output, from its inspect.
struct DockerLogSource {
  std::string log_path;  // LogPath; "" unknown (the manager inspects)
  bool running = true;   // State.Running
};

// Thread-safe.
class ContainerLogManager {
 public:
  // `docker` must outlive the manager. Copies follow docker's streams.
  explicit ContainerLogManager(docker::DockerClient* docker,
                               CopierOptions options = {});
  ContainerLogManager(docker::DockerClient* docker, LogManagerOptions options);
  // Stops every copy and waits for them.
  ~ContainerLogManager();
  ContainerLogManager(const ContainerLogManager&) = delete;
  ContainerLogManager& operator=(const ContainerLogManager&) = delete;

  // Starts copying the output of container `container_id` (tty: its
  // Config.Tty) into `log_path`, creating the file (0640) and its
  // directories if missing, and returns; the copy runs until the
  // container exits or is removed, or Stop(). Call it after the container
  // started, and for every container when the shim starts: a file that
  // already holds lines is continued where it ends (a torn last line is
  // cut off), so restarts neither lose nor repeat lines (see
  // log_resume.h). For a container that is not running (`source`), only
  // an existing file is continued: what the container wrote while the
  // shim was down is copied, then the copy ends. Already copying to the
  // same path: OK, nothing changes.
  // No symlink is followed in any component of `log_path` (see
  // LogFile::Open). Errors: InvalidArgument for an empty ID or a path
  // that is relative, not normalized or contains ".."; AlreadyExists if
  // copying to another path; FailedPrecondition for a symlinked directory
  // on the path or something else than a file at it; the file's errors
  // (PermissionDenied, ...); the inspect's, when `source` has no log path
  // and files are tailed.
  absl::Status Start(const std::string& container_id,
                     const std::string& log_path, bool tty,
                     DockerLogSource source = {});

  // ReopenContainerLog: closes the log file and opens log_path afresh
  // (kubelet renamed the old file), so that later lines go to a new file;
  // lines are never lost or written twice across the switch. NotFound if
  // no copy runs for the container (it is not running).
  absl::Status Reopen(const std::string& container_id);

  // Ends the container's copy, if any, and waits for it. The copy of an
  // exiting container ends by itself once all its output is copied;
  // Stop() is for removal and shutdown.
  void Stop(const std::string& container_id);

  // A copy for the container runs.
  bool IsCopying(const std::string& container_id) const;

  // Waits until no copy runs for the container (an exited container's
  // copy ends once all of its output is copied), or `deadline`. True if
  // none runs. A tailed container is checked with docker first.
  bool AwaitCopyEnd(const std::string& container_id, absl::Time deadline);

  // Files are tailed (the tailer could be made).
  bool tailing() const { return tailer_ != nullptr; }

 private:
  // The docker log can be tailed from here.
  bool CanTail(const std::string& docker_log_path) const;
  std::optional<std::string> CopyPath(const std::string& id) const;

  // Constant after construction.
  docker::DockerClient* const docker_;
  const LogManagerOptions options_;
  std::unique_ptr<MuxFollowBackend> follow_;
  std::unique_ptr<ExitWatch> exit_watch_;  // with the tailer only
  std::unique_ptr<JsonLogTailer> tailer_;  // null: follow only

  // Held across Start so that two Starts of one container do not race.
  absl::Mutex start_mu_;
  // The tailer and the exit watch call each other from their threads;
  // once closing, neither does.
  absl::Mutex callback_mu_;
  bool closing_ ABSL_GUARDED_BY(callback_mu_) = false;
};

}  // namespace cri_dockerd::logs
