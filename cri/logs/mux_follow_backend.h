// The LogCopyBackend for engines whose files are not on this machine
// (tcp:// endpoints) and for logging drivers other than json-file: every
// container's docker log stream (GET /containers/{id}/logs?follow=1)
// followed on one docker::LogStreamMux, written to its CRI file from the
// mux's thread, plus one worker thread for what may block (following a
// stream again, asking docker whether a container still runs). Two
// threads for any number of copies, and one connection per copy.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cri/logs/log_copy_backend.h"
#include "cri/logs/log_resume.h"
#include "docker_client/docker_client.h"
#include "docker_client/log_stream_mux.h"

namespace cri_dockerd::logs {

struct CopierOptions {
  // Wait before following a broken stream again, doubling up to the max.
  absl::Duration initial_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(30);
  // Each follow request has this deadline (nothing waits forever); at it
  // the copy follows again from where it is.
  absl::Duration follow_window = absl::Hours(1);
  // For the inspect that tells an exited container from a broken stream.
  absl::Duration inspect_timeout = absl::Seconds(5);
};

class MuxFollowBackend : public LogCopyBackend {
 public:
  // `docker` must outlive the backend. The mux and the worker start with
  // the first copy: a node whose copies all tail files never has them.
  MuxFollowBackend(docker::DockerClient* docker, CopierOptions options);
  // Ends every copy, waiting for no docker call longer than its timeout.
  ~MuxFollowBackend() override;
  MuxFollowBackend(const MuxFollowBackend&) = delete;
  MuxFollowBackend& operator=(const MuxFollowBackend&) = delete;

  absl::Status Start(CopyRequest req) override;
  absl::Status Reopen(const std::string& id) override;
  void Stop(const std::string& id) override;
  std::optional<std::string> CopyPath(const std::string& id) const override;
  bool AwaitCopyEnd(const std::string& id, absl::Time deadline) override;
  // The stream's end says it; nothing to do.
  void ContainerStopped(const std::string&) override {}

 private:
  struct Copy;
  // What the worker does next for a copy.
  enum class Task { kFollow, kCheckFinished };
  struct Job {
    std::string id;
    uint64_t serial;  // of the copy it is for: a later copy of id differs
    Task task;
    absl::Time not_before;
  };

  // Makes the mux and starts the worker, once; docker's error if it
  // cannot make a mux (tried again at the next Start).
  absl::Status EnsureRunningLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunWorker();
  // The next job due, waiting for one; nullopt once shutting down.
  std::optional<Job> NextJob();
  void Follow(Copy& copy);
  void CheckFinished(Copy& copy);
  // On the mux thread.
  docker::LogStreamMux::Flow OnEntry(Copy& copy, const docker::LogEntry& e);
  void OnEnd(Copy& copy, absl::Status status);
  // After a failed follow or check: again after the backoff, or the end
  // of the copy if it keeps failing for a container that has exited.
  void RetryLocked(Copy& copy, const absl::Status& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleLocked(const Copy& copy, Task task, absl::Duration after)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndLocked(Copy& copy, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes ended copies out of the map (their files are closed).
  void ReapLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  docker::DockerClient* const docker_;
  const CopierOptions options_;

  mutable absl::Mutex mu_;
  // Set once, under mu_, by the first Start; then read without it.
  std::unique_ptr<docker::LogStreamMux> mux_;
  std::thread worker_;
  std::map<std::string, std::unique_ptr<Copy>> copies_ ABSL_GUARDED_BY(mu_);
  std::deque<Job> jobs_ ABSL_GUARDED_BY(mu_);
  uint64_t next_serial_ ABSL_GUARDED_BY(mu_) = 1;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;  // jobs_ or shutting_down_ changed
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cri_dockerd::logs
