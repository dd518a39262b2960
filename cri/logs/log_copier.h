// Copies one container's docker log stream into its CRI log file, on a
// thread of its own, until the stream ends for good: the container exited
// or was removed, or the copy is stopped. A broken stream (dockerd
// restarting) is followed again, with backoff, from where the copy is;
// after five failures in a row the copy of an exited container ends.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cri/logs/log_file.h"
#include "cri/logs/log_resume.h"
#include "docker_client/docker_client.h"

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

class LogCopier {
 public:
  // `docker` must outlive the copier. `resume` says what `file` already
  // holds (see log_resume.h).
  LogCopier(docker::DockerClient* docker, std::string container_id, bool tty,
            std::unique_ptr<LogFile> file, ResumeTracker resume,
            CopierOptions options);
  // Stop().
  ~LogCopier();
  LogCopier(const LogCopier&) = delete;
  LogCopier& operator=(const LogCopier&) = delete;

  // Starts the copy thread. Once only.
  void Start();
  // Asks the copy to end; it does within ~100 ms (the docker stream's
  // check interval), or after an inspect under way (inspect_timeout).
  void RequestStop();
  // RequestStop() and waits for the thread. Idempotent.
  void Stop();
  // The copy ended by itself (or was stopped); the file is closed.
  bool Done() const;
  // Reopens the log file at its path (see LogFile::Reopen). NotFound once
  // the copy has ended: the container is not running.
  absl::Status Reopen();

  const std::string& log_path() const { return file_->path(); }

 private:
  void Run();
  // One follow request; sets *progressed if an entry was written.
  absl::Status FollowOnce(bool* progressed);
  // After docker ended the stream: OK if the container is gone or not
  // running (the copy is complete), else why to follow again.
  absl::Status CheckFinished(std::string* reason);
  void WriteEntry(const docker::LogEntry& entry);
  bool StopRequested() const;
  // Waits `d` or until asked to stop; false if asked.
  bool Sleep(absl::Duration d);

  // Constant after construction.
  docker::DockerClient* const docker_;
  const std::string id_;
  const bool tty_;
  const CopierOptions options_;
  const std::unique_ptr<LogFile> file_;

  // Used by the copy thread only.
  ResumeTracker resume_;
  std::string line_;  // formatting buffer
  bool write_failing_ = false;
  int64_t dropped_ = 0;  // entries lost to write errors

  std::thread thread_;  // Start() and Stop() only

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cri_dockerd::logs
